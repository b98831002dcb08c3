package query

import (
	"github.com/jmoiron/sqlx"
)

// Asset is one row of the assets table: a <library>/<namespace>/<subfolder>
// of the assets cache, or a shallower entry holding no deeper folder. Its
// fields are those of cache.Asset, so one converts to the other.
type Asset struct {
	Library      string  `json:"library" db:"library"`
	Namespace    string  `json:"namespace" db:"namespace"`
	Subfolder    string  `json:"subfolder" db:"subfolder"`
	Path         string  `json:"path" db:"path"`
	Kind         string  `json:"kind" db:"kind"`
	Size         int64   `json:"size" db:"size"`
	Usage        int64   `json:"usage" db:"usage"`
	Files        int     `json:"files" db:"files"`
	LastModified float64 `json:"last_modified" db:"last_modified"`
}

// LoadAssets reads the assets table as the last hfidx assets command left
// it, sorted by library, namespace and subfolder. It returns the database
// error, if any.
func LoadAssets(db *sqlx.DB) ([]Asset, error) {
	out := []Asset{}
	err := db.Select(&out, `SELECT library, namespace, subfolder, path, kind, size, usage, files, last_modified
		FROM assets ORDER BY library, namespace, subfolder`)
	return out, err
}

// AssetsTable lays the assets out for WriteHuman (human: sizes and times
// formatted, relative to now) or for CSV and TSV (raw numbers and the
// path).
func AssetsTable(as []Asset, human bool, now float64) Table {
	t := Table{Right: map[string]bool{"size": true, "files": true}}
	if human {
		t.Columns = []string{"library", "namespace", "subfolder", "size", "files", "last_modified"}
		for _, a := range as {
			t.Rows = append(t.Rows, []any{a.Library, a.Namespace, a.Subfolder, FormatSize(a.Size), a.Files,
				FormatTimeSince(a.LastModified, now)})
		}
		return t
	}
	t.Columns = []string{"library", "namespace", "subfolder", "path", "kind", "size", "usage", "files", "last_modified"}
	for _, a := range as {
		t.Rows = append(t.Rows, []any{a.Library, a.Namespace, a.Subfolder, a.Path, a.Kind, a.Size, a.Usage, a.Files, a.LastModified})
	}
	return t
}
