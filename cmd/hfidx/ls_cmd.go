package main

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"

	"golang.org/x/term"

	"github.com/hfidx/hfidx/query"
)

type lsCmd struct {
	Repo         string   `arg:"" optional:"" type:"raw" placeholder:"REPO[@REV]" help:"List the files of this repo (org/name or model/org/name), or of one revision (@hash, @prefix, @ref), with size, sharing and blob."`
	Revisions    bool     `name:"revisions" help:"One row per revision instead of per repo."`
	Filter       []string `name:"filter" short:"f" sep:"none" type:"raw" placeholder:"EXPR" help:"Keep rows matching KEY OP VALUE (repeatable, all must match); keys: size, accessed, modified, type, refs, repo, damaged."`
	Sort         string   `name:"sort" placeholder:"KEY[:asc|:desc]" help:"Order by name, size, accessed or modified (default directions: name asc, others desc)."`
	Limit        string   `name:"limit" placeholder:"N" help:"Print at most N rows."`
	Quiet        bool     `name:"quiet" short:"q" help:"Print only cache ids (commit hashes with --revisions), one per line, each selecting exactly its row in 'hfidx delete -' (=… when the plain name would not)."`
	ShowWarnings bool     `name:"show-warnings" help:"Print every warning about the cache on stderr."`
	NoTruncate   bool     `name:"no-truncate" help:"Never cut the table to the terminal width."`
	Usage        bool     `name:"usage" help:"Also show allocated bytes (st_blocks*512, each inode once) beside the apparent size."`
	LastUsed     bool     `name:"last-used" help:"Also show the best known last use (usage records or atime) and where it comes from."`
	AtimeOnly    bool     `name:"atime-only" help:"Judge 'accessed' filters and sorts by access times alone, as huggingface_hub does, ignoring the usage records."`

	filters []query.Filter
	sort    *query.Sort
	limit   int
}

// Validate compiles filters, sort and limit before anything is printed.
func (c *lsCmd) Validate() error {
	if c.Repo != "" {
		return c.validateFiles()
	}
	c.filters = nil
	for _, f := range c.Filter {
		flt, err := query.ParseFilter(f)
		if err != nil {
			return err
		}
		c.filters = append(c.filters, flt)
	}
	if c.Sort != "" {
		s, err := query.ParseSort(c.Sort)
		if err != nil {
			return err
		}
		c.sort = &s
	}
	c.limit = -1
	if c.Limit != "" {
		n, err := strconv.Atoi(strings.TrimSpace(c.Limit))
		if err != nil || n < 0 {
			return usageOf("ls", "invalid limit %q: want a whole number, 0 or more", c.Limit)
		}
		c.limit = n
	}
	return nil
}

func (c *lsCmd) Run(a *app) error {
	if err := a.formatIn("table", "json", "csv", "tsv"); err != nil {
		return err
	}
	if c.Repo != "" {
		return c.runFiles(a)
	}
	db, _, err := a.openIndex()
	if err != nil {
		return err
	}
	defer db.Close()
	// Allocated bytes are read only when some output shows them.
	l, err := query.LoadEntries(db, c.Revisions, c.Usage || a.Format != "table")
	if err != nil {
		return failf("run 'hfidx sync' to rebuild the index", "read index: %w", err)
	}
	if c.AtimeOnly {
		l.AtimeOnly()
	}
	l.Apply(c.filters, c.sort, c.limit, a.nowFloat())
	if c.Quiet {
		lines, err := query.QuietLines(db, l)
		if err != nil {
			return failf("run 'hfidx sync' to rebuild the index", "read index: %w", err)
		}
		out := bufio.NewWriter(a.stdout)
		for _, line := range lines {
			fmt.Fprintln(out, line)
		}
		if err := out.Flush(); err != nil {
			return err
		}
	} else if err := c.write(a, l); err != nil {
		return err
	}
	if n := l.Warnings; n > 0 {
		if c.ShowWarnings {
			out := bufio.NewWriter(a.stderr)
			err := query.EachWarning(db, func(w string) { fmt.Fprintf(out, "Warning: %s\n", w) })
			out.Flush()
			if err != nil {
				return failf("run 'hfidx sync' to rebuild the index", "read index: %w", err)
			}
		} else {
			fmt.Fprintf(a.stderr, "Found %d cache inconsistencies. Re-run with `--show-warnings` to display them.\n", n)
		}
	}
	if l.IncompleteCount > 0 && !c.Quiet {
		fmt.Fprintf(a.stderr, "Found %d incomplete download(s) totalling %s.\n", l.IncompleteCount, query.FormatSize(l.IncompleteSize))
	}
	return nil
}

func (c *lsCmd) write(a *app, l *query.Listing) error {
	switch a.Format {
	case "json":
		if l.Entries == nil {
			l.Entries = []query.Entry{}
		}
		return writeJSON(a, l.Entries)
	case "csv", "tsv":
		sep := ','
		if a.Format == "tsv" {
			sep = '\t'
		}
		return query.WriteDelimited(a.stdout, entriesTable(l, false, 0), sep)
	}
	if len(l.Entries) == 0 {
		fmt.Fprintln(a.stdout, "No results found.")
		return nil
	}
	width := 0
	if a.stdoutIsTTY && !c.NoTruncate {
		width = terminalWidth(a)
	}
	t := entriesTable(l, true, a.nowFloat())
	if c.Usage {
		withUsage(&t, l)
	}
	if c.LastUsed {
		withLastUsed(&t, l, a.nowFloat())
	}
	cut, err := query.WriteHuman(a.stdout, t, width)
	if err != nil {
		return err
	}
	repos, revs, size := l.Totals()
	total := fmt.Sprintf("Found %d repo(s) for a total of %d revision(s) and %s on disk.", repos, revs, query.FormatSize(size))
	if a.color() {
		total = "\x1b[1m" + total + "\x1b[0m"
	}
	if c.Usage {
		total = strings.TrimSuffix(total, ".") + fmt.Sprintf(" (%s allocated, counted per row).", query.FormatSize(usageTotal(l)))
	}
	fmt.Fprintf(a.stdout, "\n%s\n", total)
	if cut {
		fmt.Fprintln(a.stderr, "Hint: cells were cut to the terminal width; use --no-truncate or --format json for full values.")
	}
	return nil
}

// entriesTable lays out the listing; human tables get formatted sizes and
// relative times, CSV/TSV the same fields as JSON.
func entriesTable(l *query.Listing, human bool, now float64) query.Table {
	t := query.Table{Right: map[string]bool{"size": true}}
	if human {
		if l.Revisions {
			t.Columns = []string{"id", "revision", "size", "last_modified", "refs"}
		} else {
			t.Columns = []string{"id", "size", "last_accessed", "last_modified", "refs"}
		}
		for _, e := range l.Entries {
			id := e.ID
			if e.Damaged {
				id += query.DamagedMark
			}
			refs := strings.Join(e.Refs, ", ")
			if l.Revisions {
				t.Rows = append(t.Rows, []any{id, e.Revision, e.Size, query.FormatTimeSince(e.LastModified, now), refs})
			} else {
				t.Rows = append(t.Rows, []any{id, e.Size, query.FormatTimeSince(e.LastAccessed, now),
					query.FormatTimeSince(e.LastModified, now), refs})
			}
		}
		return t
	}
	t.Columns = []string{"id", "repo_id", "repo_type"}
	if l.Revisions {
		t.Columns = append(t.Columns, "revision", "snapshot_path")
	}
	t.Columns = append(t.Columns, "size_on_disk", "size", "nb_files", "last_accessed", "last_modified", "last_used", "last_used_source",
		"refs", "path", "damaged", "usage")
	for _, e := range l.Entries {
		row := []any{e.ID, e.RepoID, e.RepoType}
		if l.Revisions {
			row = append(row, e.Revision, e.SnapshotPath)
		}
		row = append(row, e.SizeOnDisk, e.Size, e.NbFiles, e.LastAccessed, e.LastModified, e.LastUsed, e.LastUsedSource,
			e.Refs, e.Path, e.Damaged, e.Usage)
		t.Rows = append(t.Rows, row)
	}
	return t
}

// withUsage adds an allocated-bytes column after the size column.
func withUsage(t *query.Table, l *query.Listing) {
	i := 0
	for i < len(t.Columns) && t.Columns[i] != "size" {
		i++
	}
	t.Columns = append(t.Columns[:i+1], append([]string{"usage"}, t.Columns[i+1:]...)...)
	t.Right["usage"] = true
	for r := range t.Rows {
		row := t.Rows[r]
		t.Rows[r] = append(row[:i+1:i+1], append([]any{query.FormatSize(l.Entries[r].Usage)}, row[i+1:]...)...)
	}
}

// withLastUsed adds the best known last use and its source as the last
// column: "3 days ago, touch".
func withLastUsed(t *query.Table, l *query.Listing, now float64) {
	t.Columns = append(t.Columns, "last_used")
	for r := range t.Rows {
		e := l.Entries[r]
		t.Rows[r] = append(t.Rows[r], query.FormatTimeSince(e.LastUsed, now)+", "+e.LastUsedSource)
	}
}

func usageTotal(l *query.Listing) int64 {
	var n int64
	for _, e := range l.Entries {
		n += e.Usage
	}
	return n
}

// terminalWidth is COLUMNS when set, else the terminal's width, else 80.
func terminalWidth(a *app) int {
	if v, ok := a.lookup("COLUMNS"); ok {
		if n, err := strconv.Atoi(v); err == nil && n > 0 {
			return n
		}
	}
	if f, ok := a.stdout.(*os.File); ok {
		if w, _, err := term.GetSize(int(f.Fd())); err == nil && w > 0 {
			return w
		}
	}
	return 80
}
