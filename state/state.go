// Package state keeps what hfidx users make and no sync can rebuild: the
// last use of each cached file, the pins that keep targets from gc, the gc
// runs and the history of the cache's sizes. It lives in its own SQLite file, apart
// from the index: the index is derived data, rebuilt whenever its schema
// changes, while the state migrates in place, one numbered migration per
// transaction, and survives `hfidx sync --rebuild`, a deleted index and a
// new hfidx.
package state

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/jmoiron/sqlx"
	_ "modernc.org/sqlite" // the pure-Go SQLite driver
)

//go:embed migrations/*.sql
var migrations embed.FS

// ApplicationID marks a SQLite file as an hfidx state file ("hfst").
const ApplicationID = 0x68667374

// Store is an open state file.
type Store struct {
	db   *sqlx.DB
	path string
}

// DefaultPath returns where the state lives by default:
// $XDG_STATE_HOME/hfidx/state.db, else ~/.local/state/hfidx/state.db. It
// fails when neither XDG_STATE_HOME nor HOME is an absolute path.
func DefaultPath(lookup func(string) (string, bool)) (string, error) {
	base, ok := lookup("XDG_STATE_HOME")
	if !ok || !filepath.IsAbs(base) {
		home, _ := lookup("HOME")
		if !filepath.IsAbs(home) {
			return "", errors.New("cannot locate a directory for the state: neither XDG_STATE_HOME nor HOME is an absolute path")
		}
		base = filepath.Join(home, ".local", "state")
	}
	return filepath.Join(base, "hfidx", "state.db"), nil
}

// ErrNotState is returned when a file exists at the state path but is not
// an hfidx state file; such a file is never written.
var ErrNotState = errors.New("not an hfidx state file")

// NewerError is returned for a state file written by a newer hfidx: it is
// never downgraded.
type NewerError struct{ Have, Want int }

func (e *NewerError) Error() string {
	return fmt.Sprintf("state has version %d, newer than this hfidx understands (%d)", e.Have, e.Want)
}

// Open opens the state file at path, creating it (and its folder) when
// missing, and applies the migrations it lacks, each in one transaction.
// It returns ErrNotState for a file that is not a state file, a
// *NewerError for one of a newer hfidx, and any error of SQLite.
func Open(path string) (*Store, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("create the state folder: %w", err)
	}
	u := url.URL{Scheme: "file", OmitHost: true, Path: path}
	db, err := sqlx.Open("sqlite", u.String()+"?_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_pragma=journal_mode(wal)&_pragma=synchronous(normal)&_txlock=immediate")
	if err != nil {
		return nil, err
	}
	s := &Store{db: db, path: path}
	if err := s.migrate(); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// Close closes the store.
func (s *Store) Close() error { return s.db.Close() }

// Path returns the file the store lives in.
func (s *Store) Path() string { return s.path }

type migration struct {
	version int
	sql     string
}

func loadMigrations() []migration {
	ents, err := fs.ReadDir(migrations, "migrations")
	if err != nil {
		panic(err)
	}
	var ms []migration
	for _, e := range ents {
		num, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || !strings.HasSuffix(e.Name(), ".sql") {
			panic("state: misnamed migration " + e.Name())
		}
		b, err := migrations.ReadFile("migrations/" + e.Name())
		if err != nil {
			panic(err)
		}
		ms = append(ms, migration{v, string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	return ms
}

// Version is the state version this hfidx writes: its last migration.
func Version() int {
	ms := loadMigrations()
	return ms[len(ms)-1].version
}

func (s *Store) migrate() error {
	var app, have int
	if err := s.db.Get(&app, `PRAGMA application_id`); err != nil {
		return err
	}
	if err := s.db.Get(&have, `PRAGMA user_version`); err != nil {
		return err
	}
	if app != ApplicationID {
		var n int
		if err := s.db.Get(&n, `SELECT count(*) FROM sqlite_schema`); err != nil {
			return err
		}
		if app != 0 || n > 0 {
			return ErrNotState
		}
	}
	want := Version()
	if have > want {
		return &NewerError{have, want}
	}
	for _, m := range loadMigrations() {
		if m.version <= have {
			continue
		}
		tx, err := s.db.Beginx()
		if err != nil {
			return err
		}
		if _, err := tx.Exec(m.sql); err != nil {
			tx.Rollback()
			return fmt.Errorf("state migration %d: %w", m.version, err)
		}
		if _, err := tx.Exec(fmt.Sprintf(`PRAGMA application_id = %d; PRAGMA user_version = %d`, ApplicationID, m.version)); err != nil {
			tx.Rollback()
			return err
		}
		if err := tx.Commit(); err != nil {
			return err
		}
	}
	return nil
}
