package index

import (
	"time"

	"github.com/hfidx/hfidx/cache"
	"github.com/hfidx/hfidx/schema"
)

// SaveAssets replaces the assets table of the index at path (which must
// exist and be of this hfidx's version) with assets, read at time at, in
// one transaction. It returns the error of schema.OpenWritable or of the
// database.
func SaveAssets(path string, assets []cache.Asset, at time.Time) error {
	db, err := schema.OpenWritable(path)
	if err != nil {
		return err
	}
	defer db.Close()
	tx, err := db.Beginx()
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.Exec(`DELETE FROM assets`); err != nil {
		return err
	}
	ins, err := tx.Prepare(`INSERT OR REPLACE INTO assets(library, namespace, subfolder, path, kind, size, usage, files, last_modified, scanned_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return err
	}
	defer ins.Close()
	ts := float64(at.UnixNano()) / 1e9
	for _, a := range assets {
		if _, err := ins.Exec(a.Library, a.Namespace, a.Subfolder, a.Path, a.Kind, a.Size, a.Usage, a.Files, a.LastModified, ts); err != nil {
			return err
		}
	}
	return tx.Commit()
}
