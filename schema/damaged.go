package schema

import (
	"errors"
	"strings"

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
// be read; building it again is the way out. The check looks at SQLite's
// result code when the error still carries it, and at its message when
// the error was flattened to text.
func IsDamaged(err error) bool {
	if err == nil {
		return false
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() & 0xff {
		case sqliteCorrupt, sqliteNotADB:
			return true
		}
		return false
	}
	msg := err.Error()
	return strings.Contains(msg, "database disk image is malformed") || strings.Contains(msg, "file is not a database")
}
