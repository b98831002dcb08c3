// Package query reads the hfidx index and renders what it finds: the scan
// report, listings and ad-hoc SQL results.
package query

import (
	"sort"

	"github.com/jmoiron/sqlx"
)

// Report is `hfidx scan`'s answer, shaped like huggingface_hub's
// HFCacheInfo. SizeOnDisk keeps the library's meaning (healthy repos only);
// what damaged repos hold is reported beside it.
type Report struct {
	SizeOnDisk        int64 `json:"size_on_disk"`
	DamagedSizeOnDisk int64 `json:"damaged_size_on_disk"`
	// Usage is the allocated bytes of every blob, copy and store payload
	// in the cache, each inode once.
	Usage           int64        `json:"usage"`
	Repos           []Repo       `json:"repos"`
	Warnings        []string     `json:"warnings"`
	IncompleteFiles []Incomplete `json:"incomplete_files"`
}

// Repo is one repo of a Report (huggingface_hub's CachedRepoInfo).
type Repo struct {
	RepoID       string  `json:"repo_id" db:"repo_id"`
	RepoType     string  `json:"repo_type" db:"repo_type"`
	RepoPath     string  `json:"repo_path" db:"repo_path"`
	SizeOnDisk   int64   `json:"size_on_disk" db:"size_on_disk"`
	Usage        int64   `json:"usage" db:"usage"`
	NbFiles      int64   `json:"nb_files" db:"nb_files"`
	LastAccessed float64 `json:"last_accessed" db:"last_accessed"`
	LastModified float64 `json:"last_modified" db:"last_modified"`
	// LastUsed is the best known last use (usage records or atime, the
	// latest) and LastUsedSource where it comes from; not in the library.
	LastUsed       float64           `json:"last_used" db:"last_used"`
	LastUsedSource string            `json:"last_used_source" db:"last_used_source"`
	Refs           map[string]string `json:"refs"`
	Revisions      []Revision        `json:"revisions"`
	Damaged        bool              `json:"damaged" db:"damaged"`
	Problems       []string          `json:"problems,omitempty"`
	LinkTarget     *string           `json:"link_target,omitempty" db:"link_target"`

	ID      int64  `json:"-" db:"repo"`
	CacheID string `json:"-" db:"cache_id"`
}

// Revision is one revision of a Repo (huggingface_hub's CachedRevisionInfo).
type Revision struct {
	CommitHash   string  `json:"commit_hash" db:"commit_hash"`
	SnapshotPath string  `json:"snapshot_path" db:"snapshot_path"`
	SizeOnDisk   int64   `json:"size_on_disk" db:"size_on_disk"`
	Usage        int64   `json:"usage" db:"usage"`
	NbFiles      int64   `json:"nb_files" db:"nb_files"`
	LastModified float64 `json:"last_modified" db:"last_modified"`
	// LastUsed and LastUsedSource: as Repo's, over this revision's files
	// (0 and "" for a revision without any).
	LastUsed       float64  `json:"last_used" db:"last_used"`
	LastUsedSource string   `json:"last_used_source" db:"last_used_source"`
	Refs           []string `json:"refs"`
	Files          []File   `json:"files"`

	ID   int64 `json:"-" db:"revision"`
	Repo int64 `json:"-" db:"repo"`
}

// File is one file of a Revision (huggingface_hub's CachedFileInfo).
// BlobPath is the repo-local first hop; PayloadPath the shared-store payload
// it leads to, if any.
type File struct {
	FileName         string  `json:"file_name" db:"file_name"`
	FilePath         string  `json:"file_path" db:"file_path"`
	BlobPath         string  `json:"blob_path" db:"blob_path"`
	SizeOnDisk       int64   `json:"size_on_disk" db:"size"`
	Usage            int64   `json:"usage" db:"usage"`
	BlobLastAccessed float64 `json:"blob_last_accessed" db:"atime"`
	BlobLastModified float64 `json:"blob_last_modified" db:"mtime"`
	PayloadPath      *string `json:"payload_path,omitempty" db:"payload_path"`

	Revision int64 `json:"-" db:"revision"`
}

// Incomplete is an interrupted download.
type Incomplete struct {
	FilePath   string `json:"file_path" db:"path"`
	SizeOnDisk int64  `json:"size_on_disk" db:"size"`
}

// Load builds the scan report from the index. withFiles controls whether
// each revision's file list is read (the table does not need it). It
// returns the database error, if any.
func Load(db *sqlx.DB, withFiles bool) (*Report, error) {
	rep := &Report{Repos: []Repo{}, Warnings: []string{}, IncompleteFiles: []Incomplete{}}
	if err := db.QueryRowx(`SELECT size_on_disk, damaged_size_on_disk, usage FROM cache_usage`).
		Scan(&rep.SizeOnDisk, &rep.DamagedSizeOnDisk, &rep.Usage); err != nil {
		return nil, err
	}
	if err := db.Select(&rep.Repos, `SELECT u.repo, u.repo_id, u.repo_type, u.repo_path, u.cache_id,
		u.size_on_disk, u.usage, u.nb_files, u.last_accessed, u.last_modified,
		coalesce(u.last_used, 0) AS last_used, coalesce(u.last_used_source, '') AS last_used_source, u.damaged, r.link_target
		FROM repo_usage u JOIN repos r ON r.id = u.repo ORDER BY u.repo_path`); err != nil {
		return nil, err
	}
	byID := map[int64]*Repo{}
	for i := range rep.Repos {
		r := &rep.Repos[i]
		r.Refs, r.Revisions = map[string]string{}, []Revision{}
		byID[r.ID] = r
	}
	var revs []Revision
	if err := db.Select(&revs, `SELECT revision, repo, commit_hash, snapshot_path, size_on_disk, usage, nb_files, last_modified,
		coalesce(last_used, 0) AS last_used, coalesce(last_used_source, '') AS last_used_source
		FROM revision_usage ORDER BY repo, commit_hash`); err != nil {
		return nil, err
	}
	revByID := map[int64]*Revision{}
	for _, v := range revs {
		v.Refs, v.Files = []string{}, []File{}
		r := byID[v.Repo]
		r.Revisions = append(r.Revisions, v)
	}
	for _, r := range byID {
		for i := range r.Revisions {
			revByID[r.Revisions[i].ID] = &r.Revisions[i]
		}
	}
	var refs []struct {
		Repo     int64  `db:"repo"`
		Name     string `db:"name"`
		Commit   string `db:"commit_hash"`
		Revision *int64 `db:"revision"`
	}
	if err := db.Select(&refs, `SELECT repo, name, commit_hash, revision FROM refs ORDER BY repo, name`); err != nil {
		return nil, err
	}
	for _, x := range refs {
		byID[x.Repo].Refs[x.Name] = x.Commit
		if x.Revision != nil {
			v := revByID[*x.Revision]
			v.Refs = append(v.Refs, x.Name)
		}
	}
	var probs []struct {
		Repo    int64  `db:"repo"`
		Path    string `db:"path"`
		Message string `db:"message"`
	}
	if err := db.Select(&probs, `SELECT repo, path, message FROM warnings WHERE damaging = 1 ORDER BY id`); err != nil {
		return nil, err
	}
	for _, p := range probs {
		byID[p.Repo].Problems = append(byID[p.Repo].Problems, p.Path+": "+p.Message)
	}
	if err := db.Select(&rep.Warnings, `SELECT path || ': ' || message FROM warnings ORDER BY path, id`); err != nil {
		return nil, err
	}
	if err := db.Select(&rep.IncompleteFiles, `SELECT path, size FROM incomplete_files ORDER BY path`); err != nil {
		return nil, err
	}
	if !withFiles {
		return rep, nil
	}
	rows, err := db.Queryx(`SELECT f.revision, f.file_name, f.file_path, b.path AS blob_path, b.size, b.usage, b.atime, b.mtime,
		p.path AS payload_path
		FROM files f JOIN blobs b ON b.id = f.blob LEFT JOIN payloads p ON p.id = b.payload
		ORDER BY f.revision, f.file_path`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var f File
		if err := rows.StructScan(&f); err != nil {
			return nil, err
		}
		v := revByID[f.Revision]
		v.Files = append(v.Files, f)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, r := range rep.Repos {
		for _, v := range r.Revisions {
			sort.Slice(v.Files, func(i, j int) bool { return v.Files[i].FilePath < v.Files[j].FilePath })
		}
	}
	return rep, nil
}
