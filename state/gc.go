package state

// GCRun is one recorded run of gc.
type GCRun struct {
	RanAt   float64 `db:"ran_at"`
	Items   int     `db:"items"`
	Freed   int64   `db:"freed"`
	Outcome string  `db:"outcome"`
}

// RecordGC records a run of gc on the cache at root.
func (s *Store) RecordGC(root string, run GCRun) error {
	tx, err := s.db.Beginx()
	if err != nil {
		return err
	}
	defer tx.Rollback()
	id, err := s.cacheID(tx, root, true)
	if err != nil {
		return err
	}
	if _, err := tx.Exec(`INSERT INTO gc_runs(cache, ran_at, items, freed, outcome) VALUES (?, ?, ?, ?, ?)`,
		id, run.RanAt, run.Items, run.Freed, run.Outcome); err != nil {
		return err
	}
	return tx.Commit()
}

// LastGC returns the latest run of gc on the cache at root whose outcome
// is one of outcomes, and false when there is none.
func (s *Store) LastGC(root string, outcomes ...string) (GCRun, bool, error) {
	var runs []GCRun
	if err := s.db.Select(&runs, `SELECT g.ran_at, g.items, g.freed, g.outcome FROM gc_runs g JOIN caches c ON c.id = g.cache
		WHERE c.root = ? ORDER BY g.ran_at DESC LIMIT 50`, root); err != nil {
		return GCRun{}, false, err
	}
	for _, r := range runs {
		for _, o := range outcomes {
			if r.Outcome == o {
				return r, true, nil
			}
		}
	}
	return GCRun{}, false, nil
}
