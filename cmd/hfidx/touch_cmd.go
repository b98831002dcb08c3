package main

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/hfidx/hfidx/cache"
	"github.com/hfidx/hfidx/query"
	"github.com/hfidx/hfidx/schema"
	"github.com/hfidx/hfidx/state"
)

type touchCmd struct {
	Targets []string `arg:"" sep:"none" type:"raw" help:"What was just used, as delete names it: a repo (model/org/name, hf://org/name), a revision (<hash>, model/org/name@<hash>), files (model/org/name[@rev]:GLOB), or - to read them from stdin."`
	Note    string   `name:"note" placeholder:"TEXT" help:"Who used it, kept with the record (default: touch)."`
}

// touchOutput is touch's JSON.
type touchOutput struct {
	Files    int      `json:"files"`    // files the targets name
	Recorded int      `json:"recorded"` // records written (a file used within the hour is not written again)
	UsedAt   float64  `json:"used_at"`
	Unknown  []string `json:"unknown"`
}

// Run records a use, now, of every file the targets name, in the durable
// state. It reads the index as it is (synced only when missing), so it
// costs milliseconds; the next sync copies the records into the index.
func (c *touchCmd) Run(a *app) error {
	if err := a.formatIn("table", "text", "json"); err != nil {
		return err
	}
	_, targets, unknown, err := targetArgs(a, c.Targets, "touch")
	if err != nil {
		return err
	}
	root, path, err := a.keptIndex()
	if err != nil {
		return err
	}
	db, err := schema.OpenReadOnly(path)
	if err != nil {
		return indexFailure(path, err)
	}
	defer db.Close()
	sel, err := resolve(db, targets, unknown)
	if err != nil {
		return err
	}
	files, err := query.SelectionFiles(db, sel)
	if err != nil {
		return failf("run 'hfidx sync' to rebuild the index", "read index: %w", err)
	}
	note := c.Note
	if note == "" {
		note = "touch"
	}
	now := a.nowFloat()
	uses := make([]state.Use, 0, len(files))
	for _, f := range files {
		if parts, ok := cache.Under(root, f); ok {
			uses = append(uses, state.Use{Path: filepath.ToSlash(filepath.Join(parts...)), UsedAt: now, Source: state.SourceTouch, Detail: note})
		}
	}
	if len(uses) == 0 && len(sel.Unknown) > 0 {
		return failf("see 'hfidx ls -q' for what is cached", "nothing to touch: not in the cache: %s", strings.Join(sel.Unknown, ", "))
	}
	st, err := a.openState()
	if err != nil {
		return err
	}
	defer st.Close()
	n, err := st.Record(root, uses)
	if err != nil {
		return failf("pass --state PATH to a writable state file", "record uses in %s: %w", st.Path(), err)
	}
	warnUnknown(a, sel)
	out := touchOutput{Files: len(uses), Recorded: n, UsedAt: now, Unknown: nonNil(sel.Unknown)}
	if a.Format == "json" {
		return writeJSON(a, out)
	}
	fmt.Fprintf(a.stdout, "Recorded a use of %d file(s) (%d written; one used within the hour is not written again).\n", len(uses), n)
	return nil
}
