package schema

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/jmoiron/sqlx"
)

// Object is a documented table or view of the index.
type Object struct {
	Kind    string // table or view
	Name    string
	Doc     string
	Columns []Column
}

// Column is a documented column.
type Column struct {
	Name string
	Type string
	Doc  string
}

var (
	objectRe  = regexp.MustCompile(`(?m)^-- ([a-z_]+): (.*(?:\n-- .*)*)\nCREATE (TABLE|VIEW) ([a-z_]+)`)
	commentRe = regexp.MustCompile(`--\s*(.*)$`)
	dropRe    = regexp.MustCompile(`(?m)^DROP (?:TABLE|VIEW) ([a-z_]+);`)
	stmtEndRe = regexp.MustCompile(`(?m)^[^-\n]*;[ \t]*(--[^\n]*)?$`)
)

// Describe returns every table and view with the documentation written in
// the migration files: the comment line above each CREATE, and the comment
// ending the line that defines each column. db must hold the current
// schema. It returns an error when an object or column lacks its comment,
// so undocumented schema cannot ship.
func Describe(db *sqlx.DB) ([]Object, error) {
	type def struct {
		kind, doc, body, file string
	}
	var order []string
	defs := map[string]*def{}
	for _, m := range Migrations() {
		for _, d := range dropRe.FindAllStringSubmatch(m.SQL, -1) {
			delete(defs, d[1])
		}
		for _, mm := range objectRe.FindAllStringSubmatchIndex(m.SQL, -1) {
			name := m.SQL[mm[8]:mm[9]]
			if m.SQL[mm[2]:mm[3]] != name {
				return nil, fmt.Errorf("%s: comment above %s names %s", m.Name, name, m.SQL[mm[2]:mm[3]])
			}
			// The statement runs to the ';' ending a line, and that
			// line's comment; a ';' inside a comment does not end it.
			loc := stmtEndRe.FindStringIndex(m.SQL[mm[0]:])
			if loc == nil {
				return nil, fmt.Errorf("%s: %s has no end", m.Name, name)
			}
			if _, seen := defs[name]; !seen {
				order = append(order, name)
			}
			defs[name] = &def{
				kind: strings.ToLower(m.SQL[mm[6]:mm[7]]),
				doc:  strings.ReplaceAll(m.SQL[mm[4]:mm[5]], "\n-- ", " "),
				body: m.SQL[mm[0] : mm[0]+loc[1]],
				file: m.Name,
			}
		}
	}
	var objs []Object
	seen := map[string]bool{}
	for _, name := range order {
		d, ok := defs[name]
		if !ok || seen[name] {
			continue
		}
		seen[name] = true
		o := Object{Kind: d.kind, Name: name, Doc: d.doc}
		var cols []struct {
			Name string `db:"name"`
			Type string `db:"type"`
		}
		if err := db.Select(&cols, `SELECT name, type FROM pragma_table_info(?)`, name); err != nil {
			return nil, err
		}
		for _, c := range cols {
			doc := columnDoc(d.body, d.kind, c.Name)
			if doc == "" {
				return nil, fmt.Errorf("%s: column %s.%s has no comment", d.file, name, c.Name)
			}
			o.Columns = append(o.Columns, Column{Name: c.Name, Type: c.Type, Doc: doc})
		}
		objs = append(objs, o)
	}
	return objs, nil
}

func columnDoc(body, kind, col string) string {
	var re *regexp.Regexp
	if kind == "table" {
		re = regexp.MustCompile(`(?m)^\s+` + regexp.QuoteMeta(col) + `\s+[A-Z].*$`)
	} else {
		re = regexp.MustCompile(`(?m)\bAS ` + regexp.QuoteMeta(col) + `\b.*$`)
	}
	line := re.FindString(body)
	if m := commentRe.FindStringSubmatch(line); m != nil {
		return strings.TrimSpace(m[1])
	}
	return ""
}

var mdEscape = strings.NewReplacer("|", "\\|", "<", "\\<", ">", "\\>")

// Markdown renders objs as the reference section of README: a heading per
// table or view, its description, and a table of its columns.
func Markdown(objs []Object) string {
	var b strings.Builder
	for _, o := range objs {
		fmt.Fprintf(&b, "### `%s`\n\n%s %s.\n\n| column | type | meaning |\n| --- | --- | --- |\n",
			o.Name, strings.ToUpper(o.Kind[:1])+o.Kind[1:]+":", mdEscape.Replace(strings.TrimSuffix(o.Doc, ".")))
		for _, c := range o.Columns {
			typ := c.Type
			if typ == "" {
				typ = "—"
			}
			fmt.Fprintf(&b, "| `%s` | %s | %s |\n", c.Name, typ, mdEscape.Replace(c.Doc))
		}
		b.WriteString("\n")
	}
	return b.String()
}
