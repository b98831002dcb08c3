package state

import (
	"database/sql"
	"errors"
)

// Pin is a target kept from gc, as the user wrote it.
type Pin struct {
	Target    string  `db:"target" json:"target"` // as delete accepts it, exactly as given
	Note      string  `db:"note" json:"note"`
	CreatedAt float64 `db:"created_at" json:"created_at"` // epoch seconds
}

// AddPins pins targets of the cache at root, in one transaction. A target
// already pinned keeps its first record (its creation time and, when the
// new one has none, its note); a new non-empty note replaces the note. It
// returns how many targets were not pinned before, and 0 with any error of
// SQLite, when nothing is written.
func (s *Store) AddPins(root string, pins []Pin) (added int, err error) {
	if len(pins) == 0 {
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
	for _, p := range pins {
		r, err := tx.Exec(`INSERT INTO pins(cache, target, note, created_at) VALUES (?, ?, ?, ?)
			ON CONFLICT(cache, target) DO NOTHING`, id, p.Target, p.Note, p.CreatedAt)
		if err != nil {
			return 0, err
		}
		if k, _ := r.RowsAffected(); k > 0 {
			added++
			continue
		}
		if p.Note != "" {
			if _, err := tx.Exec(`UPDATE pins SET note = ? WHERE cache = ? AND target = ?`, p.Note, id, p.Target); err != nil {
				return 0, err
			}
		}
	}
	if err := tx.Commit(); err != nil {
		return 0, err
	}
	return added, nil
}

// RemovePins unpins targets of the cache at root, matched by their exact
// text, in one transaction. It returns how many were pinned (a target
// that was not is no error), and 0 with any error of SQLite.
func (s *Store) RemovePins(root string, targets []string) (removed int, err error) {
	if len(targets) == 0 {
		return 0, nil
	}
	tx, err := s.db.Beginx()
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	id, err := s.cacheID(tx, root, false)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	for _, t := range targets {
		r, err := tx.Exec(`DELETE FROM pins WHERE cache = ? AND target = ?`, id, t)
		if err != nil {
			return 0, err
		}
		k, _ := r.RowsAffected()
		removed += int(k)
	}
	if err := tx.Commit(); err != nil {
		return 0, err
	}
	return removed, nil
}

// Pins returns the pins of the cache at root, ordered by target (byte
// order), none for a cache the state has no records of. It fails with
// SQLite's error.
func (s *Store) Pins(root string) ([]Pin, error) {
	pins := []Pin{}
	err := s.db.Select(&pins, `SELECT p.target, p.note, p.created_at FROM pins p JOIN caches k ON k.id = p.cache
		WHERE k.root = ? ORDER BY p.target`, root)
	if err != nil {
		return nil, err
	}
	return pins, nil
}
