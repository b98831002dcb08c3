package main

import (
	"errors"
	"fmt"
	"sort"

	"github.com/jmoiron/sqlx"

	"github.com/hfidx/hfidx/query"
	"github.com/hfidx/hfidx/schema"
)

type pinsCmd struct{}

// pinEntry is one pin in pins's JSON, with what it names now.
type pinEntry struct {
	Target    string     `json:"target"`
	Note      string     `json:"note"`
	CreatedAt float64    `json:"created_at"`
	Status    string     `json:"status"`    // cached, not_cached, ambiguous or malformed
	Repos     []string   `json:"repos"`     // cache ids of the repos it keeps whole
	Revisions []pinRev   `json:"revisions"` // the revisions it keeps
	Files     []pinFile  `json:"files"`     // the files it keeps (a glob's matches)
	Error     string     `json:"error,omitempty"`
	counts    pinsCounts // for the table
}

// pinRev is a revision a pin keeps.
type pinRev struct {
	Repo     string `json:"repo"` // cache id
	Revision string `json:"revision"`
}

// pinFile is a file a pin keeps.
type pinFile struct {
	Repo     string `json:"repo"` // cache id
	Revision string `json:"revision"`
	Path     string `json:"path"`
}

// pinsCounts is what a pin keeps, counted for the table.
type pinsCounts struct{ repoRevisions, fileRevisions int }

// Run lists the pins of the cache, by target, with their note, age and
// what each names in the index now. The index is read as it is (synced
// only when missing or older).
func (c *pinsCmd) Run(a *app) error {
	if err := a.formatIn("table", "text", "json"); err != nil {
		return err
	}
	root, path, err := a.keptIndex()
	if err != nil {
		return err
	}
	st, err := a.openState()
	if err != nil {
		return err
	}
	pins, err := st.Pins(root)
	st.Close()
	if err != nil {
		return failf("pass --state PATH to a readable state file", "read pins from %s: %w", st.Path(), err)
	}
	db, err := schema.OpenReadOnly(path)
	if err != nil {
		return indexFailure(path, err)
	}
	defer db.Close()
	ids, revCount, err := repoNames(db)
	if err != nil {
		return failf("run 'hfidx sync' to rebuild the index", "read index: %w", err)
	}
	entries := make([]pinEntry, 0, len(pins))
	for _, p := range pins {
		e := pinEntry{Target: p.Target, Note: p.Note, CreatedAt: p.CreatedAt,
			Repos: []string{}, Revisions: []pinRev{}, Files: []pinFile{}}
		r, err := resolvePin(db, p.Target)
		if err != nil {
			return err
		}
		var amb *query.AmbiguousError
		switch {
		case errors.As(r.Err, &amb):
			e.Status, e.Error = "ambiguous", r.Err.Error()
		case r.Err != nil:
			e.Status, e.Error = "malformed", r.Err.Error()
		case r.Sel.Empty():
			e.Status = "not_cached"
		default:
			e.Status = "cached"
			revs := map[string]bool{}
			for f := range r.Sel.Repos {
				e.Repos = append(e.Repos, ids[f])
				e.counts.repoRevisions += revCount[f]
			}
			for k := range r.Sel.Revisions {
				e.Revisions = append(e.Revisions, pinRev{ids[k.Folder], k.Hash})
			}
			for k := range r.Sel.Files {
				e.Files = append(e.Files, pinFile{ids[k.Folder], k.Hash, k.RelPath})
				revs[k.Folder+"@"+k.Hash] = true
			}
			e.counts.fileRevisions = len(revs)
			sort.Strings(e.Repos)
			sort.Slice(e.Revisions, func(i, j int) bool {
				x, y := e.Revisions[i], e.Revisions[j]
				return x.Repo < y.Repo || x.Repo == y.Repo && x.Revision < y.Revision
			})
			sort.Slice(e.Files, func(i, j int) bool {
				x, y := e.Files[i], e.Files[j]
				if x.Repo != y.Repo {
					return x.Repo < y.Repo
				}
				if x.Revision != y.Revision {
					return x.Revision < y.Revision
				}
				return x.Path < y.Path
			})
		}
		entries = append(entries, e)
	}
	if a.Format == "json" {
		return writeJSON(a, entries)
	}
	if len(entries) == 0 {
		fmt.Fprintln(a.stdout, "No pins; 'hfidx pin TARGET' keeps a repo, revision or files from gc.")
		return nil
	}
	now := a.nowFloat()
	t := query.Table{Columns: []string{"target", "note", "pinned", "keeps now"}}
	for _, e := range entries {
		t.Rows = append(t.Rows, []any{e.Target, e.Note, query.FormatTimeSince(e.CreatedAt, now), e.keeps()})
	}
	_, err = query.WriteHuman(a.stdout, t, 0)
	return err
}

// keeps says what the pin names now, for the table.
func (e pinEntry) keeps() string {
	switch e.Status {
	case "ambiguous":
		return "ambiguous now: unpin it and pin one revision or repo"
	case "malformed":
		return "not a target this hfidx reads: " + e.Error
	case "not_cached":
		return "not in the cache any more"
	}
	var s string
	add := func(part string) {
		if s != "" {
			s += ", "
		}
		s += part
	}
	if n := len(e.Repos); n > 0 {
		add(fmt.Sprintf("%s (%s)", plural(n, "repo", "repos"), plural(e.counts.repoRevisions, "revision", "revisions")))
	}
	if n := len(e.Revisions); n > 0 {
		add(plural(n, "revision", "revisions"))
	}
	if n := len(e.Files); n > 0 {
		add(fmt.Sprintf("%s in %s", plural(n, "file", "files"), plural(e.counts.fileRevisions, "revision", "revisions")))
	}
	return s
}

// repoNames returns each repo folder's cache id and number of revisions.
func repoNames(db *sqlx.DB) (ids map[string]string, revisions map[string]int, err error) {
	var rows []struct {
		Folder  string `db:"folder"`
		CacheID string `db:"cache_id"`
		N       int    `db:"n"`
	}
	err = db.Select(&rows, `SELECT r.folder, r.cache_id, (SELECT count(*) FROM revisions v WHERE v.repo = r.id) AS n FROM repos r`)
	if err != nil {
		return nil, nil, err
	}
	ids, revisions = map[string]string{}, map[string]int{}
	for _, r := range rows {
		ids[r.Folder], revisions[r.Folder] = r.CacheID, r.N
	}
	return ids, revisions, nil
}
