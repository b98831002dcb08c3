package main

import (
	"fmt"

	"github.com/hfidx/hfidx/query"
)

type assetsLsCmd struct {
	AssetsDir string `name:"assets-dir" placeholder:"DIR" help:"Assets cache to use (default: $$HF_ASSETS_CACHE, $$HUGGINGFACE_ASSETS_CACHE, else $$HF_HOME/assets)."`
}

// Run lists the assets cache and records the listing in the index; with
// --no-sync it prints the listing the index holds instead.
func (c *assetsLsCmd) Run(a *app) error {
	if err := a.formatIn("table", "json", "csv", "tsv"); err != nil {
		return err
	}
	var as []query.Asset
	where := ""
	if a.NoSync {
		db, _, err := a.openIndex()
		if err != nil {
			return err
		}
		as, err = query.LoadAssets(db)
		db.Close()
		if err != nil {
			return failf("run 'hfidx assets ls' without --no-sync", "read index: %w", err)
		}
		where = "as last recorded in the index"
	} else {
		dir, err := a.assetsDir(c.AssetsDir)
		if err != nil {
			return err
		}
		if as, err = a.scanAssets(dir); err != nil {
			return err
		}
		where = "in " + dir
	}
	switch a.Format {
	case "json":
		if as == nil {
			as = []query.Asset{}
		}
		return writeJSON(a, as)
	case "csv":
		return query.WriteDelimited(a.stdout, query.AssetsTable(as, false, 0), ',')
	case "tsv":
		return query.WriteDelimited(a.stdout, query.AssetsTable(as, false, 0), '\t')
	}
	if len(as) == 0 {
		fmt.Fprintf(a.stdout, "No assets %s.\n", where)
		return nil
	}
	width := 0
	if a.stdoutIsTTY {
		width = terminalWidth(a)
	}
	if _, err := query.WriteHuman(a.stdout, query.AssetsTable(as, true, a.nowFloat()), width); err != nil {
		return err
	}
	var size int64
	for _, x := range as {
		size += x.Size
	}
	fmt.Fprintf(a.stdout, "\nFound %s for a total of %s %s.\n", plural(len(as), "asset folder", "asset folders"), query.FormatSize(size), where)
	return nil
}
