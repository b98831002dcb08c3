package schema

import (
	"errors"

	"modernc.org/sqlite"
)

// SQLite's primary result codes for a file whose pages are not a sound
// database: SQLITE_CORRUPT and SQLITE_NOTADB.
const (
	sqliteCorrupt = 11
	sqliteNotADB  = 26
)

// IsDamaged reports whether err is SQLite finding the index file damaged:
// a truncated file, overwritten pages, a page that is not a b-tree. Such
// an index (its header says hfidx wrote it, so Check accepted it) cannot
// be read; building it again is the way out. The verdict is SQLite's
// result code, found through the error's chain; an error's text never
// decides it, so that SQL naming "file is not a database" is just SQL.
func IsDamaged(err error) bool {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return false
	}
	switch se.Code() & 0xff {
	case sqliteCorrupt, sqliteNotADB:
		return true
	}
	return false
}
