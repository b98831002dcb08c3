package main

import (
	"fmt"
	"strings"

	"github.com/hfidx/hfidx/query"
)

type duCmd struct {
	By string `name:"by" default:"org" placeholder:"KEY" help:"Group by org, type, ext (file extension) or quant (GGUF quantization in the file name)."`
}

// Validate refuses an unknown grouping before anything is synced.
func (c *duCmd) Validate() error {
	for _, k := range query.DuKeys {
		if c.By == k {
			return nil
		}
	}
	return usageOf("du", "invalid --by %q: want one of %s", c.By, strings.Join(query.DuKeys, ", "))
}

func (c *duCmd) Run(a *app) error {
	if err := a.formatIn("table", "json", "csv", "tsv"); err != nil {
		return err
	}
	db, _, err := a.openIndex()
	if err != nil {
		return err
	}
	defer db.Close()
	groups, err := query.Du(db, c.By)
	if err != nil {
		return failf("run 'hfidx sync' to rebuild the index", "read index: %w", err)
	}
	switch a.Format {
	case "json":
		return writeJSON(a, groups)
	case "csv", "tsv":
		sep := ','
		if a.Format == "tsv" {
			sep = '\t'
		}
		t := query.Table{Columns: []string{c.By, "size_on_disk", "size", "repos", "blobs"}}
		for _, g := range groups {
			t.Rows = append(t.Rows, []any{g.Group, g.SizeOnDisk, g.Size, g.Repos, g.Blobs})
		}
		return query.WriteDelimited(a.stdout, t, sep)
	}
	if len(groups) == 0 {
		fmt.Fprintln(a.stdout, "No results found.")
		return nil
	}
	total, err := query.CacheTotal(db)
	if err != nil {
		return failf("run 'hfidx sync' to rebuild the index", "read index: %w", err)
	}
	t := query.Table{Columns: []string{c.By, "size", "repos", "blobs"}, Right: map[string]bool{"size": true, "repos": true, "blobs": true}}
	var sum int64
	for _, g := range groups {
		sum += g.SizeOnDisk
		t.Rows = append(t.Rows, []any{g.Group, g.Size, g.Repos, g.Blobs})
	}
	if _, err := query.WriteHuman(a.stdout, t, 0); err != nil {
		return err
	}
	line := fmt.Sprintf("%s in %s, each blob once per repo; the cache total (hfidx scan) is %s.",
		query.FormatSize(sum), plural(len(groups), "group", "groups"), query.FormatSize(total))
	if a.color() {
		line = "\x1b[1m" + line + "\x1b[0m"
	}
	fmt.Fprintf(a.stdout, "\n%s\n", line)
	return nil
}
