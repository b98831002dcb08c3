package main

import (
	"fmt"
	"os"
	"strconv"

	"github.com/hfidx/hfidx/cache"
	"github.com/hfidx/hfidx/proc"
	"github.com/hfidx/hfidx/state"
)

type sampleCmd struct{}

// sampleOutput is sample's JSON.
type sampleOutput struct {
	Files     int           `json:"files"`     // cached files held by live processes
	Processes int           `json:"processes"` // processes holding at least one
	Recorded  int           `json:"recorded"`  // records written (a file used within the hour is not written again)
	Unchecked []proc.Denied `json:"unchecked"` // processes that could not be read, by user
}

// Run records, in the durable state, a use now of every cached file a
// live process has open or mapped: one shot, for a cron line or a timer.
// It needs no index: what a process holds is named by its path.
func (c *sampleCmd) Run(a *app) error {
	if err := a.formatIn("table", "text", "json"); err != nil {
		return err
	}
	root, err := a.cacheDir()
	if err != nil {
		return err
	}
	ps, err := proc.Snapshot(proc.Options{Under: []string{root}})
	if err != nil {
		return failf("run it on Linux, where /proc tells which files processes hold", "sample: %w", err)
	}
	uses, holders := heldUses(root, ps.List, state.SourceSample, a.nowFloat())
	st, err := a.openState()
	if err != nil {
		return err
	}
	defer st.Close()
	n, err := st.Record(root, uses)
	if err != nil {
		return failf("pass --state PATH to a writable state file", "record uses in %s: %w", st.Path(), err)
	}
	out := sampleOutput{Files: len(uses), Processes: holders, Recorded: n, Unchecked: ps.Denied}
	if out.Unchecked == nil {
		out.Unchecked = []proc.Denied{}
	}
	if a.Format == "json" {
		return writeJSON(a, out)
	}
	fmt.Fprintf(a.stdout, "Recorded a use of %d cached file(s) held by %d process(es) (%d written).\n", len(uses), holders, n)
	if s := ps.Summary(); s != "" {
		if os.Geteuid() != 0 {
			s += " (run as root to check them)"
		}
		fmt.Fprintf(a.stdout, "%s.\n", s)
	}
	return nil
}

// heldUses turns what processes hold into uses of the cache's files, at
// the time at: the content files only (repo blobs, store payloads, real
// files of snapshots), each once, with the first holder (by PID) as the
// detail. It also returns how many processes held one.
func heldUses(root string, list []proc.Process, source string, at float64) (uses []state.Use, holders int) {
	seen := map[string]bool{}
	for _, p := range list {
		held := false
		for _, f := range p.Files {
			rel, ok := cache.ContentFile(root, f.Path)
			if !ok {
				continue
			}
			held = true
			if !seen[rel] {
				seen[rel] = true
				uses = append(uses, state.Use{Path: rel, UsedAt: at, Source: source, Detail: strconv.Itoa(p.PID) + " " + p.Command()})
			}
		}
		if held {
			holders++
		}
	}
	return uses, holders
}
