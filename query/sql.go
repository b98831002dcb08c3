package query

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strings"

	"github.com/jmoiron/sqlx"
	"modernc.org/sqlite"
)

//go:embed canned/*.sql
var cannedFS embed.FS

// Canned is a named query of `hfidx query --list`.
type Canned struct {
	Name string
	Doc  string
	SQL  string
}

// CannedQueries returns the named queries, sorted by name.
func CannedQueries() []Canned {
	ents, _ := fs.ReadDir(cannedFS, "canned")
	var out []Canned
	for _, e := range ents {
		b, err := cannedFS.ReadFile("canned/" + e.Name())
		if err != nil {
			continue
		}
		s := string(b)
		doc, _, _ := strings.Cut(s, "\n")
		out = append(out, Canned{Name: strings.TrimSuffix(e.Name(), ".sql"), Doc: strings.TrimSpace(strings.TrimPrefix(doc, "--")), SQL: s})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// LookupCanned returns the canned query called name.
func LookupCanned(name string) (Canned, bool) {
	for _, c := range CannedQueries() {
		if c.Name == name {
			return c, true
		}
	}
	return Canned{}, false
}

// ReadOnlyError is returned when user SQL tries to change anything.
type ReadOnlyError struct{ What string }

func (e *ReadOnlyError) Error() string {
	return fmt.Sprintf("query is read-only: %s is not allowed", e.What)
}

// pragmas that only read, whatever their argument.
var readPragmas = map[string]bool{
	"table_info": true, "table_xinfo": true, "table_list": true, "index_list": true, "index_info": true,
	"index_xinfo": true, "foreign_key_list": true, "foreign_key_check": true, "function_list": true,
	"pragma_list": true, "module_list": true, "collation_list": true, "database_list": true,
	"compile_options": true, "integrity_check": true, "quick_check": true,
}

var actionNames = map[sqlite.AuthorizerActionCode]string{
	sqlite.AuthInsert: "INSERT", sqlite.AuthUpdate: "UPDATE", sqlite.AuthDelete: "DELETE",
	sqlite.AuthAttach: "ATTACH", sqlite.AuthDetach: "DETACH", sqlite.AuthAlterTable: "ALTER TABLE",
	sqlite.AuthReindex: "REINDEX", sqlite.AuthAnalyze: "ANALYZE",
	sqlite.AuthCreateIndex: "CREATE INDEX", sqlite.AuthCreateTable: "CREATE TABLE",
	sqlite.AuthCreateTempIndex: "CREATE INDEX", sqlite.AuthCreateTempTable: "CREATE TABLE",
	sqlite.AuthCreateTempTrigger: "CREATE TRIGGER", sqlite.AuthCreateTempView: "CREATE VIEW",
	sqlite.AuthCreateTrigger: "CREATE TRIGGER", sqlite.AuthCreateView: "CREATE VIEW",
	sqlite.AuthCreateVTable: "CREATE VIRTUAL TABLE", sqlite.AuthDropIndex: "DROP INDEX",
	sqlite.AuthDropTable: "DROP TABLE", sqlite.AuthDropTempIndex: "DROP INDEX", sqlite.AuthDropTempTable: "DROP TABLE",
	sqlite.AuthDropTempTrigger: "DROP TRIGGER", sqlite.AuthDropTempView: "DROP VIEW", sqlite.AuthDropTrigger: "DROP TRIGGER",
	sqlite.AuthDropView: "DROP VIEW", sqlite.AuthDropVTable: "DROP VIRTUAL TABLE",
}

// LooksLikeSQL reports whether q starts with an SQL statement keyword, to
// tell a one-word statement (VACUUM) from the name of a canned query.
func LooksLikeSQL(q string) bool {
	switch firstKeyword(q) {
	case "SELECT", "WITH", "VALUES", "EXPLAIN", "PRAGMA", "VACUUM", "REINDEX", "ANALYZE", "BEGIN", "COMMIT",
		"END", "ROLLBACK", "SAVEPOINT", "RELEASE", "INSERT", "UPDATE", "DELETE", "REPLACE", "CREATE", "DROP",
		"ALTER", "ATTACH", "DETACH":
		return true
	}
	return false
}

// firstKeyword returns the first word of q after comments and blanks,
// upper-cased.
func firstKeyword(q string) string {
	for {
		q = strings.TrimLeft(q, " \t\r\n;")
		switch {
		case strings.HasPrefix(q, "--"):
			_, rest, _ := strings.Cut(q, "\n")
			q = rest
		case strings.HasPrefix(q, "/*"):
			_, rest, ok := strings.Cut(q, "*/")
			if !ok {
				return ""
			}
			q = rest
		default:
			end := strings.IndexFunc(q, func(r rune) bool {
				return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r == '_')
			})
			if end < 0 {
				end = len(q)
			}
			return strings.ToUpper(q[:end])
		}
	}
}

// afterComments returns q without its leading blanks and comments.
func afterComments(q string) string {
	for {
		q = strings.TrimLeft(q, " \t\r\n;")
		switch {
		case strings.HasPrefix(q, "--"):
			_, q, _ = strings.Cut(q, "\n")
		case strings.HasPrefix(q, "/*"):
			_, q, _ = strings.Cut(q, "*/")
		default:
			return q
		}
	}
}

// RunReadOnly runs user SQL on its own read-only connection of db (opened
// with schema.OpenReadOnly) under an authorizer that refuses every write,
// ATTACH/DETACH, writing PRAGMAs and load_extension, so the index file
// stays byte-identical whatever q says. It returns the result, a
// *ReadOnlyError for a refused statement, or SQLite's own error.
func RunReadOnly(ctx context.Context, db *sqlx.DB, q string) (Table, error) {
	switch kw := firstKeyword(q); kw {
	case "VACUUM", "REPLACE":
		return Table{}, &ReadOnlyError{What: kw}
	}
	conn, err := db.Connx(ctx)
	if err != nil {
		return Table{}, err
	}
	defer conn.Close()
	var denied string
	err = conn.Raw(func(dc any) error {
		reg, ok := dc.(sqlite.AuthorizerRegisterer)
		if !ok {
			return errors.New("the SQLite driver cannot restrict queries")
		}
		return reg.RegisterAuthorizer(func(action sqlite.AuthorizerActionCode, arg1, arg2, dbName, trig string) sqlite.AuthorizerReturnCode {
			if denied != "" {
				return sqlite.AuthorizerDeny
			}
			switch action {
			case sqlite.AuthSelect, sqlite.AuthRead, sqlite.AuthRecursive, sqlite.AuthTransaction, sqlite.AuthSavepoint:
				return sqlite.AuthorizerOK
			case sqlite.AuthFunction:
				if strings.EqualFold(arg2, "load_extension") {
					denied = "load_extension()"
					return sqlite.AuthorizerDeny
				}
				return sqlite.AuthorizerOK
			case sqlite.AuthPragma:
				if readPragmas[strings.ToLower(arg1)] || arg2 == "" {
					return sqlite.AuthorizerOK
				}
				denied = "PRAGMA " + arg1 + " = " + arg2
				return sqlite.AuthorizerDeny
			}
			if name, ok := actionNames[action]; ok {
				denied = name
			} else {
				denied = fmt.Sprintf("operation %d", action)
			}
			return sqlite.AuthorizerDeny
		})
	})
	if err != nil {
		return Table{}, err
	}
	defer conn.Raw(func(dc any) error {
		if reg, ok := dc.(sqlite.AuthorizerRegisterer); ok {
			return reg.RegisterAuthorizer(nil)
		}
		return nil
	})
	rows, err := conn.QueryxContext(ctx, q)
	if denied != "" {
		switch kw := firstKeyword(q); kw {
		case "INSERT", "UPDATE", "DELETE", "DROP", "CREATE", "ALTER", "ATTACH", "DETACH", "REINDEX", "ANALYZE":
			denied = kw
		}
	}
	if err != nil && denied == "" && strings.Contains(err.Error(), "readonly database") {
		// Statements the authorizer lets through but that write (PRAGMA
		// optimize, BEGIN IMMEDIATE, ...) fail on the read-only handle.
		denied = firstKeyword(q)
		if denied == "PRAGMA" || denied == "BEGIN" {
			if w := strings.Fields(afterComments(q)); len(w) > 1 {
				denied += " " + strings.TrimRight(w[1], ";")
			}
		}
	}
	if err != nil {
		if denied != "" {
			return Table{}, &ReadOnlyError{What: denied}
		}
		return Table{}, sqlError(err)
	}
	defer rows.Close()
	t, err := collect(rows)
	if err != nil {
		if denied != "" {
			return Table{}, &ReadOnlyError{What: denied}
		}
		return Table{}, sqlError(err)
	}
	return t, nil
}

// SQLError is an error SQLite reported for user SQL.
type SQLError struct{ Err error }

func (e *SQLError) Error() string { return "SQL error: " + e.Err.Error() }
func (e *SQLError) Unwrap() error { return e.Err }

func sqlError(err error) error { return &SQLError{Err: err} }

func collect(rows *sqlx.Rows) (Table, error) {
	cols, err := rows.Columns()
	if err != nil {
		return Table{}, err
	}
	t := Table{Columns: cols, Rows: [][]any{}, Right: map[string]bool{}}
	types, _ := rows.ColumnTypes()
	for _, ct := range types {
		switch strings.ToUpper(ct.DatabaseTypeName()) {
		case "INTEGER", "REAL", "INT", "NUMERIC":
			t.Right[ct.Name()] = true
		}
	}
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return Table{}, err
		}
		for i, v := range vals {
			if b, ok := v.([]byte); ok {
				vals[i] = string(b)
			}
			switch v.(type) {
			case int64, float64:
				t.Right[cols[i]] = true
			}
		}
		t.Rows = append(t.Rows, vals)
	}
	return t, rows.Err()
}
