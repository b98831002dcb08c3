package query

import (
	"cmp"
	"sort"
	"strings"

	"github.com/jmoiron/sqlx"
)

// Entry is one row of `hfidx ls`: a repo, or in revision mode a revision
// with its repo's identity.
type Entry struct {
	ID           string  `json:"id"`
	RepoID       string  `json:"repo_id"`
	RepoType     string  `json:"repo_type"`
	Revision     string  `json:"revision,omitempty"`
	SnapshotPath string  `json:"snapshot_path,omitempty"`
	SizeOnDisk   int64   `json:"size_on_disk"`
	Size         string  `json:"size"`
	Usage        int64   `json:"usage"` // allocated bytes, each inode once
	NbFiles      int64   `json:"nb_files"`
	LastAccessed float64 `json:"last_accessed"`
	LastModified float64 `json:"last_modified"`
	// LastUsed is the best known last use: the latest of the usage
	// records (hfidx touch, run, sample) and the access times of its
	// blobs; LastUsedSource says which ("touch", "atime (relatime)", …).
	LastUsed       float64  `json:"last_used"`
	LastUsedSource string   `json:"last_used_source"`
	Refs           []string `json:"refs"`
	Path           string   `json:"path"`
	Damaged        bool     `json:"damaged"`

	revisions int64 // revisions of the repo (repo mode)
	repoKey   int64
}

// Listing is the result of ListEntries.
type Listing struct {
	Revisions bool
	Entries   []Entry
	// Warnings counts the warnings about the cache; EachWarning reads them.
	Warnings int
	// Incomplete downloads, for the hint.
	IncompleteCount int
	IncompleteSize  int64
}

// LoadEntries reads every repo (or revision) from the index in the default
// order: by cache id, byte-wise, then commit hash; allocated bytes only
// when usage is set (they cost a second pass over every file). It returns
// the database error, if any.
func LoadEntries(db *sqlx.DB, revisions, usage bool) (*Listing, error) {
	l := &Listing{Revisions: revisions}
	type row struct {
		Repo         int64   `db:"repo"`
		CacheID      string  `db:"cache_id"`
		RepoID       string  `db:"repo_id"`
		RepoType     string  `db:"repo_type"`
		RepoPath     string  `db:"repo_path"`
		Size         int64   `db:"size_on_disk"`
		Usage        int64   `db:"usage"`
		NbFiles      int64   `db:"nb_files"`
		LastAccessed float64 `db:"last_accessed"`
		LastModified float64 `db:"last_modified"`
		LastUsed     float64 `db:"last_used"`
		UsedSource   string  `db:"last_used_source"`
		Refs         string  `db:"refs"`
		Damaged      bool    `db:"damaged"`
		NbRevisions  int64   `db:"nb_revisions"`
		Commit       string  `db:"commit_hash"`
		Snapshot     string  `db:"snapshot_path"`
	}
	var rows []row
	usageCol := "0 AS usage"
	if usage {
		usageCol = "usage"
	}
	q := `SELECT repo, cache_id, repo_id, repo_type, repo_path, size_on_disk, ` + usageCol + `, nb_files, last_accessed, last_modified,
		coalesce(last_used, 0) AS last_used, coalesce(last_used_source, '') AS last_used_source,
		refs, damaged, nb_revisions, '' AS commit_hash, '' AS snapshot_path FROM repo_usage`
	if revisions {
		if usage {
			usageCol = "v.usage"
		}
		q = `SELECT u.repo, u.cache_id, u.repo_id, u.repo_type, u.repo_path, v.size_on_disk, ` + usageCol + `, v.nb_files,
			u.last_accessed, v.last_modified,
			coalesce(v.last_used, u.last_used, 0) AS last_used,
			coalesce(CASE WHEN v.last_used IS NOT NULL THEN v.last_used_source END, u.last_used_source, '') AS last_used_source,
			v.refs, u.damaged, 1 AS nb_revisions, v.commit_hash, v.snapshot_path
			FROM revision_usage v JOIN repo_usage u ON u.repo = v.repo`
	}
	if err := db.Select(&rows, q); err != nil {
		return nil, err
	}
	for _, r := range rows {
		refs := []string{}
		if r.Refs != "" {
			refs = strings.Split(r.Refs, ",")
		}
		e := Entry{ID: r.CacheID, RepoID: r.RepoID, RepoType: r.RepoType, SizeOnDisk: r.Size, Size: FormatSize(r.Size), Usage: r.Usage,
			NbFiles: r.NbFiles, LastAccessed: r.LastAccessed, LastModified: r.LastModified, LastUsed: r.LastUsed,
			LastUsedSource: r.UsedSource, Refs: refs, Path: r.RepoPath,
			Damaged: r.Damaged, revisions: r.NbRevisions, repoKey: r.Repo}
		if revisions {
			e.Revision, e.SnapshotPath = r.Commit, r.Snapshot
		}
		l.Entries = append(l.Entries, e)
	}
	sort.SliceStable(l.Entries, func(i, j int) bool {
		a, b := l.Entries[i], l.Entries[j]
		if c := strings.Compare(a.ID, b.ID); c != 0 {
			return c < 0
		}
		if c := strings.Compare(a.Path, b.Path); c != 0 { // case-colliding or renamed folders
			return c < 0
		}
		return a.Revision < b.Revision
	})
	if err := db.Get(&l.Warnings, `SELECT count(*) FROM warnings`); err != nil {
		return nil, err
	}
	if err := db.QueryRowx(`SELECT count(*), coalesce(sum(size), 0) FROM incomplete_files`).
		Scan(&l.IncompleteCount, &l.IncompleteSize); err != nil {
		return nil, err
	}
	return l, nil
}

// AtimeOnly makes every entry's last use its access time alone, as
// huggingface_hub knows it: `accessed` filters and sorts then ignore the
// usage records.
func (l *Listing) AtimeOnly() {
	for i := range l.Entries {
		l.Entries[i].LastUsed, l.Entries[i].LastUsedSource = l.Entries[i].LastAccessed, "atime"
	}
}

// Sort is a parsed `--sort KEY[:asc|:desc]`.
type Sort struct {
	Key  string
	Desc bool
}

// SortKeys lists the accepted sort keys.
var SortKeys = []string{"name", "size", "accessed", "modified"}

// ParseSort parses s. Defaults as huggingface_hub: name ascending, the
// others descending. It returns a *UsageError listing the accepted values.
func ParseSort(s string) (Sort, error) {
	key, dir, hasDir := strings.Cut(s, ":")
	ok := false
	for _, k := range SortKeys {
		ok = ok || k == key
	}
	if !ok || (hasDir && dir != "asc" && dir != "desc") {
		return Sort{}, usageErr("invalid sort %q: want KEY[:asc|:desc] with KEY one of %s", s, strings.Join(SortKeys, ", "))
	}
	desc := key != "name"
	if hasDir {
		desc = dir == "desc"
	}
	return Sort{Key: key, Desc: desc}, nil
}

// Apply filters, sorts and limits the listing in place. Descending sorts
// keep equal keys in the default order, as Python's stable reverse sort.
// A negative limit means no limit.
func (l *Listing) Apply(filters []Filter, s *Sort, limit int, now float64) {
	kept := l.Entries[:0]
	for _, e := range l.Entries {
		ok := true
		for _, f := range filters {
			if !f.Match(&e, now) {
				ok = false
				break
			}
		}
		if ok {
			kept = append(kept, e)
		}
	}
	l.Entries = kept
	if s != nil {
		key := func(e *Entry) (string, float64) {
			switch s.Key {
			case "name":
				return pyLower(e.ID), 0
			case "size":
				return "", float64(e.SizeOnDisk)
			case "accessed":
				return "", e.LastUsed
			}
			return "", e.LastModified
		}
		sort.SliceStable(l.Entries, func(i, j int) bool {
			as, an := key(&l.Entries[i])
			bs, bn := key(&l.Entries[j])
			c := cmp.Compare(an, bn)
			if s.Key == "name" {
				c = strings.Compare(as, bs)
			}
			if s.Desc {
				return c > 0
			}
			return c < 0
		})
	}
	if limit >= 0 && limit < len(l.Entries) {
		l.Entries = l.Entries[:limit]
	}
}

// Totals returns the summary line's numbers: repos, revisions and bytes.
// In repo mode they sum the rows; in revision mode repos are the distinct
// repos among the rows and bytes sum revision sizes, as huggingface_hub.
func (l *Listing) Totals() (repos, revisions int, size int64) {
	seen := map[int64]bool{}
	for _, e := range l.Entries {
		size += e.SizeOnDisk
		if l.Revisions {
			seen[e.repoKey] = true
			revisions++
		} else {
			repos++
			revisions += int(e.revisions)
		}
	}
	if l.Revisions {
		repos = len(seen)
	}
	return repos, revisions, size
}

// EachWarning passes every warning about the cache to fn, one line each,
// in the order of the paths they concern, without holding them all.
func EachWarning(db *sqlx.DB, fn func(string)) error {
	rows, err := db.Query(`SELECT path || ': ' || message FROM warnings ORDER BY path, id`)
	if err != nil {
		return err
	}
	defer rows.Close()
	var w string
	for rows.Next() {
		if err := rows.Scan(&w); err != nil {
			return err
		}
		fn(w)
	}
	return rows.Err()
}

// QuietLines returns what `hfidx ls -q` prints for each entry of l, in
// order: a target for `hfidx delete` that selects that repo (revision)
// and nothing else, now and after any other entry has gone, given as an
// argument or as a line of `hfidx delete -`. That is the cache id (the
// commit hash in revision mode) when it parses as itself and no other
// repo (revision) of the index matches it by case or prefix; else, for a
// revision, `<cache id>@<hash>` under the same conditions within its
// repo; else the exact form (`=<cache id>`, `=<hash>` when no other
// revision has that exact hash, `=<cache id>@<hash>`; see ParseTarget).
// It returns the database error, if any.
func QuietLines(db *sqlx.DB, l *Listing) ([]string, error) {
	var ids []string
	if err := db.Select(&ids, `SELECT cache_id FROM repos`); err != nil {
		return nil, err
	}
	// SQLite's lower(), which the case-insensitive match uses, folds ASCII
	// only.
	folded := map[string]int{}
	for _, id := range ids {
		folded[asciiLower(id)]++
	}
	plainRepo := func(id string) bool { return PlainRepo(id) && folded[asciiLower(id)] == 1 }
	out := make([]string, len(l.Entries))
	if !l.Revisions {
		for i, e := range l.Entries {
			out[i] = "=" + QuoteExact(e.ID)
			if plainRepo(e.ID) {
				out[i] = e.ID
			}
		}
		return out, nil
	}
	var revs []struct {
		Repo int64  `db:"repo"`
		Hash string `db:"commit_hash"`
	}
	if err := db.Select(&revs, `SELECT repo, commit_hash FROM revisions`); err != nil {
		return nil, err
	}
	// all and per repo: hashes folded and sorted, so that the hashes a
	// target is a case-insensitive prefix of lie in one run; exact counts.
	all, exact := []string{}, map[string]int{}
	inRepo := map[int64][]string{}
	for _, v := range revs {
		f := asciiLower(v.Hash)
		all = append(all, f)
		inRepo[v.Repo] = append(inRepo[v.Repo], f)
		exact[v.Hash]++
	}
	sort.Strings(all)
	for _, s := range inRepo {
		sort.Strings(s)
	}
	for i, e := range l.Entries {
		h := e.Revision
		switch {
		case PlainHash(h) && prefixed(all, h) == 1:
			out[i] = h
		case exact[h] == 1:
			out[i] = "=" + QuoteExact(h)
		case plainRepo(e.ID) && PlainHash(h) && prefixed(inRepo[e.repoKey], h) == 1:
			out[i] = e.ID + "@" + h
		default:
			out[i] = "=" + QuoteExact(e.ID) + "@" + QuoteExact(h)
		}
	}
	return out, nil
}

// prefixed counts the strings of sorted (folded, sorted) that start with
// h, folded.
func prefixed(sorted []string, h string) int {
	p := asciiLower(h)
	i := sort.SearchStrings(sorted, p)
	n := 0
	for ; i+n < len(sorted) && strings.HasPrefix(sorted[i+n], p); n++ {
	}
	return n
}

// asciiLower folds A-Z byte by byte and leaves every other byte as it is.
func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}
