package schema

import (
	"net/url"
	"strings"
)

// URI returns the SQLite URI of the file at path with the query
// parameters params, in that order ("mode=ro", "_pragma=busy_timeout(5000)"):
// the one place a data source name is built, so that every pooled
// connection of a handle gets the same per-connection pragmas.
func URI(path string, params ...string) string {
	u := url.URL{Scheme: "file", OmitHost: true, Path: path}
	if len(params) == 0 {
		return u.String()
	}
	return u.String() + "?" + strings.Join(params, "&")
}

// An access is how a handle uses an index file; each has its parameters.
type access int

const (
	// forBuild writes a fresh index in a new file that is renamed into place:
	// no journal to keep and no need to sync before the final fsync and
	// rename, and an 8 MiB page cache.
	forBuild access = iota
	// forRead opens read-only: nothing run on the handle can change the
	// file.
	forRead
	// forUpdate keeps SQLite's rollback journal, so an interrupted update
	// leaves the file as it was.
	forUpdate
	// forSync is forUpdate whose transactions take the write lock when they
	// begin (BEGIN IMMEDIATE), waiting up to a minute for readers.
	forSync
	// forRecovery is a plain writable open, only to roll back a hot journal.
	forRecovery
)

var accessParams = map[access][]string{
	forBuild:    {"_pragma=busy_timeout(5000)", "_pragma=foreign_keys(1)", "_pragma=journal_mode(OFF)", "_pragma=synchronous(OFF)", "_pragma=cache_size(-8192)"},
	forRead:     {"_pragma=busy_timeout(5000)", "_pragma=foreign_keys(1)", "mode=ro", "_pragma=query_only(1)"},
	forUpdate:   {"_pragma=busy_timeout(5000)", "_pragma=foreign_keys(1)"},
	forSync:     {"_pragma=busy_timeout(60000)", "_pragma=foreign_keys(1)", "_txlock=immediate"},
	forRecovery: {"_pragma=busy_timeout(5000)"},
}

// dsn returns the data source name that opens the index at path for a.
func dsn(path string, a access) string { return URI(path, accessParams[a]...) }
