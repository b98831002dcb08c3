package query_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/hfidx/hfidx/schema"
)

// indexDump reads what an index says about the cache, with every row keyed
// by paths and names rather than row ids, so that two indexes of the same
// cache built differently (a sync after a delete, a fresh full sync)
// compare equal exactly when they say the same.
var indexDump = []string{
	`SELECT folder, repo_path, repo_type, repo_id, cache_id, damaged, size_on_disk, nb_files, nb_revisions, refs, last_accessed, last_modified FROM repo_usage ORDER BY folder`,
	`SELECT cache_id, commit_hash, snapshot_path, size_on_disk, nb_files, refs, exclusive_size, last_modified FROM revision_usage ORDER BY snapshot_path`,
	`SELECT path, kind, missing, size, usage, atime, mtime FROM blobs ORDER BY path`,
	`SELECT file_path, rel_path, file_name, kind, link_target, (SELECT path FROM blobs WHERE blobs.id = files.blob) FROM files ORDER BY file_path`,
	`SELECT r.folder, f.name, f.path, f.commit_hash, f.revision IS NULL FROM refs f JOIN repos r ON r.id = f.repo ORDER BY f.path`,
	`SELECT entry, path, message, damaging FROM warnings ORDER BY entry, path, message`,
	`SELECT path, entry, size, mtime FROM incomplete_files ORDER BY path`,
	`SELECT path, commit_hash, rel_path FROM no_exist ORDER BY path`,
	`SELECT * FROM cache_usage`,
}

// diffIndexes returns the rows on which the indexes at a and b differ.
func diffIndexes(t *testing.T, a, b string) string {
	t.Helper()
	dump := func(path string) [][]string {
		db, err := schema.OpenReadOnly(path)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		var out [][]string
		for _, q := range indexDump {
			rows, err := db.Queryx(q)
			if err != nil {
				t.Fatalf("%s: %v", q, err)
			}
			var lines []string
			for rows.Next() {
				vals, err := rows.SliceScan()
				if err != nil {
					t.Fatal(err)
				}
				var cells []string
				for _, v := range vals {
					if bs, ok := v.([]byte); ok {
						v = string(bs)
					}
					cells = append(cells, fmt.Sprint(v))
				}
				lines = append(lines, strings.Join(cells, " | "))
			}
			rows.Close()
			out = append(out, lines)
		}
		return out
	}
	da, dbb := dump(a), dump(b)
	var d []string
	for i := range indexDump {
		x, y := strings.Join(da[i], "\n"), strings.Join(dbb[i], "\n")
		if x != y {
			d = append(d, fmt.Sprintf("%s\n--- after the delete:\n%s\n--- fresh sync:\n%s", indexDump[i], x, y))
		}
	}
	return strings.Join(d, "\n")
}
