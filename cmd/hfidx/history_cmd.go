package main

import (
	"encoding/csv"
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/alecthomas/kong"

	"github.com/hfidx/hfidx/query"
)

type historyCmd struct {
	Target string `arg:"" optional:"" placeholder:"TARGET" help:"A repo as model/org/name (default: the whole cache)."`
}

// historyPoint is one point of the series.
type historyPoint struct {
	Time      float64 `json:"time"` // epoch seconds
	Size      int64   `json:"size_on_disk"`
	Usage     int64   `json:"usage"`
	Revisions int     `json:"revisions"`
	Cached    bool    `json:"cached"` // false where the repo was not in the cache
}

// Validate checks that a target names a repo: type/org/name.
func (c *historyCmd) Validate(kctx *kong.Context) error {
	if c.Target != "" && (strings.Count(c.Target, "/") < 1 || strings.ContainsAny(c.Target, "@:")) {
		return usageOf("history", "target %q: want a repo as model/org/name", c.Target)
	}
	return nil
}

// Run prints the history of the cache, or of one repo, one point per kept
// snapshot, oldest first.
func (c *historyCmd) Run(a *app) error {
	if err := a.formatIn("table", "json", "csv"); err != nil {
		return err
	}
	root, err := a.historyRoot()
	if err != nil {
		return err
	}
	st, err := a.openState()
	if err != nil {
		return err
	}
	defer st.Close()
	points := []historyPoint{}
	if c.Target == "" {
		snaps, err := st.Snapshots(root)
		if err != nil {
			return failf("pass --state PATH to a readable state file", "read the history from %s: %w", st.Path(), err)
		}
		for _, sn := range snaps {
			points = append(points, historyPoint{sn.At, sn.Size, sn.Usage, sn.Revisions, true})
		}
	} else {
		snaps, repo, present, err := st.RepoSeries(root, c.Target)
		if err != nil {
			return failf("pass --state PATH to a readable state file", "read the history from %s: %w", st.Path(), err)
		}
		seen := false
		for i, sn := range snaps {
			seen = seen || present[i]
			points = append(points, historyPoint{sn.At, repo[i].Size, repo[i].Usage, repo[i].Revisions, present[i]})
		}
		if !seen {
			return failf("run 'hfidx ls -q' for the repos cached now", "no history of %s", c.Target)
		}
	}
	switch a.Format {
	case "json":
		return writeJSON(a, points)
	case "csv":
		w := csv.NewWriter(a.stdout)
		w.Write([]string{"time", "size_on_disk", "usage", "revisions", "cached"})
		for _, p := range points {
			w.Write([]string{strconv.FormatFloat(p.Time, 'f', 3, 64), strconv.FormatInt(p.Size, 10),
				strconv.FormatInt(p.Usage, 10), strconv.Itoa(p.Revisions), strconv.FormatBool(p.Cached)})
		}
		w.Flush()
		return w.Error()
	}
	w := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "TIME\tSIZE ON DISK\tUSAGE\tREVISIONS")
	for _, p := range points {
		t := time.Unix(0, int64(p.Time*1e9)).Format("2006-01-02 15:04:05")
		if !p.Cached {
			fmt.Fprintf(w, "%s\t-\t-\t-\n", t)
			continue
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%d\n", t, query.FormatSize(p.Size), query.FormatSize(p.Usage), p.Revisions)
	}
	return w.Flush()
}
