package main

import (
	"bufio"
	"os"
	"strconv"

	"github.com/hfidx/hfidx/export"
)

type exportCmd struct {
	Out string `name:"out" short:"o" type:"raw" default:"-" placeholder:"FILE" help:"Where to write (- for stdout); a file is written whole or not at all (a temporary file beside it, then a rename)."`
}

// Run writes every snapshot entry of the index as JSON lines (--format
// jsonl), as ncdu's JSON export (--format ncdu, for ncdu -f) or as a
// Parquet file (--format parquet), rows as they are read.
func (c *exportCmd) Run(a *app) error {
	if err := a.formatIn("jsonl", "ncdu", "parquet"); err != nil {
		return err
	}
	if a.Format == "parquet" && c.Out == "-" && a.stdoutIsTTY {
		return usageOf("export", "a Parquet file is binary: give --out FILE, or redirect stdout")
	}
	root, err := a.cacheDir()
	if err != nil {
		return err
	}
	db, _, err := a.openIndex()
	if err != nil {
		return err
	}
	defer db.Close()
	host, _ := os.Hostname() // left out of the rows when unknown
	opts := export.Options{Host: host, Root: root, Now: a.now, Version: version}
	var synced string
	if err := db.Get(&synced, `SELECT value FROM meta WHERE key = 'synced_at'`); err == nil {
		opts.SyncedAt, _ = strconv.ParseFloat(synced, 64)
	}
	fill := func(w *bufio.Writer) error {
		var err error
		switch a.Format {
		case "ncdu":
			err = export.Ncdu(w, db, opts)
		case "parquet":
			err = export.Parquet(w, db, opts)
		default:
			err = export.JSONLines(w, db, opts)
		}
		if err != nil {
			return failf("run 'hfidx sync' to rebuild the index", "export: %w", err)
		}
		return nil
	}
	if c.Out == "-" {
		w := bufio.NewWriter(a.stdout)
		if err := fill(w); err != nil {
			return err
		}
		return w.Flush()
	}
	return writeAtomic(c.Out, "--out", fill)
}
