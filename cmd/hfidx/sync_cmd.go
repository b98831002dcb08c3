package main

import (
	"encoding/json"
	"fmt"

	"github.com/hfidx/hfidx/query"
)

type syncCmd struct{}

func (c *syncCmd) Run(a *app) error {
	if err := a.formatIn("table", "text", "json"); err != nil {
		return err
	}
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
	fmt.Fprintf(a.stdout, "Indexed %s%s, %s, %s, %s, %s on disk, %s in %.2fs.\n",
		plural(st.Repos, "repo", "repos"), dmg, plural(st.Revisions, "revision", "revisions"),
		plural(st.Files, "file", "files"), plural(st.Blobs, "blob", "blobs"),
		query.FormatSize(st.SizeOnDisk), plural(st.Warnings, "warning", "warnings"), st.Seconds)
	return nil
}
