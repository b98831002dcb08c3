package index

import (
	"context"

	"github.com/jmoiron/sqlx"

	"github.com/hfidx/hfidx/schema"
)

// carryOver copies into the index being built (db, already filled by the
// scan) the rows other commands keep in the index, from the index at old
// that it replaces: verify's digests of files still in the cache (same
// device, inode and size as a blob), and the assets listing. It is best
// effort and reports nothing: an old index that cannot be read only costs
// the next verify a re-read of every file.
func carryOver(db *sqlx.DB, old string) {
	if schema.Check(old) != nil {
		return
	}
	ctx := context.Background()
	conn, err := db.Connx(ctx)
	if err != nil {
		return
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `ATTACH DATABASE ? AS prev`, schema.URI(old, "mode=ro")); err != nil {
		return
	}
	defer conn.ExecContext(ctx, `DETACH DATABASE prev`)
	has := func(table string) bool {
		var n int
		err := conn.GetContext(ctx, &n, `SELECT count(*) FROM prev.sqlite_schema WHERE type = 'table' AND name = ?`, table)
		return err == nil && n == 1
	}
	tx, err := conn.BeginTxx(ctx, nil)
	if err != nil {
		return
	}
	defer tx.Rollback()
	if has("verified") {
		if _, err := tx.Exec(`INSERT OR IGNORE INTO verified(dev, ino, size, mtime_ns, algo, digest, verified_at)
			SELECT dev, ino, size, mtime_ns, algo, digest, verified_at FROM prev.verified
			WHERE (dev, ino, size) IN (SELECT dev, ino, size FROM blobs)`); err != nil {
			return
		}
	}
	if has("assets") {
		if _, err := tx.Exec(`INSERT OR IGNORE INTO assets(library, namespace, subfolder, path, kind, size, usage, files, last_modified, scanned_at)
			SELECT library, namespace, subfolder, path, kind, size, usage, files, last_modified, scanned_at FROM prev.assets`); err != nil {
			return
		}
	}
	tx.Commit()
}
