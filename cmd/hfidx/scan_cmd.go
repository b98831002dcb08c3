package main

import (
	"encoding/json"

	"github.com/hfidx/hfidx/query"
)

type scanCmd struct {
	Verbose      int  `short:"v" type:"counter" help:"-v: one row per revision; -vvv: also print every warning."`
	ShowWarnings bool `name:"show-warnings" help:"Print every warning about the cache."`
	Usage        bool `name:"usage" help:"Also show allocated bytes (st_blocks*512, each inode once) beside the apparent size."`
}

func (c *scanCmd) Run(a *app) error {
	if err := a.formatIn("table", "json"); err != nil {
		return err
	}
	db, secs, err := a.openIndex()
	if err != nil {
		return err
	}
	defer db.Close()
	rep, err := query.Load(db, a.Format == "json")
	if err != nil {
		return failf("run 'hfidx sync' to rebuild the index", "read index: %w", err)
	}
	if a.Format == "json" {
		return writeJSON(a, rep)
	}
	return query.WriteScanTable(a.stdout, a.stderr, rep, query.ScanTableOptions{
		Verbose:      c.Verbose >= 1,
		ShowWarnings: c.ShowWarnings || c.Verbose >= 3,
		Color:        a.color(),
		Now:          a.nowFloat(),
		Seconds:      secs,
		Usage:        c.Usage,
	})
}

// writeJSON writes v as one JSON document on stdout, without HTML escaping.
func writeJSON(a *app, v any) error {
	enc := json.NewEncoder(a.stdout)
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}
