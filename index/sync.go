// Package index maps the on-disk cache model to rows of the SQLite index.
package index

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/hfidx/hfidx/cache"
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
}

// Sync scans the cache at root (absolute and resolved) and writes a fresh
// index at dbPath: a new file filled in one transaction, then renamed over
// the old one, so a reader never sees a half-written index and a crash
// leaves the old one. A file at dbPath that is not an hfidx index, or one
// from a newer hfidx, is never overwritten: Sync returns an *IndexError.
func Sync(root, dbPath string, opts Options) (Stats, error) {
	start := time.Now()
	st := Stats{CacheDir: root, Index: dbPath}
	if err := schema.Check(dbPath); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return st, &IndexError{dbPath, err}
	}
	dir := filepath.Dir(dbPath)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return st, &IndexError{dbPath, fmt.Errorf("cannot create its folder: %w", err)}
	}
	tmp := filepath.Join(dir, "."+filepath.Base(dbPath)+".tmp-"+strconv.Itoa(os.Getpid()))
	os.Remove(tmp)
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
	w, err := newWriter(db)
	if err != nil {
		return st, &IndexError{dbPath, err}
	}
	sum, err := cache.Scan(root, cache.Options{Jobs: opts.Jobs}, w.handler())
	if err != nil {
		w.tx.Rollback()
		return st, err
	}
	st.Duration = time.Since(start)
	meta := map[string]string{
		"cache_dir":     root,
		"synced_at":     strconv.FormatFloat(float64(time.Now().UnixNano())/1e9, 'f', 3, 64),
		"sync_seconds":  strconv.FormatFloat(st.Duration.Seconds(), 'f', 3, 64),
		"store":         boolText(sum.Store),
		"hfidx_version": Version,
	}
	if err := w.finish(meta); err != nil {
		return st, &IndexError{dbPath, err}
	}
	carryOver(db, dbPath)
	if err := counts(db, &st); err != nil {
		return st, &IndexError{dbPath, err}
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
func counts(db *sqlx.DB, st *Stats) error {
	var c struct {
		Size      int64 `db:"size_on_disk"`
		Repos     int   `db:"repos"`
		Damaged   int   `db:"damaged_repos"`
		Revisions int   `db:"revisions"`
		Files     int   `db:"files"`
		Blobs     int   `db:"blobs"`
		Inc       int   `db:"incomplete_files"`
		Warnings  int   `db:"warnings"`
	}
	if err := db.Get(&c, `SELECT size_on_disk, repos, damaged_repos, revisions, files, blobs, incomplete_files, warnings FROM cache_usage`); err != nil {
		return err
	}
	st.SizeOnDisk, st.Repos, st.Damaged, st.Revisions = c.Size, c.Repos, c.Damaged, c.Revisions
	st.Files, st.Blobs, st.Incomplete, st.Warnings = c.Files, c.Blobs, c.Inc, c.Warnings
	return db.Get(&st.Payloads, `SELECT count(*) FROM payloads`)
}
