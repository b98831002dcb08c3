package schema

import (
	"github.com/jmoiron/sqlx"
)

// OpenWritable opens an existing index of this hfidx's version to update
// it in place, for the rows commands keep between syncs (verify's digests,
// the assets listing). Unlike a fresh index it keeps SQLite's rollback
// journal, so an interrupted update leaves the file as it was. It returns
// the error of Check when the file is not a readable index, and an
// *OlderError for an index of an older hfidx (sync it first).
func OpenWritable(path string) (*sqlx.DB, error) {
	return openInPlace(path, forUpdate)
}

// OpenSyncing opens an existing index of this hfidx's version for an
// incremental sync: like OpenWritable, but its transactions take the write
// lock when they begin (BEGIN IMMEDIATE), and it waits up to a minute for
// readers to let it commit.
func OpenSyncing(path string) (*sqlx.DB, error) {
	return openInPlace(path, forSync)
}

// openInPlace opens an existing index of this hfidx's version on one
// connection, for a.
func openInPlace(path string, a access) (*sqlx.DB, error) {
	if err := Check(path); err != nil {
		return nil, err
	}
	db, err := sqlx.Open("sqlite", dsn(path, a))
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	return current(db)
}

// OpenPrevious opens, read-only, an index that this hfidx or an older one
// wrote, whatever its version (index.BuiltFrom reads which cache it was
// built from). It returns the error of Check when the file is not a
// readable index.
func OpenPrevious(path string) (*sqlx.DB, error) {
	if err := Check(path); err != nil {
		return nil, err
	}
	return sqlx.Open("sqlite", dsn(path, forRead))
}
