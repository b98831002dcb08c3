// Package index maps the on-disk cache model to rows of the SQLite index.
package index

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/hfidx/hfidx/cache"
	"github.com/hfidx/hfidx/internal/flock"
	"github.com/hfidx/hfidx/schema"
)

// Version is written into the index's meta table; the CLI sets it.
var Version = "dev"

// DefaultPath returns where the index of the cache at root lives when no
// --db or HFIDX_DB is given: one file per cache dir under the user's cache
// directory (XDG_CACHE_HOME, else $HOME/.cache), outside the hub cache so
// that read-only and shared caches work. It returns an error when neither
// variable gives an absolute path.
func DefaultPath(root string, lookup cache.LookupEnv) (string, error) {
	base, ok := lookup("XDG_CACHE_HOME")
	if !ok || !filepath.IsAbs(base) {
		home, _ := lookup("HOME")
		if !filepath.IsAbs(home) {
			return "", errors.New("cannot locate a directory for the index: neither XDG_CACHE_HOME nor HOME is an absolute path")
		}
		base = filepath.Join(home, ".cache")
	}
	sum := sha256.Sum256([]byte(root))
	name := filepath.Base(root) + "-" + hex.EncodeToString(sum[:6]) + ".db"
	return filepath.Join(base, "hfidx", name), nil
}

// Stats summarises one sync.
type Stats struct {
	CacheDir   string        `json:"cache_dir"`
	Index      string        `json:"index"`
	Repos      int           `json:"repos"`
	Damaged    int           `json:"damaged_repos"`
	Revisions  int           `json:"revisions"`
	Files      int           `json:"files"`
	Blobs      int           `json:"blobs"`
	Payloads   int           `json:"payloads"`
	Incomplete int           `json:"incomplete_files"`
	Warnings   int           `json:"warnings"`
	SizeOnDisk int64         `json:"size_on_disk"`
	Mode       string        `json:"mode"`             // full or incremental
	Reason     string        `json:"reason,omitempty"` // why a sync asked to be incremental was full
	Rescanned  int           `json:"rescanned_repos"`  // repos listed again (all of them in a full sync)
	Unchanged  int           `json:"unchanged_repos"`  // repos found unchanged without listing them
	Removed    int           `json:"removed_repos"`    // repos gone since the last sync
	Duration   time.Duration `json:"-"`
	Seconds    float64       `json:"seconds"`
}

// IndexError is a problem with the index file or its location, as opposed
// to a problem with the cache.
type IndexError struct {
	Path string
	Err  error
}

func (e *IndexError) Error() string { return fmt.Sprintf("index %s: %v", e.Path, e.Err) }
func (e *IndexError) Unwrap() error { return e.Err }

// Options tunes a sync.
type Options struct {
	Jobs int
	// Rebuild writes a new index from a full scan even when an incremental
	// sync could update the existing one.
	Rebuild bool
	// SkipBlobStats leaves the sizes and times of the blobs of unchanged
	// repos as the last sync saw them instead of reading them again.
	SkipBlobStats bool
	// RacyWindow is passed to the scan (see cache.Options).
	RacyWindow time.Duration
	// RepoBudget is how many entries of one repo the scan holds in memory
	// before it streams the repo into the index instead (see
	// cache.Options); 0 means cache.DefaultRepoBudget.
	RepoBudget int
	// Summary fills the counts and sizes of Stats from the index written;
	// without it only the sync's own figures are set.
	Summary bool
	// Progress, when set, is called after each top-level entry of the cache
	// with the number done, the total, and how many files and blobs were
	// read so far, from one goroutine.
	Progress func(done, total, entries int)
}

// Sync brings the index at dbPath up to date with the cache at root
// (absolute and resolved). When the index exists and was written by this
// hfidx for this cache, it is updated in place in one transaction, listing
// again only the repos whose folders changed (see cache.Walker.Check);
// otherwise, or with Options.Rebuild, a fresh index is written into a new
// file and renamed over the old one. An index built from another cache is
// replaced only with Options.Rebuild: else Sync returns an
// *OtherCacheError and leaves it as it is. Either way a reader never sees a
// half-written index and a crash leaves the old one. A file at dbPath that
// is not an hfidx index, or one from a newer hfidx (unless Options.Rebuild),
// is never overwritten: Sync returns an *IndexError. Concurrent syncs of one index wait for each
// other.
func Sync(root, dbPath string, opts Options) (Stats, error) {
	start := time.Now()
	st := Stats{CacheDir: root, Index: dbPath}
	exists := true
	var newer *schema.NewerError
	switch err := schema.Check(dbPath); {
	case errors.Is(err, fs.ErrNotExist):
		exists = false
	case opts.Rebuild && errors.As(err, &newer):
		// An index of a newer hfidx is replaced only when asked to
		// rebuild: the way out its error names.
	case err != nil:
		return st, &IndexError{dbPath, err}
	}
	dir := filepath.Dir(dbPath)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return st, &IndexError{dbPath, fmt.Errorf("cannot create its folder: %w", err)}
	}
	unlock, err := lockIndex(dbPath)
	if err != nil {
		return st, &IndexError{dbPath, err}
	}
	defer unlock()
	// Temporary files of earlier syncs killed before their rename: syncs of
	// this index wait for each other, so none is in use.
	if stale, err := filepath.Glob(globEscape(tmpPrefix(dbPath)) + "*"); err == nil {
		for _, p := range stale {
			os.Remove(p)
		}
	}
	// An index of another cache is replaced only when asked to rebuild:
	// silently, it would lose the state it keeps for that cache, and the
	// next command of that cache would answer about this one.
	if exists && !opts.Rebuild {
		if err := CheckCache(root, dbPath); err != nil {
			return st, err
		}
	}
	switch {
	case opts.Rebuild:
		st.Reason = "rebuild asked for"
	case !exists:
		st.Reason = "no index yet"
	default:
		ist, err := incremental(root, dbPath, opts, start)
		if err == nil {
			touch(dbPath + ".lock")
			return ist, nil
		}
		var ie *IndexError
		if errors.As(err, &ie) {
			return st, err
		}
		st.Reason = err.Error()
	}
	st, err = full(root, dbPath, opts, start, st)
	if err == nil {
		touch(dbPath + ".lock")
	}
	return st, err
}

// OtherCacheError is returned for an index that was built from another
// cache than the one a command was given.
type OtherCacheError struct {
	Index string // the index file
	Built string // the cache folder it was built from, as its meta table records it
	Given string // the cache folder given, resolved
}

func (e *OtherCacheError) Error() string {
	return fmt.Sprintf("index %s was built from cache %s, not %s", e.Index, e.Built, e.Given)
}

// BuiltFrom returns the cache folder the index at dbPath was built from
// (meta key cache_dir: the resolved root the sync was given), reading the
// file read-only whatever its schema version. It returns "" and a nil
// error when the file does not exist, and an error when it cannot be read
// as an index or records no cache folder.
func BuiltFrom(dbPath string) (string, error) {
	db, err := schema.OpenPrevious(dbPath)
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	defer db.Close()
	var dir string
	if err := db.Get(&dir, `SELECT value FROM meta WHERE key = 'cache_dir'`); err != nil {
		return "", err
	}
	return dir, nil
}

// CheckCache returns an *OtherCacheError when the index at dbPath records a
// cache folder other than root (absolute and resolved). It returns nil when
// the index records root, does not exist, or cannot be read: opening it
// reports that with its own error.
func CheckCache(root, dbPath string) error {
	built, err := BuiltFrom(dbPath)
	if err != nil || built == "" || built == root {
		return nil
	}
	return &OtherCacheError{Index: dbPath, Built: built, Given: root}
}

// tmpPrefix starts the name of the file a full sync writes before renaming
// it over the index.
func tmpPrefix(dbPath string) string {
	return filepath.Join(filepath.Dir(dbPath), "."+filepath.Base(dbPath)+".tmp-")
}

// globEscape quotes the pattern characters of a path for filepath.Glob.
func globEscape(p string) string {
	var b strings.Builder
	for _, r := range p {
		if strings.ContainsRune(`*?[\`, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// touch sets the modification time of the index's lock file to now: it
// tells when a sync last found the index current, even one that had
// nothing to write (see CheckedAt).
func touch(path string) {
	now := time.Now()
	os.Chtimes(path, now, now)
}

// CheckedAt returns when a sync last brought the index at dbPath up to
// date, or the zero time if unknown.
func CheckedAt(dbPath string) time.Time {
	fi, err := os.Stat(dbPath + ".lock")
	if err != nil {
		return time.Time{}
	}
	return fi.ModTime()
}

// lockIndex takes an exclusive lock on <index>.lock, waiting for another
// sync of the same index to finish.
func lockIndex(dbPath string) (func(), error) {
	f, err := os.OpenFile(dbPath+".lock", os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("cannot create its lock file: %w", err)
	}
	if err := flock.Lock(f, true); err != nil {
		f.Close()
		return nil, fmt.Errorf("cannot lock it: %w", err)
	}
	return func() {
		flock.Unlock(f)
		f.Close()
	}, nil
}

// full writes a fresh index from a full scan into a new file and renames
// it over dbPath.
func full(root, dbPath string, opts Options, start time.Time, st Stats) (Stats, error) {
	st.Mode = "full"
	tmp := tmpPrefix(dbPath) + strconv.Itoa(os.Getpid())
	db, err := schema.Create(tmp)
	if err != nil {
		os.Remove(tmp)
		return st, &IndexError{dbPath, err}
	}
	ok := false
	defer func() {
		if !ok {
			db.Close()
			os.Remove(tmp)
		}
	}()
	indexes, err := dropIndexes(db)
	if err != nil {
		return st, &IndexError{dbPath, err}
	}
	w, err := newWriter(db)
	if err != nil {
		return st, &IndexError{dbPath, err}
	}
	walker := opts.walker(root)
	total := 0
	if opts.Progress != nil {
		if total, err = walker.CountEntries(); err != nil {
			w.tx.Rollback()
			return st, err
		}
	}
	h := w.handler()
	var herr error
	read, done := 0, 0
	storeStamps := walker.Payloads(func(p cache.Payload) {
		if herr == nil {
			herr = h.Payload(p)
		}
	}, func(x cache.Warning) {
		if herr == nil {
			herr = h.Warning(x)
		}
	})
	if herr == nil {
		herr = walker.EachEntries(func(entries []fs.DirEntry) error {
			defer func() { done += len(entries) }()
			return cache.Ordered(len(entries), opts.Jobs, func(i int) cache.Entry { return walker.Entry(entries[i]) },
				func(i int, e cache.Entry) error {
					if opts.Progress != nil {
						read += entryCount(e)
						opts.Progress(done+i+1, max(total, done+i+1), read)
					}
					return w.entry(walker, h, e)
				})
		})
	}
	if herr != nil {
		w.tx.Rollback()
		return st, herr
	}
	st.Duration = time.Since(start)
	meta := map[string]string{
		"cache_dir":     root,
		"synced_at":     strconv.FormatFloat(float64(time.Now().UnixNano())/1e9, 'f', 3, 64),
		"sync_seconds":  strconv.FormatFloat(st.Duration.Seconds(), 'f', 3, 64),
		"store":         boolText(walker.Store()),
		"store_state":   cache.StoreState(storeStamps).Encode(),
		"hfidx_version": Version,
	}
	for _, q := range indexes {
		if _, err := w.tx.Exec(q); err != nil {
			w.tx.Rollback()
			return st, &IndexError{dbPath, err}
		}
	}
	if err := w.finish(meta); err != nil {
		return st, &IndexError{dbPath, err}
	}
	carryOver(db, dbPath)
	st.Rescanned = len(w.repoIDs)
	// The summary is kept in the index for later syncs. Without a shared
	// store the writer has summed the sizes as it went, which spares the
	// join over every file; the rest are row counts.
	if !walker.Store() || opts.Summary {
		var err error
		if walker.Store() {
			err = counts(db, &st)
		} else {
			err = rowCounts(db, &st)
			st.SizeOnDisk = w.sizeOnDisk
		}
		if err != nil {
			return st, &IndexError{dbPath, err}
		}
		if _, err := db.Exec(`INSERT OR REPLACE INTO meta(key, value) VALUES ('totals', ?)`, st.totals()); err != nil {
			return st, &IndexError{dbPath, err}
		}
	}
	if err := db.Close(); err != nil {
		return st, &IndexError{dbPath, err}
	}
	if err := syncFile(tmp); err != nil {
		return st, &IndexError{dbPath, err}
	}
	if err := os.Rename(tmp, dbPath); err != nil {
		return st, &IndexError{dbPath, err}
	}
	ok = true
	st.Duration = time.Since(start)
	st.Seconds = st.Duration.Seconds()
	return st, nil
}

// walker prepares the scan of the cache at root.
func (opts Options) walker(root string) *cache.Walker {
	budget := opts.RepoBudget
	if budget <= 0 {
		budget = cache.DefaultRepoBudget
	}
	return cache.NewWalker(root, cache.Options{Jobs: opts.Jobs, RacyWindow: opts.RacyWindow, RepoBudget: budget})
}

// dropIndexes drops the secondary indexes of a fresh, empty index and
// returns the statements (as the schema wrote them) that create them
// again: built once over the loaded rows, they cost less than kept up to
// date row by row. Indexes behind UNIQUE constraints stay: the writer
// looks blobs and payloads up by path.
func dropIndexes(db *sqlx.DB) ([]string, error) {
	var idx []struct {
		Name string `db:"name"`
		SQL  string `db:"sql"`
	}
	if err := db.Select(&idx, `SELECT name, sql FROM sqlite_schema WHERE type = 'index' AND sql IS NOT NULL ORDER BY rowid`); err != nil {
		return nil, err
	}
	var create []string
	for _, x := range idx {
		if _, err := db.Exec(`DROP INDEX "` + strings.ReplaceAll(x.Name, `"`, `""`) + `"`); err != nil {
			return nil, err
		}
		create = append(create, x.SQL)
	}
	return create, nil
}

// entryCount is how many files and blobs an entry's scan read.
func entryCount(e cache.Entry) int {
	n := len(e.Incomplete)
	if r := e.Repo; r != nil {
		n += len(r.Blobs)
		for _, v := range r.Revisions {
			n += len(v.Files)
		}
	}
	return n
}

func syncFile(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func boolText(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

// counts fills the summary from the index just written.
func counts(db sqlx.Queryer, st *Stats) error {
	if err := rowCounts(db, st); err != nil {
		return err
	}
	return sqlx.Get(db, &st.SizeOnDisk, `SELECT size_on_disk FROM cache_usage`)
}

// rowCounts fills the summary's counts, not its sizes.
func rowCounts(db sqlx.Queryer, st *Stats) error {
	var c struct {
		Repos     int `db:"repos"`
		Damaged   int `db:"damaged_repos"`
		Revisions int `db:"revisions"`
		Files     int `db:"files"`
		Blobs     int `db:"blobs"`
		Payloads  int `db:"payloads"`
		Inc       int `db:"incomplete_files"`
		Warnings  int `db:"warnings"`
	}
	err := sqlx.Get(db, &c, `SELECT (SELECT count(*) FROM repos) AS repos,
		(SELECT count(*) FROM repos WHERE damaged = 1) AS damaged_repos,
		(SELECT count(*) FROM revisions) AS revisions, (SELECT count(*) FROM files) AS files,
		(SELECT count(*) FROM blobs) AS blobs, (SELECT count(*) FROM payloads) AS payloads,
		(SELECT count(*) FROM incomplete_files) AS incomplete_files, (SELECT count(*) FROM warnings) AS warnings`)
	st.Repos, st.Damaged, st.Revisions, st.Files, st.Blobs = c.Repos, c.Damaged, c.Revisions, c.Files, c.Blobs
	st.Payloads, st.Incomplete, st.Warnings = c.Payloads, c.Inc, c.Warnings
	return err
}

// totals are the summary counts kept in the meta table by the sync that
// computed them, so that a sync with nothing to write reports them without
// the join over every file they cost.
type totals struct {
	Repos, Damaged, Revisions, Files, Blobs, Payloads, Incomplete, Warnings int
	SizeOnDisk                                                              int64
}

func (st *Stats) totals() string {
	b, _ := json.Marshal(totals{st.Repos, st.Damaged, st.Revisions, st.Files, st.Blobs, st.Payloads, st.Incomplete, st.Warnings, st.SizeOnDisk})
	return string(b)
}

// keptTotals fills the summary from the meta table, if a sync kept it.
func keptTotals(db sqlx.Queryer, st *Stats) bool {
	var text string
	var t totals
	if sqlx.Get(db, &text, `SELECT value FROM meta WHERE key = 'totals'`) != nil || json.Unmarshal([]byte(text), &t) != nil {
		return false
	}
	st.Repos, st.Damaged, st.Revisions, st.Files, st.Blobs = t.Repos, t.Damaged, t.Revisions, t.Files, t.Blobs
	st.Payloads, st.Incomplete, st.Warnings, st.SizeOnDisk = t.Payloads, t.Incomplete, t.Warnings, t.SizeOnDisk
	return true
}
