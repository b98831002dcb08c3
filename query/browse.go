package query

import (
	"embed"
	"strings"
)

//go:embed browse/*.sql
var browseFS embed.FS

func browseSQL(name string) string {
	b, err := browseFS.ReadFile("browse/" + name)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// BrowseTotals are the cache's totals as `hfidx browse` heads its screen
// with them: Size is the total `hfidx scan` prints (healthy repos, each
// shared-store payload once), DamagedSize what damaged repos hold besides.
type BrowseTotals struct {
	CacheDir     string `db:"cache_dir"`
	Size         int64  `db:"size_on_disk"`
	DamagedSize  int64  `db:"damaged_size_on_disk"`
	Repos        int    `db:"repos"`
	DamagedRepos int    `db:"damaged_repos"`
}

// LoadBrowseTotals reads the totals of the cache the index describes. It
// returns the database error, if any.
func LoadBrowseTotals(db Reader) (BrowseTotals, error) {
	var t BrowseTotals
	err := db.Get(&t, `SELECT coalesce((SELECT value FROM meta WHERE key = 'cache_dir'), '') AS cache_dir,
		size_on_disk, damaged_size_on_disk, repos, damaged_repos FROM cache_usage`)
	return t, err
}

// BrowseRepo is one repo of the browser's top level.
type BrowseRepo struct {
	Folder       string  `db:"folder"`
	Path         string  `db:"repo_path"`
	CacheID      string  `db:"cache_id"`
	RepoType     string  `db:"repo_type"`
	RepoID       string  `db:"repo_id"`
	Damaged      bool    `db:"damaged"`
	SizeOnDisk   int64   `db:"size_on_disk"`
	Revisions    int     `db:"nb_revisions"`
	RefsList     string  `db:"refs"` // comma separated, sorted
	LastModified float64 `db:"last_modified"`
	LastUsed     float64 `db:"-"` // see LastUsed
}

// Refs returns the repo's ref names, sorted.
func (r *BrowseRepo) Refs() []string { return splitRefs(r.RefsList) }

// LoadBrowseRepos reads every repo of the index, largest first, with its
// last use (see LastUsed). It returns the database error, if any.
func LoadBrowseRepos(db Reader) ([]BrowseRepo, error) {
	var repos []BrowseRepo
	if err := db.Select(&repos, browseSQL("repos.sql")); err != nil {
		return nil, err
	}
	used, err := LastUsed(db)
	if err != nil {
		return nil, err
	}
	for i := range repos {
		repos[i].LastUsed = used[repos[i].Folder]
	}
	return repos, nil
}

// LastUsed returns when each repo (by folder) was last used, in epoch
// seconds (0: unknown): the best known last use, repo_usage.last_used
// (usage records or access times, the latest). It returns the database
// error, if any.
func LastUsed(db Reader) (map[string]float64, error) {
	var rows []struct {
		Folder string  `db:"folder"`
		Used   float64 `db:"used"`
	}
	if err := db.Select(&rows, `SELECT folder, coalesce(last_used, last_accessed, 0) AS used FROM repo_usage`); err != nil {
		return nil, err
	}
	out := make(map[string]float64, len(rows))
	for _, r := range rows {
		out[r.Folder] = r.Used
	}
	return out, nil
}

// BrowseRevision is one revision of a repo in the browser.
type BrowseRevision struct {
	Hash         string  `db:"commit_hash"`
	Path         string  `db:"snapshot_path"`
	SizeOnDisk   int64   `db:"size_on_disk"`
	Files        int     `db:"nb_files"`
	RefsList     string  `db:"refs"` // comma separated, sorted
	LastModified float64 `db:"last_modified"`
}

// Refs returns the revision's ref names, sorted.
func (v *BrowseRevision) Refs() []string { return splitRefs(v.RefsList) }

// LoadBrowseRevisions reads the revisions of the repo in folder, largest
// first; none for a folder the index does not hold. It returns the
// database error, if any.
func LoadBrowseRevisions(db Reader, folder string) ([]BrowseRevision, error) {
	var revs []BrowseRevision
	err := db.Select(&revs, browseSQL("revisions.sql"), folder)
	return revs, err
}

// BrowseFile is one entry of a revision in the browser. Size is that of
// the blob it links (0 for a broken link); Links, Revisions and Repos
// count the entries, revisions and repos linking that blob, this one
// included.
type BrowseFile struct {
	RelPath    string  `db:"rel_path"`
	Path       string  `db:"file_path"`
	Kind       string  `db:"kind"` // link, file or special
	Broken     bool    `db:"broken"`
	SizeOnDisk int64   `db:"size"`
	Mtime      float64 `db:"mtime"`
	BlobKind   string  `db:"blob_kind"` // blob, copy, external, or "" when broken
	BlobPath   string  `db:"blob_path"`
	Links      int     `db:"links"`
	Revisions  int     `db:"revisions"`
	Repos      int     `db:"repos"`
}

// LoadBrowseFiles reads the entries of revision hash of the repo in
// folder, largest first. It returns the database error, if any.
func LoadBrowseFiles(db Reader, folder, hash string) ([]BrowseFile, error) {
	var files []BrowseFile
	err := db.Select(&files, browseSQL("files.sql"), folder, hash)
	return files, err
}

func splitRefs(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}
