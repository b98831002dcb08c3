package index

import (
	"path/filepath"
	"strconv"

	"github.com/hfidx/hfidx/schema"
)

// Use is one last-use record of a file of the cache, as the durable state
// keeps it.
type Use struct {
	Path   string  // relative to the cache root, / separated
	UsedAt float64 // epoch seconds
	Source string  // touch, run or sample
	Detail string  // who used it
}

// UsageCopy is what RefreshUsage copies into the index: the state's
// records of one cache, with the state's change count for them, and the
// atime mode of the cache's mount ("relatime", "noatime", …; "" unknown).
type UsageCopy struct {
	Changes   int64
	AtimeMode string
	Uses      func() ([]Use, error)
}

// RefreshUsage copies the last-use records of the cache at root into the
// index at dbPath (table usage_records, absolute paths) when the index
// holds an older copy (another change count or atime mode), in one
// transaction; it reads nothing else and returns false when the copy was
// current. It returns, for the caller to drop from the state, the records
// whose file the index does not hold (the cache no longer has it), and the
// error of opening or writing the index or of Uses.
func RefreshUsage(root, dbPath string, c UsageCopy) (refreshed bool, gone []string, err error) {
	db, err := schema.OpenWritable(dbPath)
	if err != nil {
		return false, nil, err
	}
	defer db.Close()
	have := map[string]string{}
	var rows []struct {
		Key   string `db:"key"`
		Value string `db:"value"`
	}
	if err := db.Select(&rows, `SELECT key, value FROM meta WHERE key IN ('usage_changes', 'atime_mode')`); err != nil {
		return false, nil, err
	}
	for _, r := range rows {
		have[r.Key] = r.Value
	}
	changes := strconv.FormatInt(c.Changes, 10)
	_, known := have["usage_changes"]
	if known && have["usage_changes"] == changes && have["atime_mode"] == c.AtimeMode {
		return false, nil, nil
	}
	uses, err := c.Uses()
	if err != nil {
		return false, nil, err
	}
	tx, err := db.Beginx()
	if err != nil {
		return false, nil, err
	}
	defer tx.Rollback()
	if _, err := tx.Exec(`DELETE FROM usage_records`); err != nil {
		return false, nil, err
	}
	for _, u := range uses {
		abs := filepath.Join(root, filepath.FromSlash(u.Path))
		if _, err := tx.Exec(`INSERT OR REPLACE INTO usage_records(path, used_at, source, detail) VALUES (?, ?, ?, ?)`,
			abs, u.UsedAt, u.Source, u.Detail); err != nil {
			return false, nil, err
		}
	}
	var missing []string
	if err := tx.Select(&missing, `SELECT path FROM usage_records
		WHERE path NOT IN (SELECT path FROM blobs) AND path NOT IN (SELECT path FROM payloads) ORDER BY path`); err != nil {
		return false, nil, err
	}
	for _, kv := range [][2]string{{"usage_changes", changes}, {"atime_mode", c.AtimeMode}} {
		if _, err := tx.Exec(`INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)`, kv[0], kv[1]); err != nil {
			return false, nil, err
		}
	}
	if err := tx.Commit(); err != nil {
		return false, nil, err
	}
	for _, p := range missing {
		if rel, err := filepath.Rel(root, p); err == nil {
			gone = append(gone, filepath.ToSlash(rel))
		}
	}
	return true, gone, nil
}
