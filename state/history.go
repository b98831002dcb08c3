package state

import (
	"database/sql"
	"errors"
	"math"
	"sort"
	"strings"

	"github.com/jmoiron/sqlx"
)

// Totals are a cache's totals at a snapshot.
type Totals struct {
	Size      int64 `db:"size_on_disk" json:"size_on_disk"` // apparent bytes, huggingface_hub's total
	Usage     int64 `db:"usage" json:"usage"`               // allocated bytes
	Repos     int   `db:"repos" json:"repos"`
	Revisions int   `db:"revisions" json:"revisions"`
	Files     int   `db:"files" json:"files"`
}

// Snapshot is one kept history record of a cache.
type Snapshot struct {
	ID          int64   `db:"id" json:"-"`
	At          float64 `db:"taken_at" json:"time"` // epoch seconds
	Fingerprint string  `db:"fingerprint" json:"-"`
	Totals
}

// RepoPoint is a repo's numbers at a snapshot.
type RepoPoint struct {
	Repo      string   // cache id, e.g. model/org/name
	Size      int64    // repo_usage.size_on_disk
	Usage     int64    // repo_usage.usage
	Revisions int      // snapshot folders
	Files     int      // distinct blobs
	Hashes    []string // commit hashes of its revisions, sorted
}

func (p RepoPoint) same(q RepoPoint) bool {
	return p.Size == q.Size && p.Usage == q.Usage && p.Revisions == q.Revisions && p.Files == q.Files &&
		strings.Join(p.Hashes, ",") == strings.Join(q.Hashes, ",")
}

// Thinning: every snapshot younger than KeepAll, one per hour younger
// than KeepHourly, one per day older.
const (
	KeepAll    = 2 * 86400.0
	KeepHourly = 30 * 86400.0
)

type repoRow struct {
	Snapshot int64  `db:"snapshot"`
	ID       int64  `db:"repo"`
	Name     string `db:"name"`
	Gone     bool   `db:"gone"`
	Size     int64  `db:"size_on_disk"`
	Usage    int64  `db:"usage"`
	Revs     int    `db:"nb_revisions"`
	Files    int    `db:"nb_files"`
	Hashes   string `db:"hashes"`
}

func (r repoRow) point() RepoPoint {
	p := RepoPoint{Repo: r.Name, Size: r.Size, Usage: r.Usage, Revisions: r.Revs, Files: r.Files, Hashes: []string{}}
	if r.Hashes != "" {
		p.Hashes = strings.Split(r.Hashes, ",")
	}
	return p
}

// LastSnapshot returns the latest snapshot of the cache at root and
// whether there is one, or the error of SQLite.
func (s *Store) LastSnapshot(root string) (Snapshot, bool, error) {
	var sn Snapshot
	err := s.db.Get(&sn, `SELECT h.id, h.taken_at, h.fingerprint, h.size_on_disk, h.usage, h.repos, h.revisions, h.files
		FROM history h JOIN caches k ON k.id = h.cache WHERE k.root = ? ORDER BY h.taken_at DESC, h.id DESC LIMIT 1`, root)
	if errors.Is(err, sql.ErrNoRows) {
		return sn, false, nil
	}
	return sn, err == nil, err
}

// RecordHistory records a snapshot of the cache at root taken at at
// (epoch seconds): its totals, the fingerprint of the index it was read
// from, and every repo it holds. Only repos whose numbers changed since
// the last snapshot get a row. Nothing is written when neither the totals
// nor any repo changed and a snapshot exists. Then it thins the history
// as of at. It returns whether it wrote a snapshot, or the error of SQLite.
func (s *Store) RecordHistory(root string, at float64, fingerprint string, tot Totals, repos []RepoPoint) (bool, error) {
	tx, err := s.db.Beginx()
	if err != nil {
		return false, err
	}
	defer tx.Rollback()
	cid, err := s.cacheID(tx, root, true)
	if err != nil {
		return false, err
	}
	var last []repoRow
	if err := tx.Select(&last, `SELECT l.repo, n.name, l.size_on_disk, l.usage, l.nb_revisions, l.nb_files, l.hashes
		FROM history_last l JOIN history_names n ON n.id = l.repo WHERE l.cache = ?`, cid); err != nil {
		return false, err
	}
	prev := make(map[string]repoRow, len(last))
	for _, r := range last {
		prev[r.Name] = r
	}
	var changed []RepoPoint
	seen := make(map[string]bool, len(repos))
	for _, p := range repos {
		seen[p.Repo] = true
		sort.Strings(p.Hashes)
		if r, ok := prev[p.Repo]; !ok || !r.point().same(p) {
			changed = append(changed, p)
		}
	}
	var gone []repoRow
	for _, r := range last {
		if !seen[r.Name] {
			gone = append(gone, r)
		}
	}
	var lastTot Snapshot
	err = tx.Get(&lastTot, `SELECT id, taken_at, fingerprint, size_on_disk, usage, repos, revisions, files
		FROM history WHERE cache = ? ORDER BY taken_at DESC, id DESC LIMIT 1`, cid)
	have := err == nil
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return false, err
	}
	if have && len(changed) == 0 && len(gone) == 0 && lastTot.Totals == tot {
		if lastTot.Fingerprint != fingerprint {
			if _, err := tx.Exec(`UPDATE history SET fingerprint = ? WHERE id = ?`, fingerprint, lastTot.ID); err != nil {
				return false, err
			}
		}
		return false, tx.Commit()
	}
	if have && at < lastTot.At {
		at = lastTot.At // a clock gone back keeps the series ordered
	}
	var snap int64
	if err := tx.Get(&snap, `INSERT INTO history(cache, taken_at, size_on_disk, usage, repos, revisions, files, fingerprint)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`, cid, at, tot.Size, tot.Usage, tot.Repos, tot.Revisions, tot.Files, fingerprint); err != nil {
		return false, err
	}
	for _, p := range changed {
		r, had := prev[p.Repo]
		id := r.ID
		if !had {
			if err := tx.Get(&id, `INSERT INTO history_names(cache, name) VALUES (?, ?)
				ON CONFLICT(cache, name) DO UPDATE SET name = excluded.name RETURNING id`, cid, p.Repo); err != nil {
				return false, err
			}
		}
		h := strings.Join(p.Hashes, ",")
		if _, err := tx.Exec(`INSERT INTO history_repos(snapshot, repo, size_on_disk, usage, nb_revisions, nb_files, hashes)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, snap, id, p.Size, p.Usage, p.Revisions, p.Files, h); err != nil {
			return false, err
		}
		if _, err := tx.Exec(`INSERT INTO history_last(repo, cache, size_on_disk, usage, nb_revisions, nb_files, hashes)
			VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(repo) DO UPDATE SET size_on_disk = excluded.size_on_disk,
			usage = excluded.usage, nb_revisions = excluded.nb_revisions, nb_files = excluded.nb_files, hashes = excluded.hashes`,
			id, cid, p.Size, p.Usage, p.Revisions, p.Files, h); err != nil {
			return false, err
		}
	}
	for _, r := range gone {
		if _, err := tx.Exec(`INSERT INTO history_repos(snapshot, repo, gone, size_on_disk, usage, nb_revisions, nb_files, hashes)
			VALUES (?, ?, 1, 0, 0, 0, 0, '')`, snap, r.ID); err != nil {
			return false, err
		}
		if _, err := tx.Exec(`DELETE FROM history_last WHERE repo = ?`, r.ID); err != nil {
			return false, err
		}
	}
	if err := thin(tx, cid, at); err != nil {
		return false, err
	}
	return true, tx.Commit()
}

// thin removes the snapshots of cache cid that the thinning rule no longer
// keeps as of now: in each hour (older than KeepAll) and each day (older
// than KeepHourly) the first snapshot stays. A removed snapshot's repo
// rows move to the next kept snapshot unless it has its own, so every
// kept snapshot still reads as the state it recorded.
func thin(tx *sqlx.Tx, cid int64, now float64) error {
	var snaps []Snapshot
	if err := tx.Select(&snaps, `SELECT id, taken_at FROM history WHERE cache = ? ORDER BY taken_at, id`, cid); err != nil {
		return err
	}
	var drop []int64
	bucket := math.NaN()
	for i, sn := range snaps {
		age := now - sn.At
		var b float64
		switch {
		case i == len(snaps)-1 || age < KeepAll:
			bucket = math.NaN()
			continue
		case age < KeepHourly:
			b = math.Floor(sn.At / 3600)
		default:
			b = -1 - math.Floor(sn.At/86400) // apart from the hour buckets
		}
		if b == bucket {
			drop = append(drop, sn.ID)
			continue
		}
		bucket = b
	}
	for _, id := range drop {
		var next int64
		if err := tx.Get(&next, `SELECT id FROM history WHERE cache = ? AND (taken_at, id) > (SELECT taken_at, id FROM history WHERE id = ?)
			ORDER BY taken_at, id LIMIT 1`, cid, id); err != nil {
			return err
		}
		if _, err := tx.Exec(`UPDATE history_repos SET snapshot = ? WHERE snapshot = ?
			AND repo NOT IN (SELECT repo FROM history_repos WHERE snapshot = ?)`, next, id, next); err != nil {
			return err
		}
		if _, err := tx.Exec(`DELETE FROM history_repos WHERE snapshot = ?`, id); err != nil {
			return err
		}
		if _, err := tx.Exec(`DELETE FROM history WHERE id = ?`, id); err != nil {
			return err
		}
	}
	return nil
}

// Snapshots returns the kept snapshots of the cache at root, oldest
// first, or the error of SQLite.
func (s *Store) Snapshots(root string) ([]Snapshot, error) {
	snaps := []Snapshot{}
	err := s.db.Select(&snaps, `SELECT h.id, h.taken_at, h.fingerprint, h.size_on_disk, h.usage, h.repos, h.revisions, h.files
		FROM history h JOIN caches k ON k.id = h.cache WHERE k.root = ? ORDER BY h.taken_at, h.id`, root)
	return snaps, err
}

// ReposAt returns the repos of the cache at root as the snapshot sn
// recorded them, by cache id, or the error of SQLite.
func (s *Store) ReposAt(root string, sn Snapshot) (map[string]RepoPoint, error) {
	var rows []repoRow
	err := s.db.Select(&rows, `SELECT r.snapshot, r.repo, n.name, r.gone, r.size_on_disk, r.usage, r.nb_revisions, r.nb_files, r.hashes
		FROM history_repos r JOIN history h ON h.id = r.snapshot JOIN history_names n ON n.id = r.repo
		JOIN caches k ON k.id = h.cache
		WHERE k.root = ? AND (h.taken_at < ? OR (h.taken_at = ? AND h.id <= ?)) ORDER BY h.taken_at, h.id`, root, sn.At, sn.At, sn.ID)
	if err != nil {
		return nil, err
	}
	out := map[string]RepoPoint{}
	for _, r := range rows {
		if r.Gone {
			delete(out, r.Name)
		} else {
			out[r.Name] = r.point()
		}
	}
	return out, nil
}

// RepoSeries returns the numbers of the repo named name (a cache id) at
// every kept snapshot of the cache at root, oldest first; ok is false at
// the snapshots where the repo was not cached. It returns the error of
// SQLite.
func (s *Store) RepoSeries(root, name string) ([]Snapshot, []RepoPoint, []bool, error) {
	snaps, err := s.Snapshots(root)
	if err != nil {
		return nil, nil, nil, err
	}
	var rows []repoRow
	err = s.db.Select(&rows, `SELECT r.snapshot, r.repo, n.name, r.gone, r.size_on_disk, r.usage, r.nb_revisions, r.nb_files, r.hashes
		FROM history_repos r JOIN history_names n ON n.id = r.repo JOIN caches k ON k.id = n.cache
		WHERE k.root = ? AND n.name = ?`, root, name)
	if err != nil {
		return nil, nil, nil, err
	}
	at := make(map[int64]repoRow, len(rows))
	for _, r := range rows {
		at[r.Snapshot] = r
	}
	points := make([]RepoPoint, len(snaps))
	present := make([]bool, len(snaps))
	var cur *repoRow
	for i, sn := range snaps {
		if r, ok := at[sn.ID]; ok {
			cur = &r
		}
		if cur != nil && !cur.Gone {
			points[i], present[i] = cur.point(), true
		}
	}
	return snaps, points, present, nil
}
