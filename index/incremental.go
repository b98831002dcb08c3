package index

import (
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io/fs"
	"strconv"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/hfidx/hfidx/cache"
	"github.com/hfidx/hfidx/schema"
)

// chunk is how many top-level entries an incremental sync checks between
// two reads of the index: it bounds what is held in memory.
const chunk = 256

// knownRepo is a repo row of the index being updated.
type knownRepo struct {
	ID       int64          `db:"id"`
	Folder   string         `db:"folder"`
	Atime    float64        `db:"atime"`
	Damaged  bool           `db:"damaged"`
	Warnings int            `db:"warnings"`
	HasState bool           `db:"has_state"`
	Cross    bool           `db:"cross_repo"`
	Digest   string         `db:"digest"`
	Link     sql.NullString `db:"link_target"`
}

// checkable reports whether the repo may be found unchanged without
// listing it: repos with warnings are listed again every time, since what
// they warn about may lie outside the folders whose times are kept (a
// link out of the repo is one). A repo whose blob another repo links is
// checkable: its rows stay as long as it does not change.
func (k knownRepo) checkable() bool {
	return k.HasState && !k.Damaged && k.Warnings == 0 && !k.Link.Valid
}

// checked is a repo of a chunk to check, with its state.
type checked struct {
	repo  knownRepo
	state cache.State
}

type outcome struct {
	refresh *cache.Refresh
	entry   cache.Entry
}

// deleteRepo removes every row of a repo, children first.
var deleteRepo = []string{
	`DELETE FROM files WHERE revision IN (SELECT id FROM revisions WHERE repo = ?)`,
	`DELETE FROM refs WHERE repo = ?`,
	`DELETE FROM revisions WHERE repo = ?`,
	`DELETE FROM blobs WHERE repo = ?`,
	`DELETE FROM no_exist WHERE repo = ?`,
	`DELETE FROM incomplete_files WHERE repo = ?`,
	`DELETE FROM warnings WHERE repo = ?`,
	`DELETE FROM sync_state WHERE repo = ?`,
	`DELETE FROM repos WHERE id = ?`,
}

// incremental updates the index at dbPath in place. It returns an error
// (and leaves the index as it was) whenever a full sync is needed instead;
// the error says why.
func incremental(root, dbPath string, opts Options, start time.Time) (Stats, error) {
	st := Stats{CacheDir: root, Index: dbPath, Mode: "incremental"}
	db, err := schema.OpenSyncing(dbPath)
	if err != nil {
		return st, fmt.Errorf("the index cannot be updated in place: %v", err)
	}
	defer db.Close()
	meta := map[string]string{}
	var rows []struct {
		Key   string `db:"key"`
		Value string `db:"value"`
	}
	if err := db.Select(&rows, `SELECT key, value FROM meta`); err != nil {
		return st, err
	}
	for _, r := range rows {
		meta[r.Key] = r.Value
	}
	if meta["cache_dir"] != root {
		return st, errors.New("the index is of another cache folder")
	}
	walker := opts.walker(root)
	if boolText(walker.Store()) != meta["store"] {
		return st, errors.New("the shared blob store appeared or went")
	}
	w, err := newWriter(db)
	if err != nil {
		return st, err
	}
	done := false
	defer func() {
		if !done {
			w.tx.Rollback()
		}
	}()
	// The transaction holds the write lock from its start (BEGIN
	// IMMEDIATE), so nothing changes what is read below. changed tells
	// whether anything is written; if not, nothing is committed.
	changed := false
	// Without a shared store the summary kept by the last sync is brought
	// up to date with the size of each repo rewritten, refreshed or gone,
	// instead of being counted again over every file.
	var kept Stats
	keep := !walker.Store() && keptTotals(w.tx, &kept)
	var delta int64
	resize := func(id int64, sign int64) error {
		if !keep {
			return nil
		}
		size, err := repoSize(w.tx, id)
		delta += sign * size
		return err
	}
	if walker.Store() {
		moved, err := refreshStore(w.tx, walker, meta["store_state"])
		if err != nil {
			return st, err
		}
		changed = moved
	}
	var known []knownRepo
	if err := w.tx.Select(&known, `SELECT r.id, r.folder, r.atime, r.damaged, r.link_target,
			(SELECT count(*) FROM warnings x WHERE x.repo = r.id) AS warnings,
			coalesce(s.state, '') <> '' AS has_state, coalesce(s.cross_repo, 0) AS cross_repo, coalesce(s.digest, '') AS digest
		FROM repos r LEFT JOIN sync_state s ON s.repo = r.id`); err != nil {
		return st, err
	}
	byFolder := make(map[string]*knownRepo, len(known))
	for i := range known {
		byFolder[known[i].Folder] = &known[i]
	}
	// Entries that are not repos are listed again every time.
	before, err := loose(w.tx)
	if err != nil {
		return st, err
	}
	for _, q := range []string{`DELETE FROM warnings WHERE repo IS NULL`, `DELETE FROM incomplete_files WHERE repo IS NULL`} {
		if _, err := w.tx.Exec(q); err != nil {
			return st, err
		}
	}
	total := 0
	if opts.Progress != nil {
		if total, err = walker.CountEntries(); err != nil {
			return st, err
		}
	}
	seen := make(map[string]bool, len(known))
	h := w.handler()
	read, listed := 0, 0
	// The states of the next chunk are read (and parsed) while the current
	// one is checked; database/sql serialises the two on the connection.
	type loaded struct {
		checks []*checked
		err    error
	}
	load := func(entries []fs.DirEntry, lo int) chan loaded {
		c := make(chan loaded, 1)
		if lo >= len(entries) {
			close(c)
			return c
		}
		part := entries[lo:min(lo+chunk, len(entries))]
		go func() {
			checks, err := loadChecks(w.tx, part, byFolder)
			c <- loaded{checks, err}
		}()
		return c
	}
	err = walker.EachEntries(func(entries []fs.DirEntry) error {
		defer func() { listed += len(entries) }()
		next := load(entries, 0)
		for lo := 0; lo < len(entries); lo += chunk {
			part := entries[lo:min(lo+chunk, len(entries))]
			got := <-next
			if got.err != nil {
				return got.err
			}
			checks := got.checks
			next = load(entries, lo+chunk)
			err = cache.Ordered(len(part), opts.Jobs, func(i int) outcome {
				if c := checks[i]; c != nil {
					if ref, ok := walker.Check(c.repo.Folder, &c.state, opts.SkipBlobStats); ok {
						return outcome{refresh: ref}
					}
				}
				return outcome{entry: walker.Entry(part[i])}
			}, func(i int, o outcome) error {
				if opts.Progress != nil {
					if o.refresh != nil {
						read += len(o.refresh.Blobs) + len(o.refresh.Incomplete)
					} else {
						read += entryCount(o.entry)
					}
					opts.Progress(listed+lo+i+1, max(total, listed+lo+i+1), read)
				}
				name := part[i].Name()
				if byFolder[name] != nil {
					seen[name] = true
				}
				if o.refresh != nil {
					st.Unchanged++
					sizes := o.refresh.Blobs != nil
					if sizes {
						if err := resize(checks[i].repo.ID, -1); err != nil {
							return err
						}
					}
					moved, err := applyRefresh(w.tx, checks[i], o.refresh)
					changed = changed || moved
					if err == nil && sizes {
						err = resize(checks[i].repo.ID, 1)
					}
					return err
				}
				k := byFolder[name]
				if r := o.entry.Repo; r != nil && k != nil && k.Digest != "" && r.Digest() == k.Digest {
					// Listed again (it has warnings, or a folder moved) and found
					// as it was: nothing to write.
					st.Rescanned++
					return nil
				}
				changed = changed || o.entry.Repo != nil || o.entry.Big || k != nil
				if k != nil {
					if k.Cross {
						return fmt.Errorf("%s, linked with another repo, changed", name)
					}
					if err := resize(k.ID, -1); err != nil {
						return err
					}
					if err := removeRepo(w.tx, k.ID); err != nil {
						return err
					}
				}
				if o.entry.Repo != nil || o.entry.Big {
					st.Rescanned++
				}
				if err := w.entry(walker, h, o.entry); err != nil {
					return err
				}
				if len(w.cross) > 0 {
					return fmt.Errorf("%s links into another repo", name)
				}
				return nil
			})
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return st, err
	}
	for _, k := range known {
		if seen[k.Folder] {
			continue
		}
		if k.Cross {
			return st, fmt.Errorf("%s, linked with another repo, is gone", k.Folder)
		}
		if err := resize(k.ID, -1); err != nil {
			return st, err
		}
		if err := removeRepo(w.tx, k.ID); err != nil {
			return st, err
		}
		st.Removed++
		changed = true
	}
	// Digests of files no longer in the cache go, as a full sync drops them;
	// only a change of blob rows can leave such digests.
	if changed {
		if _, err := w.tx.Exec(`DELETE FROM verified WHERE (dev, ino, size) NOT IN (SELECT dev, ino, size FROM blobs)`); err != nil {
			return st, err
		}
	}
	if !changed && len(w.pending) == 0 {
		if after, err := loose(w.tx); err != nil || after != before {
			changed = true
		}
	} else {
		changed = true
	}
	if !changed {
		// Nothing to write: the index is current as it is.
		done = true
		w.tx.Rollback()
		if opts.Summary && !keptTotals(db, &st) {
			if err := counts(db, &st); err != nil {
				return st, &IndexError{dbPath, err}
			}
		}
		return finished(start, st), nil
	}
	if err := w.flushPending(); err != nil {
		return st, err
	}
	st.Duration = time.Since(start)
	updated := map[string]string{
		"synced_at":     strconv.FormatFloat(float64(time.Now().UnixNano())/1e9, 'f', 3, 64),
		"sync_seconds":  strconv.FormatFloat(st.Duration.Seconds(), 'f', 3, 64),
		"hfidx_version": Version,
		"totals":        "", // stale unless brought up to date below
	}
	if keep {
		if err := rowCounts(w.tx, &st); err != nil {
			return st, err
		}
		// The repos written add what the writer summed.
		st.SizeOnDisk = kept.SizeOnDisk + delta + w.sizeOnDisk
		updated["totals"] = st.totals()
	}
	if err := w.finish(updated); err != nil {
		done = true // finish rolled back
		return st, err
	}
	done = true
	if opts.Summary && !keep {
		if err := counts(db, &st); err != nil {
			return st, &IndexError{dbPath, err}
		}
		db.Exec(`UPDATE meta SET value = ? WHERE key = 'totals'`, st.totals())
	}
	return finished(start, st), nil
}

// repoSize is the repo's share of the cache's size on disk: the sizes of
// the distinct blobs its snapshots link, 0 for a damaged repo.
func repoSize(tx *sqlx.Tx, id int64) (int64, error) {
	var size int64
	err := tx.Get(&size, `SELECT CASE WHEN (SELECT damaged FROM repos WHERE id = ?1) = 1 THEN 0 ELSE
		coalesce((SELECT sum(b.size) FROM blobs b WHERE b.id IN
			(SELECT f.blob FROM revisions v CROSS JOIN files f ON f.revision = v.id WHERE v.repo = ?1)), 0) END`, id)
	return size, err
}

// finished stamps the sync's duration.
func finished(start time.Time, st Stats) Stats {
	st.Duration = time.Since(start)
	st.Seconds = st.Duration.Seconds()
	return st
}

// loose sums the rows of top-level entries that are not repos, which
// every sync lists again, to tell whether they changed without holding
// them.
func loose(tx *sqlx.Tx) (uint64, error) {
	rows, err := tx.Query(`SELECT 'w ' || entry || ' ' || path || ' ' || message FROM warnings WHERE repo IS NULL
		UNION ALL SELECT 'i ' || path || ' ' || entry || ' ' || size || ' ' || mtime FROM incomplete_files WHERE repo IS NULL
		ORDER BY 1`)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	h := fnv.New64a()
	var row []byte
	for rows.Next() {
		if err := rows.Scan(&row); err != nil {
			return 0, err
		}
		h.Write(row)
		h.Write([]byte{0})
	}
	return h.Sum64(), rows.Err()
}

func removeRepo(tx *sqlx.Tx, id int64) error {
	for _, q := range deleteRepo {
		if _, err := tx.Exec(q, id); err != nil {
			return err
		}
	}
	return nil
}

// loadChecks reads the states of the known, checkable repos among
// entries.
func loadChecks(tx *sqlx.Tx, entries []fs.DirEntry, byFolder map[string]*knownRepo) ([]*checked, error) {
	out := make([]*checked, len(entries))
	byID := map[int64]*checked{}
	var ids []int64
	for i, e := range entries {
		k := byFolder[e.Name()]
		if k == nil || !k.checkable() || !e.IsDir() {
			continue
		}
		c := &checked{repo: *k}
		out[i] = c
		byID[k.ID] = c
		ids = append(ids, k.ID)
	}
	if len(ids) == 0 {
		return out, nil
	}
	list, _ := json.Marshal(ids)
	rows, err := tx.Query(`SELECT repo, state FROM sync_state WHERE repo IN (SELECT value FROM json_each(?))`, string(list))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var text string
		if err := rows.Scan(&id, &text); err != nil {
			return nil, err
		}
		// A state that does not parse has no folders: Check refuses it.
		byID[id].state, _ = cache.ParseState(text)
	}
	return out, rows.Err()
}

// applyRefresh writes what moved in an unchanged repo and reports
// whether anything did.
func applyRefresh(tx *sqlx.Tx, c *checked, ref *cache.Refresh) (bool, error) {
	moved := ref.State != nil
	if a := ref.Stat.Atime.Float(); a != c.repo.Atime {
		moved = true
		if _, err := tx.Exec(`UPDATE repos SET atime = ? WHERE id = ?`, a, c.repo.ID); err != nil {
			return moved, err
		}
	}
	for _, b := range ref.Blobs {
		s := b.Stat
		if _, err := tx.Exec(`UPDATE blobs SET size = ?, usage = ?, atime = ?, mtime = ?, dev = ?, ino = ?, nlink = ? WHERE path = ?`,
			s.Size, s.Usage, s.Atime.Float(), s.Mtime.Float(), int64(s.Dev), int64(s.Ino), int64(s.Nlink), b.Path); err != nil {
			return moved, err
		}
	}
	for _, in := range ref.Incomplete {
		if _, err := tx.Exec(`UPDATE incomplete_files SET size = ?, mtime = ? WHERE path = ?`,
			in.Stat.Size, in.Stat.Mtime.Float(), in.Path); err != nil {
			return moved, err
		}
	}
	if ref.State != nil {
		if _, err := tx.Exec(`UPDATE sync_state SET state = ? WHERE repo = ?`, ref.State.Encode(), c.repo.ID); err != nil {
			return moved, err
		}
	}
	return moved, nil
}

// refreshStore reads again the stats of the store's payloads when none of
// its folders changed; otherwise it asks for a full sync.
func refreshStore(tx *sqlx.Tx, walker *cache.Walker, state string) (bool, error) {
	s, err := cache.ParseState(state)
	if err != nil || !walker.StoreUnchanged(s) {
		return false, errors.New("the shared blob store changed")
	}
	var payloads []struct {
		ID    int64   `db:"id"`
		Path  string  `db:"path"`
		Size  int64   `db:"size"`
		Usage int64   `db:"usage"`
		Atime float64 `db:"atime"`
		Mtime float64 `db:"mtime"`
	}
	if err := tx.Select(&payloads, `SELECT id, path, size, usage, atime, mtime FROM payloads`); err != nil {
		return false, err
	}
	moved := false
	for _, p := range payloads {
		st, err := cache.Lstat(p.Path)
		if err != nil || !st.Mode.IsRegular() {
			return false, errors.New("a payload of the shared blob store changed")
		}
		if st.Size == p.Size && st.Usage == p.Usage && st.Atime.Float() == p.Atime && st.Mtime.Float() == p.Mtime {
			continue
		}
		moved = true
		if _, err := tx.Exec(`UPDATE payloads SET size = ?, usage = ?, atime = ?, mtime = ? WHERE id = ?`,
			st.Size, st.Usage, st.Atime.Float(), st.Mtime.Float(), p.ID); err != nil {
			return moved, err
		}
	}
	return moved, nil
}
