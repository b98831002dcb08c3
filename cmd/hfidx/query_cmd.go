package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/hfidx/hfidx/query"
)

type queryCmd struct {
	SQL  string `arg:"" optional:"" help:"SQL to run, a canned query's name, or - to read SQL from stdin."`
	File string `name:"file" placeholder:"FILE" help:"Read the SQL from FILE."`
	List bool   `name:"list" help:"List the canned queries."`
}

func (c *queryCmd) Validate() error {
	n := 0
	for _, set := range []bool{c.SQL != "", c.File != "", c.List} {
		if set {
			n++
		}
	}
	if n != 1 {
		return usageOf("query", "give exactly one of: SQL, a canned query name, -, --file FILE or --list")
	}
	return nil
}

func (c *queryCmd) Run(a *app) error {
	if err := a.formatIn("table", "json", "csv", "tsv"); err != nil {
		return err
	}
	if c.List {
		for _, q := range query.CannedQueries() {
			fmt.Fprintf(a.stdout, "%-20s %s\n", q.Name, q.Doc)
		}
		return nil
	}
	sql := c.SQL
	switch {
	case c.File != "":
		b, err := os.ReadFile(c.File)
		if err != nil {
			return failf("check the path given to --file", "read %s: %v", c.File, errText(err))
		}
		sql = string(b)
	case sql == "-":
		b, err := io.ReadAll(a.stdin)
		if err != nil {
			return failf("", "read stdin: %w", err)
		}
		sql = string(b)
	default:
		if q, ok := query.LookupCanned(sql); ok {
			sql = q.SQL
		} else if !strings.ContainsAny(sql, " \t\n;(") && !query.LooksLikeSQL(sql) {
			return usagef("run 'hfidx query --list' for the canned queries", "no canned query called %q", sql)
		}
	}
	db, _, err := a.openIndex()
	if err != nil {
		return err
	}
	defer db.Close()
	t, err := query.RunReadOnly(context.Background(), db, sql)
	var ro *query.ReadOnlyError
	var se *query.SQLError
	switch {
	case errors.As(err, &ro):
		return failf("hfidx query only reads; use hfidx delete to change the cache", "%w", ro)
	case errors.As(err, &se):
		return failf("run 'hfidx schema' for the tables, views and columns", "%w", se)
	case err != nil:
		return err
	}
	switch a.Format {
	case "json":
		return query.WriteJSONRows(a.stdout, t)
	case "csv":
		return query.WriteDelimited(a.stdout, t, ',')
	case "tsv":
		return query.WriteDelimited(a.stdout, t, '\t')
	}
	if len(t.Rows) == 0 {
		fmt.Fprintln(a.stderr, "No rows.")
		return nil
	}
	width := 0
	if a.stdoutIsTTY {
		width = terminalWidth(a)
	}
	t.KeepCase = true
	cut, err := query.WriteHuman(a.stdout, t, width)
	if cut {
		fmt.Fprintln(a.stderr, "Hint: cells were cut to the terminal width; use --format json or csv for full values.")
	}
	return err
}
