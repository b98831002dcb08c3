package state

import (
	"database/sql"
	"errors"
)

// Use is one use of a cached file.
type Use struct {
	Path   string  `db:"path"`    // relative to the cache root, / separated
	UsedAt float64 `db:"used_at"` // epoch seconds
	Source string  `db:"source"`  // touch, run or sample
	Detail string  `db:"detail"`  // e.g. "4711 python serve.py"
}

// Sources of a use, as Use.Source names them.
const (
	SourceTouch  = "touch"
	SourceRun    = "run"
	SourceSample = "sample"
)

// Resolution is how stale a record may be: a file's use is written at
// most once per hour, so a model loaded every minute costs one write an
// hour, as cargo's last-use tracking does.
const Resolution = 3600.0

func (s *Store) cacheID(q getter, root string, create bool) (int64, error) {
	var id int64
	err := q.Get(&id, `SELECT id FROM caches WHERE root = ?`, root)
	if errors.Is(err, sql.ErrNoRows) && create {
		err = q.Get(&id, `INSERT INTO caches(root) VALUES (?) RETURNING id`, root)
	}
	return id, err
}

// getter is what cacheID reads through: the store's db or a transaction.
type getter interface {
	Get(dest any, query string, args ...any) error
}

// Record writes the uses of files of the cache at root, in one
// transaction. A file's record changes only when the new use is at least
// Resolution later than the one kept (or the file had none), so repeated
// uses cost nothing. It returns how many records it wrote.
func (s *Store) Record(root string, uses []Use) (int, error) {
	if len(uses) == 0 {
		return 0, nil
	}
	tx, err := s.db.Beginx()
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	id, err := s.cacheID(tx, root, true)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, u := range uses {
		r, err := tx.Exec(`INSERT INTO usage(cache, path, used_at, source, detail) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT(cache, path) DO UPDATE SET used_at = excluded.used_at, source = excluded.source, detail = excluded.detail
			WHERE excluded.used_at >= usage.used_at + ?`, id, u.Path, u.UsedAt, u.Source, u.Detail, Resolution)
		if err != nil {
			return 0, err
		}
		k, _ := r.RowsAffected()
		n += int(k)
	}
	if n > 0 {
		if _, err := tx.Exec(`INSERT INTO changes(cache, n) VALUES (?, 1) ON CONFLICT(cache) DO UPDATE SET n = n + 1`, id); err != nil {
			return 0, err
		}
	}
	return n, tx.Commit()
}

// Changes returns a number that grows with every write to the records of
// the cache at root (0 when it has none), for a sync to tell whether its
// copy is current.
func (s *Store) Changes(root string) (int64, error) {
	var n int64
	err := s.db.Get(&n, `SELECT coalesce((SELECT c.n FROM changes c JOIN caches k ON k.id = c.cache WHERE k.root = ?), 0)`, root)
	return n, err
}

// Uses returns every record of the cache at root, by path.
func (s *Store) Uses(root string) ([]Use, error) {
	uses := []Use{}
	err := s.db.Select(&uses, `SELECT u.path, u.used_at, u.source, u.detail FROM usage u JOIN caches k ON k.id = u.cache
		WHERE k.root = ? ORDER BY u.path`, root)
	return uses, err
}

// Forget removes the records of the cache at root whose path keep
// rejects (files no longer in the cache), so the records stay bounded by
// the files the cache holds. It returns how many went.
func (s *Store) Forget(root string, keep func(path string) bool) (int, error) {
	uses, err := s.Uses(root)
	if err != nil {
		return 0, err
	}
	var gone []string
	for _, u := range uses {
		if !keep(u.Path) {
			gone = append(gone, u.Path)
		}
	}
	if len(gone) == 0 {
		return 0, nil
	}
	tx, err := s.db.Beginx()
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	id, err := s.cacheID(tx, root, false)
	if err != nil {
		return 0, err
	}
	for _, p := range gone {
		if _, err := tx.Exec(`DELETE FROM usage WHERE cache = ? AND path = ?`, id, p); err != nil {
			return 0, err
		}
	}
	if _, err := tx.Exec(`UPDATE changes SET n = n + 1 WHERE cache = ?`, id); err != nil {
		return 0, err
	}
	return len(gone), tx.Commit()
}
