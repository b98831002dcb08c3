package main

import (
	"fmt"
	"math"
	"sort"
	"text/tabwriter"
	"time"

	"github.com/alecthomas/kong"

	"github.com/hfidx/hfidx/cache"
	"github.com/hfidx/hfidx/query"
	"github.com/hfidx/hfidx/state"
)

type diffCmd struct {
	Since string `name:"since" placeholder:"DUR" help:"Compare with the cache as it was this long ago (e.g. 1h, 7d; default 1d)."`
	From  string `name:"from" placeholder:"TIME" help:"Compare from this time (2006-01-02, 2006-01-02T15:04, or RFC 3339)."`
	To    string `name:"to" placeholder:"TIME" help:"Compare up to this time (default: now); only with --from."`

	from, to time.Time
}

// diffRev is a revision added or removed.
type diffRev struct {
	Repo     string `json:"repo"`
	Revision string `json:"revision"`
}

// diffGrowth is a repo's growth between the two snapshots.
type diffGrowth struct {
	Repo  string `json:"repo"`
	Bytes int64  `json:"bytes"` // size_on_disk after minus before
	Usage int64  `json:"usage"` // allocated bytes after minus before
}

// diffReport is diff's answer.
type diffReport struct {
	From             float64      `json:"from"` // the snapshots compared, epoch seconds
	To               float64      `json:"to"`
	ReposAdded       []string     `json:"repos_added"`
	ReposRemoved     []string     `json:"repos_removed"`
	RevisionsAdded   []diffRev    `json:"revisions_added"`
	RevisionsRemoved []diffRev    `json:"revisions_removed"`
	Growth           []diffGrowth `json:"growth"` // repos whose bytes changed, most grown first
	TotalGrowth      int64        `json:"total_growth"`
	UsageGrowth      int64        `json:"usage_growth"`
	GrowthPerDay     *float64     `json:"growth_per_day"` // allocated bytes a day; null for snapshots less than an hour apart
	FreeBytes        *int64       `json:"free_bytes"`     // of the file system holding the cache
	FullAt           *float64     `json:"full_at"`        // when it fills at that rate, epoch seconds; null when not growing
}

// Validate parses the times: --since, or --from with an optional --to.
func (c *diffCmd) Validate(kctx *kong.Context) error {
	now := time.Now()
	switch {
	case c.Since != "" && (c.From != "" || c.To != ""):
		return usageOf("diff", "--since and --from/--to exclude each other")
	case c.To != "" && c.From == "":
		return usageOf("diff", "--to needs --from")
	case c.From != "":
		t, err := parseWhen(c.From)
		if err != nil {
			return usageOf("diff", "--from: %w", err)
		}
		c.from, c.to = t, now
		if c.To != "" {
			if c.to, err = parseWhen(c.To); err != nil {
				return usageOf("diff", "--to: %w", err)
			}
		}
		if c.to.Before(c.from) {
			return usageOf("diff", "--to %s is before --from %s", c.To, c.From)
		}
	default:
		since := "1d"
		if c.Since != "" {
			since = c.Since
		}
		secs, err := query.ParseDuration(since)
		if err != nil {
			return usageOf("diff", "--since: %w", err)
		}
		c.from, c.to = now.Add(-time.Duration(secs*float64(time.Second))), now
	}
	return nil
}

// parseWhen parses a time given as a date, a date and a local time, or
// RFC 3339.
func parseWhen(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	for _, layout := range []string{"2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02 15:04", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, s, time.Local); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("invalid time %q: want 2006-01-02, 2006-01-02T15:04 or RFC 3339", s)
}

// historyRoot syncs (unless --no-sync), which records a snapshot when the
// cache changed, and returns the cache root.
func (a *app) historyRoot() (string, error) {
	if a.NoSync {
		return a.cacheDir()
	}
	root, _, _, err := a.sync()
	return root, err
}

// snapshotAt returns the snapshot standing for the cache at t: the latest taken
// at or before it, else the first after it; ok is false without any.
func snapshotAt(snaps []state.Snapshot, t time.Time) (state.Snapshot, bool) {
	at := float64(t.UnixNano()) / 1e9
	i := sort.Search(len(snaps), func(i int) bool { return snaps[i].At > at })
	switch {
	case i > 0:
		return snaps[i-1], true
	case len(snaps) > 0:
		return snaps[0], true
	}
	return state.Snapshot{}, false
}

// Run compares the cache's history at two times: repos and revisions
// added and removed, growth per repo and per day, and when the file
// system fills at that rate.
func (c *diffCmd) Run(a *app) error {
	if err := a.formatIn("table", "json"); err != nil {
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
	snaps, err := st.Snapshots(root)
	if err != nil {
		return failf("pass --state PATH to a readable state file", "read the history from %s: %w", st.Path(), err)
	}
	from, ok := snapshotAt(snaps, c.from)
	if !ok {
		return failf("run 'hfidx sync' to record the first snapshot", "no history of %s yet", root)
	}
	to, _ := snapshotAt(snaps, c.to)
	before, err := st.ReposAt(root, from)
	if err == nil {
		var after map[string]state.RepoPoint
		after, err = st.ReposAt(root, to)
		if err == nil {
			r := compare(before, after, from, to)
			if free, _, err := cache.FreeSpace(root); err == nil {
				r.FreeBytes = &free
				if r.GrowthPerDay != nil && *r.GrowthPerDay > 0 {
					full := to.At + float64(free) / *r.GrowthPerDay * 86400
					r.FullAt = &full
				}
			}
			if a.Format == "json" {
				return writeJSON(a, r)
			}
			return writeDiffTable(a, r)
		}
	}
	return failf("pass --state PATH to a readable state file", "read the history from %s: %w", st.Path(), err)
}

// compare builds the report of what changed from before to after.
func compare(before, after map[string]state.RepoPoint, from, to state.Snapshot) diffReport {
	r := diffReport{From: from.At, To: to.At, ReposAdded: []string{}, ReposRemoved: []string{},
		RevisionsAdded: []diffRev{}, RevisionsRemoved: []diffRev{}, Growth: []diffGrowth{},
		TotalGrowth: to.Size - from.Size, UsageGrowth: to.Usage - from.Usage}
	names := map[string]bool{}
	for n := range before {
		names[n] = true
	}
	for n := range after {
		names[n] = true
	}
	sorted := make([]string, 0, len(names))
	for n := range names {
		sorted = append(sorted, n)
	}
	sort.Strings(sorted)
	for _, n := range sorted {
		b, inB := before[n]
		f, inA := after[n]
		switch {
		case !inB:
			r.ReposAdded = append(r.ReposAdded, n)
		case !inA:
			r.ReposRemoved = append(r.ReposRemoved, n)
		}
		had := map[string]bool{}
		for _, h := range b.Hashes {
			had[h] = true
		}
		has := map[string]bool{}
		for _, h := range f.Hashes {
			has[h] = true
			if !had[h] {
				r.RevisionsAdded = append(r.RevisionsAdded, diffRev{n, h})
			}
		}
		for _, h := range b.Hashes {
			if !has[h] {
				r.RevisionsRemoved = append(r.RevisionsRemoved, diffRev{n, h})
			}
		}
		if g := (diffGrowth{n, f.Size - b.Size, f.Usage - b.Usage}); g.Bytes != 0 || g.Usage != 0 {
			r.Growth = append(r.Growth, g)
		}
	}
	sort.SliceStable(r.Growth, func(i, j int) bool { return r.Growth[i].Bytes > r.Growth[j].Bytes })
	// A rate from snapshots minutes apart would extrapolate noise.
	if days := (to.At - from.At) / 86400; days >= 1.0/24 {
		g := float64(r.UsageGrowth) / days
		r.GrowthPerDay = &g
	}
	return r
}

func writeDiffTable(a *app, r diffReport) error {
	w := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
	stamp := func(t float64) string {
		return time.Unix(0, int64(t*1e9)).Format("2006-01-02 15:04")
	}
	fmt.Fprintf(w, "From %s to %s\n", stamp(r.From), stamp(r.To))
	for _, n := range r.ReposAdded {
		fmt.Fprintf(w, "+ %s\n", n)
	}
	for _, n := range r.ReposRemoved {
		fmt.Fprintf(w, "- %s\n", n)
	}
	for _, v := range r.RevisionsAdded {
		fmt.Fprintf(w, "+ %s@%s\n", v.Repo, v.Revision)
	}
	for _, v := range r.RevisionsRemoved {
		fmt.Fprintf(w, "- %s@%s\n", v.Repo, v.Revision)
	}
	if len(r.Growth) > 0 {
		fmt.Fprintln(w, "REPO\tGROWTH\tUSAGE GROWTH")
		for _, g := range r.Growth {
			fmt.Fprintf(w, "%s\t%s\t%s\n", g.Repo, signed(g.Bytes), signed(g.Usage))
		}
	}
	fmt.Fprintf(w, "Total growth: %s (allocated %s)", signed(r.TotalGrowth), signed(r.UsageGrowth))
	if r.GrowthPerDay != nil {
		fmt.Fprintf(w, ", %s a day", signed(int64(math.Round(*r.GrowthPerDay))))
	}
	fmt.Fprintln(w)
	if r.FreeBytes != nil {
		fmt.Fprintf(w, "Free: %s", query.FormatSize(*r.FreeBytes))
		if r.FullAt != nil {
			fmt.Fprintf(w, "; full around %s at this rate", stamp(*r.FullAt))
		}
		fmt.Fprintln(w)
	}
	return w.Flush()
}

// signed formats a byte difference with its sign.
func signed(n int64) string {
	if n < 0 {
		return "-" + query.FormatSize(-n)
	}
	return "+" + query.FormatSize(n)
}
