package query

import (
	"encoding/json"
	"sort"
)

// SelectionFiles returns the files a use of sel reads, each once, as
// absolute paths of what is read in the end: a store payload for a repo
// entry that links into the shared store, else the blob (or the real file
// of a snapshot). A repo selected whole stands for all its revisions; a
// revision for all its files. It returns the database error, if any.
func SelectionFiles(db Reader, sel *Selection) ([]string, error) {
	return inSnapshot(db, func(db Reader) ([]string, error) {
		seen := map[string]bool{}
		add := func(q string, args ...any) error {
			var paths []string
			if err := db.Select(&paths, q, args...); err != nil {
				return err
			}
			for _, p := range paths {
				seen[p] = true
			}
			return nil
		}
		const final = `SELECT DISTINCT coalesce(p.path, b.path) FROM revisions v JOIN repos r ON r.id = v.repo
			JOIN files f ON f.revision = v.id JOIN blobs b ON b.id = f.blob LEFT JOIN payloads p ON p.id = b.payload
			WHERE b.missing = 0 AND `
		for k := range sel.Revisions {
			if err := add(final+`r.folder = ? AND v.commit_hash = ?`, k.Folder, k.Hash); err != nil {
				return nil, err
			}
		}
		for f := range sel.Repos {
			if err := add(final+`r.folder = ?`, f); err != nil {
				return nil, err
			}
		}
		var keys []FileKey
		for k := range sel.Files {
			keys = append(keys, k)
		}
		if len(keys) > 0 {
			b, _ := json.Marshal(keys)
			if err := add(final+`EXISTS (SELECT 1 FROM json_each(?) j WHERE json_extract(j.value, '$.Folder') = r.folder
				AND json_extract(j.value, '$.Hash') = v.commit_hash AND json_extract(j.value, '$.RelPath') = f.rel_path)`, string(b)); err != nil {
				return nil, err
			}
		}
		out := make([]string, 0, len(seen))
		for p := range seen {
			out = append(out, p)
		}
		sort.Strings(out)
		return out, nil
	})
}
