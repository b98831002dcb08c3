package query

import (
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/jmoiron/sqlx"

	"github.com/hfidx/hfidx/schema"
)

// Selection is what delete targets resolve to: revisions, and repos to
// remove whole. Keys are stable across syncs (repo folder and commit hash),
// so a selection can be planned again on a fresh index.
type Selection struct {
	Revisions map[RevisionKey]bool
	Repos     map[string]bool // repo folders selected whole
	Unknown   []string        // targets that match nothing
}

// RevisionKey names a revision across syncs.
type RevisionKey struct {
	Folder string
	Hash   string
}

// Empty reports whether the selection names nothing.
func (s *Selection) Empty() bool { return len(s.Revisions) == 0 && len(s.Repos) == 0 }

// AmbiguousError lists targets that match more than one revision or repo.
type AmbiguousError struct {
	Targets    []string
	Candidates [][]string
}

func (e *AmbiguousError) Error() string {
	var b strings.Builder
	for i, t := range e.Targets {
		if i > 0 {
			b.WriteString("; ")
		}
		fmt.Fprintf(&b, "%q matches %s", t, strings.Join(e.Candidates[i], ", "))
	}
	return "ambiguous target: " + b.String()
}

type match struct {
	Revision int64  `db:"revision"`
	Folder   string `db:"folder"`
	CacheID  string `db:"cache_id"`
	Hash     string `db:"commit_hash"`
}

// Resolve looks targets up in the index: exact-case matches first, then
// case-insensitive ones; a hash prefix must be unique. A target matching
// several revisions or repos is never resolved silently: Resolve returns
// an *AmbiguousError naming the candidates. Targets matching nothing are
// listed in Unknown.
func Resolve(db *sqlx.DB, targets []Target, unknown []string) (*Selection, error) {
	sel := &Selection{Revisions: map[RevisionKey]bool{}, Repos: map[string]bool{}, Unknown: unknown}
	amb := &AmbiguousError{}
	for _, t := range targets {
		var ms []match
		var err error
		switch t.Kind {
		case TargetRevision:
			ms, err = revisionMatches(db, t.Hash, "")
		case TargetRepo, TargetRepoRevision:
			var repos []match
			repos, err = repoMatches(db, t.CacheID())
			if err != nil {
				return nil, err
			}
			if len(repos) > 1 {
				amb.add(t.Raw, repos, false)
				continue
			}
			if t.Kind == TargetRepo {
				if len(repos) == 1 {
					sel.Repos[repos[0].Folder] = true
				} else {
					sel.Unknown = append(sel.Unknown, t.Raw)
				}
				continue
			}
			if len(repos) == 1 {
				ms, err = revisionMatches(db, t.Hash, repos[0].Folder)
			}
		}
		if err != nil {
			return nil, err
		}
		switch len(ms) {
		case 0:
			sel.Unknown = append(sel.Unknown, t.Raw)
		case 1:
			sel.Revisions[RevisionKey{ms[0].Folder, ms[0].Hash}] = true
		default:
			amb.add(t.Raw, ms, true)
		}
	}
	if len(amb.Targets) > 0 {
		return nil, amb
	}
	return sel, nil
}

func (a *AmbiguousError) add(target string, ms []match, revs bool) {
	var c []string
	for _, m := range ms {
		if revs {
			c = append(c, fmt.Sprintf("%s@%s (%s)", m.CacheID, m.Hash, m.Folder))
		} else {
			c = append(c, fmt.Sprintf("%s (%s)", m.CacheID, m.Folder))
		}
	}
	a.Targets = append(a.Targets, target)
	a.Candidates = append(a.Candidates, c)
}

func revisionMatches(db *sqlx.DB, hash, folder string) ([]match, error) {
	const base = `SELECT v.id AS revision, r.folder, r.cache_id, v.commit_hash FROM revisions v JOIN repos r ON r.id = v.repo `
	var ms []match
	if err := db.Select(&ms, base+`WHERE v.commit_hash = ?1 AND (?2 = '' OR r.folder = ?2) ORDER BY r.folder`, hash, folder); err != nil {
		return nil, err
	}
	if len(ms) > 0 {
		return ms, nil
	}
	err := db.Select(&ms, base+`WHERE lower(substr(v.commit_hash, 1, length(?1))) = lower(?1) AND (?2 = '' OR r.folder = ?2)
		ORDER BY r.folder, v.commit_hash`, hash, folder)
	return ms, err
}

func repoMatches(db *sqlx.DB, cacheID string) ([]match, error) {
	var ms []match
	if err := db.Select(&ms, `SELECT 0 AS revision, folder, cache_id, '' AS commit_hash FROM repos WHERE cache_id = ? ORDER BY folder`, cacheID); err != nil {
		return nil, err
	}
	if len(ms) > 0 {
		return ms, nil
	}
	err := db.Select(&ms, `SELECT 0 AS revision, folder, cache_id, '' AS commit_hash FROM repos WHERE lower(cache_id) = lower(?) ORDER BY folder`, cacheID)
	return ms, err
}

// Plan is what a deletion removes and frees, computed by the SQL of
// schema/plan/delete.sql. Paths are absolute.
type Plan struct {
	ExpectedFreedSize  int64       `json:"expected_freed_size"`
	ExpectedFreedUsage int64       `json:"expected_freed_usage"`
	Blobs              []string    `json:"blobs"`
	Refs               []string    `json:"refs"`
	Repos              []string    `json:"repos"`
	Snapshots          []string    `json:"snapshots"`
	Copies             []string    `json:"copies"`
	Unknown            []string    `json:"unknown"`
	Leftovers          []string    `json:"leftovers"`
	Entries            []PlanEntry `json:"entries"`

	// Sizes holds the apparent bytes each blob, copy and repo frees.
	Sizes map[string]int64 `json:"-"`
}

// PlanEntry is one affected repo, for listings.
type PlanEntry struct {
	CacheID   string         `json:"cache_id"`
	Folder    string         `json:"folder"`
	Path      string         `json:"path"`
	Whole     bool           `json:"entire_repo"`
	Damaged   bool           `json:"damaged"`
	Revisions []PlanRevision `json:"revisions"`
}

// PlanRevision is one revision a deletion removes.
type PlanRevision struct {
	CommitHash string   `json:"commit_hash"`
	Refs       []string `json:"refs"`
	SizeOnDisk int64    `json:"size_on_disk"`
}

// RevisionCount returns the revisions the plan removes, whole repos'
// included.
func (p *Plan) RevisionCount() int {
	n := 0
	for _, e := range p.Entries {
		n += len(e.Revisions)
	}
	return n
}

// Paths returns every path the plan removes.
func (p *Plan) Paths() []string {
	var out []string
	for _, l := range [][]string{p.Repos, p.Snapshots, p.Refs, p.Blobs} {
		out = append(out, l...)
	}
	return out
}

// MakePlan computes the plan for sel on db. It returns the database error,
// if any.
func MakePlan(db *sqlx.DB, sel *Selection) (*Plan, error) {
	p := &Plan{Blobs: []string{}, Refs: []string{}, Repos: []string{}, Snapshots: []string{}, Copies: []string{},
		Unknown: append([]string{}, sel.Unknown...), Leftovers: []string{}, Entries: []PlanEntry{}, Sizes: map[string]int64{}}
	revIDs, repoIDs := []int64{}, []int64{}
	for k := range sel.Revisions {
		var id int64
		err := db.Get(&id, `SELECT v.id FROM revisions v JOIN repos r ON r.id = v.repo WHERE r.folder = ? AND v.commit_hash = ?`, k.Folder, k.Hash)
		if err == nil {
			revIDs = append(revIDs, id)
		} else if !isNoRows(err) {
			return nil, err
		}
	}
	for f := range sel.Repos {
		var id int64
		err := db.Get(&id, `SELECT id FROM repos WHERE folder = ?`, f)
		if err == nil {
			repoIDs = append(repoIDs, id)
		} else if !isNoRows(err) {
			return nil, err
		}
	}
	revJSON, _ := json.Marshal(revIDs)
	repoJSON, _ := json.Marshal(repoIDs)
	var items []struct {
		Kind     string `db:"kind"`
		Path     string `db:"path"`
		Repo     int64  `db:"repo"`
		Revision *int64 `db:"revision"`
		Size     int64  `db:"size"`
		Usage    int64  `db:"usage"`
		Dev      int64  `db:"dev"`
		Ino      int64  `db:"ino"`
	}
	if err := db.Select(&items, schema.PlanSQL(), string(revJSON), string(repoJSON)); err != nil {
		return nil, err
	}
	type inode struct{ dev, ino int64 }
	seen := map[inode]bool{}
	wholeRepos := []int64{}
	snapRevs := map[int64][]int64{}
	for _, it := range items {
		p.ExpectedFreedSize += it.Size
		switch it.Kind {
		case "repo":
			p.Repos = append(p.Repos, it.Path)
			p.Sizes[it.Path] = it.Size
			wholeRepos = append(wholeRepos, it.Repo)
		case "snapshot":
			p.Snapshots = append(p.Snapshots, it.Path)
			snapRevs[it.Repo] = append(snapRevs[it.Repo], *it.Revision)
		case "ref":
			p.Refs = append(p.Refs, it.Path)
		case "blob", "copy":
			if it.Kind == "blob" {
				p.Blobs = append(p.Blobs, it.Path)
			} else {
				p.Copies = append(p.Copies, it.Path)
			}
			p.Sizes[it.Path] = it.Size
			if k := (inode{it.Dev, it.Ino}); !seen[k] {
				seen[k] = true
				p.ExpectedFreedUsage += it.Usage
			}
		}
	}
	for _, id := range wholeRepos {
		var usage int64
		// Everything under the folder goes: every blob it holds, once per inode.
		if err := db.Get(&usage, `SELECT coalesce(sum(usage), 0) FROM (SELECT DISTINCT dev, ino, usage FROM blobs WHERE repo = ?)`, id); err != nil {
			return nil, err
		}
		p.ExpectedFreedUsage += usage
	}
	if err := p.listing(db, wholeRepos, snapRevs); err != nil {
		return nil, err
	}
	return p, nil
}

func (p *Plan) listing(db *sqlx.DB, whole []int64, snaps map[int64][]int64) error {
	type repoRow struct {
		ID      int64  `db:"id"`
		CacheID string `db:"cache_id"`
		Folder  string `db:"folder"`
		Path    string `db:"path"`
		Damaged bool   `db:"damaged"`
	}
	type revRow struct {
		CommitHash string `db:"commit_hash"`
		Refs       string `db:"refs"`
		Size       int64  `db:"size_on_disk"`
	}
	add := func(id int64, wholeRepo bool, revIDs []int64) error {
		var r repoRow
		if err := db.Get(&r, `SELECT id, cache_id, folder, path, damaged FROM repos WHERE id = ?`, id); err != nil {
			return err
		}
		e := PlanEntry{CacheID: r.CacheID, Folder: r.Folder, Path: r.Path, Whole: wholeRepo, Damaged: r.Damaged, Revisions: []PlanRevision{}}
		var revs []revRow
		q := `SELECT commit_hash, refs, size_on_disk FROM revision_usage WHERE repo = ? ORDER BY commit_hash`
		args := []any{id}
		if !wholeRepo {
			ids, _ := json.Marshal(revIDs)
			q = `SELECT commit_hash, refs, size_on_disk FROM revision_usage WHERE repo = ? AND revision IN (SELECT value FROM json_each(?)) ORDER BY commit_hash`
			args = append(args, string(ids))
		}
		if err := db.Select(&revs, q, args...); err != nil {
			return err
		}
		for _, v := range revs {
			refs := []string{}
			if v.Refs != "" {
				refs = strings.Split(v.Refs, ",")
			}
			e.Revisions = append(e.Revisions, PlanRevision{CommitHash: v.CommitHash, Refs: refs, SizeOnDisk: v.Size})
		}
		p.Entries = append(p.Entries, e)
		return nil
	}
	for _, id := range whole {
		if err := add(id, true, nil); err != nil {
			return err
		}
	}
	for id, revs := range snaps {
		if err := add(id, false, revs); err != nil {
			return err
		}
	}
	sort.Slice(p.Entries, func(i, j int) bool {
		a, b := p.Entries[i], p.Entries[j]
		ta, _, _ := strings.Cut(a.CacheID, "/")
		tb, _, _ := strings.Cut(b.CacheID, "/")
		if ta != tb {
			return ta < tb
		}
		if la, lb := pyLower(a.CacheID), pyLower(b.CacheID); la != lb {
			return la < lb
		}
		return a.Folder < b.Folder
	})
	return nil
}

func isNoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }
