package main

import (
	"encoding/json"
	"fmt"

	"github.com/hfidx/hfidx/query"
)

type syncCmd struct {
	Rebuild   bool `name:"rebuild" help:"Rebuild the whole index from a full scan instead of updating it."`
	SkipBlobs bool `name:"skip-blob-stats" help:"Do not stat the blobs of unchanged repos again (their access times and sizes stay as last seen)."`
}

func (c *syncCmd) Run(a *app) error {
	if err := a.formatIn("table", "text", "json"); err != nil {
		return err
	}
	if a.NoSync {
		return usagef("drop --no-sync", "sync cannot run with --no-sync")
	}
	a.syncOpts.Rebuild, a.syncOpts.SkipBlobStats, a.syncOpts.Summary = c.Rebuild, c.SkipBlobs, true
	_, _, st, err := a.sync()
	if err != nil {
		return err
	}
	if a.Format == "json" {
		enc := json.NewEncoder(a.stdout)
		enc.SetEscapeHTML(false)
		return enc.Encode(st)
	}
	dmg := ""
	if st.Damaged > 0 {
		dmg = fmt.Sprintf(" (%d damaged)", st.Damaged)
	}
	how := "full scan"
	if st.Mode == "incremental" {
		how = fmt.Sprintf("%d listed again, %d unchanged", st.Rescanned, st.Unchanged)
		if st.Removed > 0 {
			how += fmt.Sprintf(", %d gone", st.Removed)
		}
	}
	fmt.Fprintf(a.stdout, "Indexed %s%s, %s, %s, %s, %s on disk, %s in %.2fs (%s).\n",
		plural(st.Repos, "repo", "repos"), dmg, plural(st.Revisions, "revision", "revisions"),
		plural(st.Files, "file", "files"), plural(st.Blobs, "blob", "blobs"),
		query.FormatSize(st.SizeOnDisk), plural(st.Warnings, "warning", "warnings"), st.Seconds, how)
	return nil
}
