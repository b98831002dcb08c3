package index

import (
	"errors"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/hfidx/hfidx/cache"
	"github.com/hfidx/hfidx/schema"
)

// Digests is the store of content digests verify keeps in the index
// (table verified), keyed by file identity.
type Digests struct {
	path     string
	readOnly bool
	// Known are the digests kept when the store was opened.
	Known map[cache.DigestKey]string
}

// ErrReadOnly is returned by Keep on a store opened read-only.
var ErrReadOnly = errors.New("the index was opened read-only")

// OpenDigests reads the digests kept in the index at path, which must
// exist and be of this hfidx's version; a read-only store never writes to
// the file. It returns the error of schema.OpenWritable (or
// schema.OpenReadOnly), or of the database.
func OpenDigests(path string, readOnly bool) (*Digests, error) {
	d := &Digests{path: path, readOnly: readOnly}
	open := schema.OpenWritable
	if readOnly {
		open = schema.OpenReadOnly
	}
	db, err := open(path)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	rows, err := db.Query(`SELECT dev, ino, size, mtime_ns, algo, digest FROM verified`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	d.Known = map[cache.DigestKey]string{}
	for rows.Next() {
		var k cache.DigestKey
		var dev, ino int64
		var algo, digest string
		if err := rows.Scan(&dev, &ino, &k.Size, &k.Mtime, &algo, &digest); err != nil {
			return nil, err
		}
		k.Dev, k.Ino, k.Algo = uint64(dev), uint64(ino), cache.Algo(algo)
		d.Known[k] = digest
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return d, nil
}

// Keep records digests computed at time at, and forgets the keys in
// forget, in one transaction. The index is reopened for it, so that a sync
// that replaced the file meanwhile gets the rows. It returns the database
// error, if any.
func (d *Digests) Keep(digests []cache.Digest, forget []cache.DigestKey, at time.Time) error {
	if len(digests) == 0 && len(forget) == 0 {
		return nil
	}
	if d.readOnly {
		return ErrReadOnly
	}
	db, err := schema.OpenWritable(d.path)
	if err != nil {
		return err
	}
	defer db.Close()
	tx, err := db.Beginx()
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := keep(tx, digests, forget, float64(at.UnixNano())/1e9); err != nil {
		return err
	}
	return tx.Commit()
}

func keep(tx *sqlx.Tx, digests []cache.Digest, forget []cache.DigestKey, at float64) error {
	ins, err := tx.Prepare(`INSERT OR REPLACE INTO verified(dev, ino, size, mtime_ns, algo, digest, verified_at) VALUES (?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return err
	}
	defer ins.Close()
	for _, g := range digests {
		k := g.Key
		if _, err := ins.Exec(int64(k.Dev), int64(k.Ino), k.Size, k.Mtime, string(k.Algo), g.Hex, at); err != nil {
			return err
		}
	}
	del, err := tx.Prepare(`DELETE FROM verified WHERE dev = ? AND ino = ? AND size = ? AND mtime_ns = ? AND algo = ?`)
	if err != nil {
		return err
	}
	defer del.Close()
	for _, k := range forget {
		if _, err := del.Exec(int64(k.Dev), int64(k.Ino), k.Size, k.Mtime, string(k.Algo)); err != nil {
			return err
		}
	}
	return nil
}
