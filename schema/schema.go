// Package schema owns the SQLite schema of the hfidx index: numbered SQL
// migrations embedded in the binary, applied in order and recorded, and the
// functions that open an index safely.
package schema

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	_ "modernc.org/sqlite" // the pure-Go SQLite driver
)

//go:embed *.sql
var files embed.FS

// ApplicationID marks a SQLite file as an hfidx index ("hfix").
const ApplicationID = 0x68666978

// Migration is one numbered schema file.
type Migration struct {
	Version int
	Name    string
	SQL     string
}

// Migrations returns the embedded migrations in order. It panics only if
// the embedded files are misnamed, which a test catches.
func Migrations() []Migration {
	ents, err := fs.ReadDir(files, ".")
	if err != nil {
		panic(err)
	}
	var ms []Migration
	for _, e := range ents {
		num, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || !strings.HasSuffix(e.Name(), ".sql") {
			panic("schema: misnamed migration " + e.Name())
		}
		b, err := files.ReadFile(e.Name())
		if err != nil {
			panic(err)
		}
		ms = append(ms, Migration{Version: v, Name: e.Name(), SQL: string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].Version < ms[j].Version })
	return ms
}

// Version is the schema version this hfidx writes: the last migration.
func Version() int {
	ms := Migrations()
	return ms[len(ms)-1].Version
}

// ErrNotIndex is returned when a file exists at the index path but is not
// an hfidx index.
var ErrNotIndex = errors.New("not an hfidx index")

// NewerError is returned for an index written by a newer hfidx.
type NewerError struct{ Have, Want int }

func (e *NewerError) Error() string {
	return fmt.Sprintf("index has schema version %d, newer than this hfidx understands (%d)", e.Have, e.Want)
}

// Create makes a new, empty index at path, which must not exist, and
// applies every migration. It returns the open database or an error; on
// error the caller removes the file.
func Create(path string) (*sqlx.DB, error) {
	if _, err := os.Lstat(path); err == nil {
		return nil, fmt.Errorf("create index %s: file exists", path)
	}
	db, err := sqlx.Open("sqlite", dsn(path, forBuild))
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	if err := migrate(db); err != nil {
		db.Close()
		return nil, fmt.Errorf("create index %s: %w", path, err)
	}
	return db, nil
}

func migrate(db *sqlx.DB) error {
	if _, err := db.Exec(fmt.Sprintf("PRAGMA application_id = %d", ApplicationID)); err != nil {
		return err
	}
	for _, m := range Migrations() {
		tx, err := db.Beginx()
		if err != nil {
			return err
		}
		if _, err := tx.Exec(m.SQL); err != nil {
			tx.Rollback()
			return fmt.Errorf("migration %s: %w", m.Name, err)
		}
		if _, err := tx.Exec(`INSERT INTO migrations(version, name, applied_at) VALUES (?, ?, ?)`,
			m.Version, m.Name, time.Now().UTC().Format(time.RFC3339)); err != nil {
			tx.Rollback()
			return err
		}
		if _, err := tx.Exec(fmt.Sprintf("PRAGMA user_version = %d", m.Version)); err != nil {
			tx.Rollback()
			return err
		}
		if err := tx.Commit(); err != nil {
			return err
		}
	}
	return nil
}

// Check inspects the file at path without writing to it. It returns
// fs.ErrNotExist when there is no file, ErrNotIndex when the file is not an
// hfidx index, a *NewerError when a newer hfidx wrote it, and nil when this
// hfidx can read it.
func Check(path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("%s: %w (not a regular file)", path, ErrNotIndex)
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	// A SQLite file starts with a 100-byte header: magic string, then the
	// user_version at offset 60 and the application_id at offset 68.
	hdr := make([]byte, 100)
	if n, _ := f.ReadAt(hdr, 0); n < 100 || string(hdr[:16]) != "SQLite format 3\x00" {
		return fmt.Errorf("%s: %w", path, ErrNotIndex)
	}
	be := func(b []byte) int { return int(b[0])<<24 | int(b[1])<<16 | int(b[2])<<8 | int(b[3]) }
	if be(hdr[68:72]) != ApplicationID {
		return fmt.Errorf("%s: %w (a SQLite file of another program)", path, ErrNotIndex)
	}
	if v := be(hdr[60:64]); v > Version() {
		return &NewerError{Have: v, Want: Version()}
	}
	return nil
}

// OlderError is returned when reading an index written by an older hfidx:
// its views may differ, so it must be synced again first.
type OlderError struct{ Have, Want int }

func (e *OlderError) Error() string {
	return fmt.Sprintf("index has schema version %d, older than this hfidx's (%d)", e.Have, e.Want)
}

// OpenReadOnly opens an existing index for reading only; nothing it runs
// can change the file. It returns the error of Check when the file is not
// a readable index, and an *OlderError for an index of an older hfidx.
func OpenReadOnly(path string) (*sqlx.DB, error) {
	if err := Check(path); err != nil {
		return nil, err
	}
	recoverJournal(path)
	db, err := sqlx.Open("sqlite", dsn(path, forRead))
	if err != nil {
		return nil, err
	}
	return current(db)
}

// recoverJournal rolls back what a writer killed in the middle of a
// transaction left (a hot journal beside the index): a read-only connection
// cannot, and would fail instead of reading the index as it was before.
// Opening the file writable and reading it is enough for SQLite to roll
// back a journal no live writer holds. Without write access it does
// nothing, and the read-only open reports the problem.
func recoverJournal(path string) {
	if fi, err := os.Stat(path + "-journal"); err != nil || fi.Size() == 0 {
		return
	}
	db, err := sqlx.Open("sqlite", dsn(path, forRecovery))
	if err != nil {
		return
	}
	defer db.Close()
	var n int
	db.Get(&n, `SELECT count(*) FROM sqlite_schema`)
}

// current returns db when its schema is this hfidx's version, else closes
// it and returns an *OlderError (or the error reading the version).
func current(db *sqlx.DB) (*sqlx.DB, error) {
	var v int
	if err := db.Get(&v, `PRAGMA user_version`); err != nil {
		db.Close()
		return nil, err
	}
	if v < Version() {
		db.Close()
		return nil, &OlderError{Have: v, Want: Version()}
	}
	return db, nil
}
