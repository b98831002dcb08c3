package query

import (
	"strings"
)

// GCRevision is a revision gc may evict, with what its rules look at.
type GCRevision struct {
	Revision       int64   `db:"revision"`
	Folder         string  `db:"folder"`
	CacheID        string  `db:"cache_id"`
	RepoID         string  `db:"repo_id"`
	RepoType       string  `db:"repo_type"`
	Commit         string  `db:"commit_hash"`
	RefList        string  `db:"refs"`
	LastUsed       float64 `db:"last_used"`
	LastUsedSource string  `db:"last_used_source"`
	Size           int64   `db:"size_on_disk"`
}

// Refs returns the names of the refs naming the revision, sorted.
func (r GCRevision) Refs() []string {
	if r.RefList == "" {
		return nil
	}
	return strings.Split(r.RefList, ",")
}

// Key returns the revision's key in a Selection.
func (r GCRevision) Key() RevisionKey { return RevisionKey{Folder: r.Folder, Hash: r.Commit} }

// Target returns the exact form of the revision as delete takes it:
// =<cache id>@<hash>, each part escaped.
func (r GCRevision) Target() string { return "=" + QuoteExact(r.CacheID) + "@" + QuoteExact(r.Commit) }

// LoadGCRevisions returns every revision of the healthy repos (damaged and
// symlinked repo folders are never evicted by a policy), with its best
// known last use (the repo's when the revision has no file), in a fixed
// order: by cache id, folder, then commit hash. It returns the database
// error, if any.
func LoadGCRevisions(db Reader) ([]GCRevision, error) {
	var out []GCRevision
	err := db.Select(&out, `SELECT v.revision, r.folder, r.cache_id, r.repo_id, r.repo_type, v.commit_hash, v.refs,
		coalesce(v.last_used, u.last_used, 0) AS last_used,
		coalesce(CASE WHEN v.last_used IS NOT NULL THEN v.last_used_source END, u.last_used_source, '') AS last_used_source,
		v.size_on_disk
		FROM revision_usage v JOIN repos r ON r.id = v.repo JOIN repo_usage u ON u.repo = r.id
		WHERE r.damaged = 0 AND r.link_target IS NULL
		ORDER BY r.cache_id, r.folder, v.commit_hash`)
	return out, err
}

// RevisionsLinking returns the revisions whose files read one of the
// files given by device and inode (a blob, a payload or a copy), with the
// first such file of each, for gc's in-use check. It returns the database
// error, if any.
func RevisionsLinking(db Reader, files [][2]uint64) (map[RevisionKey][2]uint64, error) {
	out := map[RevisionKey][2]uint64{}
	for _, f := range files {
		var keys []RevisionKey
		if err := db.Select(&keys, `SELECT DISTINCT r.folder AS folder, v.commit_hash AS hash
			FROM blobs b JOIN files k ON k.blob = b.id JOIN revisions v ON v.id = k.revision JOIN repos r ON r.id = v.repo
			WHERE b.dev = ? AND b.ino = ? AND b.missing = 0`, f[0], f[1]); err != nil {
			return nil, err
		}
		for _, k := range keys {
			if _, ok := out[k]; !ok {
				out[k] = f
			}
		}
	}
	return out, nil
}

// Attribute splits what plan frees among the revisions it evicts, given
// in eviction order by id: a file goes to the last of them that reads it
// (it is freed only once every revision reading it is gone), so each
// revision gets what it adds given those before it. Bytes of no listed
// revision (orphans, unreferenced payloads) are left out. It returns the
// database error, if any.
func Attribute(db Reader, plan *Plan, revIDs []int64) ([]int64, error) {
	freed := map[string]int64{}
	for _, l := range [][]string{plan.Blobs, plan.Copies, plan.Payloads} {
		for _, p := range l {
			if n := plan.Sizes[p]; n > 0 {
				freed[p] = n
			}
		}
	}
	for _, repo := range plan.Repos {
		var rows []struct {
			Path string `db:"path"`
			Size int64  `db:"size"`
		}
		if err := db.Select(&rows, `SELECT b.path, b.size FROM repos r JOIN blobs b ON b.repo = r.id
			WHERE r.path = ? AND b.payload IS NULL
			  AND EXISTS (SELECT 1 FROM files f JOIN revisions v ON v.id = f.revision WHERE f.blob = b.id AND v.repo = r.id)`, repo); err != nil {
			return nil, err
		}
		for _, r := range rows {
			freed[r.Path] = r.Size
		}
	}
	var links []struct {
		Idx  int    `db:"idx"`
		Path string `db:"path"`
	}
	if err := db.Select(&links, `SELECT CAST(j.key AS INTEGER) AS idx, coalesce(p.path, b.path) AS path
		FROM json_each(?) j CROSS JOIN files f ON f.revision = CAST(j.value AS INTEGER)
		CROSS JOIN blobs b ON b.id = f.blob LEFT JOIN payloads p ON p.id = b.payload`, mustJSON(revIDs)); err != nil {
		return nil, err
	}
	last := map[string]int{}
	for _, l := range links {
		if i, ok := last[l.Path]; !ok || l.Idx > i {
			last[l.Path] = l.Idx
		}
	}
	out := make([]int64, len(revIDs))
	for p, n := range freed {
		if i, ok := last[p]; ok {
			out[i] += n
		}
	}
	return out, nil
}

// FolderExtras returns, for each repo folder given by path, the files its
// removal whole takes that the plan does not count: blob entries no
// snapshot of the repo links (orphans, however young) and interrupted
// downloads, by path with their apparent bytes. It returns the database
// error, if any.
func FolderExtras(db Reader, repoPaths []string) (map[string]map[string]int64, error) {
	out := map[string]map[string]int64{}
	for _, rp := range repoPaths {
		var rows []struct {
			Path string `db:"path"`
			Size int64  `db:"size"`
		}
		if err := db.Select(&rows, `SELECT b.path, b.size FROM repos r JOIN blobs b ON b.repo = r.id
			WHERE r.path = ? AND b.kind = 'blob' AND b.payload IS NULL AND b.missing = 0
			  AND NOT EXISTS (SELECT 1 FROM files f JOIN revisions v ON v.id = f.revision WHERE f.blob = b.id AND v.repo = r.id)
			UNION ALL
			SELECT i.path, i.size FROM repos r JOIN incomplete_files i ON i.repo = r.id WHERE r.path = ?`, rp, rp); err != nil {
			return nil, err
		}
		m := map[string]int64{}
		for _, r := range rows {
			m[r.Path] = r.Size
		}
		out[rp] = m
	}
	return out, nil
}
