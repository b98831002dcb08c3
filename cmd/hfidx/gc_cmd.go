package main

import (
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/alecthomas/kong"
	"github.com/jmoiron/sqlx"

	"github.com/hfidx/hfidx/cache"
	"github.com/hfidx/hfidx/policy"
	"github.com/hfidx/hfidx/query"
	"github.com/hfidx/hfidx/state"
)

type gcCmd struct {
	MaxSize    string `name:"max-size" placeholder:"SIZE" help:"Keep the cache at most this big, counted as scan's total (e.g. 100G, 1.5T)."`
	MinFree    string `name:"min-free" placeholder:"SIZE|N%" help:"Keep at least this much free on the cache's file system (e.g. 50G, 10%)."`
	KeepLast   int    `name:"keep-last" placeholder:"N" help:"Never evict the N most recently used revisions of each repo."`
	KeepWithin string `name:"keep-within" placeholder:"DUR" help:"Never evict revisions used within this (e.g. 30d, 12h)."`
	KeepRefs   bool   `name:"keep-refs" help:"Never evict a revision a ref names."`
	Policy     string `name:"policy" type:"path" placeholder:"FILE" help:"A TOML policy: these options, and rules per repo glob, type or org; flags override it."`
	DryRun     bool   `name:"dry-run" help:"Print what would go and why; touch nothing."`
	Yes        bool   `name:"yes" short:"y" help:"Do not ask for confirmation."`
	Grace      string `name:"grace" default:"1h" placeholder:"AGE" help:"Leave orphan blobs, store payloads and temporary files younger than this (as prune)."`
	Auto       bool   `name:"auto" help:"For timers: run at most once per --interval, skip quietly while a download runs, refuse a plan above --max-delete, print one line."`
	Interval   string `name:"interval" default:"24h" placeholder:"DUR" help:"With --auto: the least time between two runs."`
	MaxDelete  string `name:"max-delete" placeholder:"N" help:"With --auto: refuse a plan evicting more than N items (default 50, and no more than half the cache)."`

	budget    policy.Budget
	keep      policy.Keep
	rules     []policy.Rule
	interval  float64
	maxDelete int
	grace     float64
}

// Validate parses sizes and durations and the policy file before anything
// runs; flags override the file.
func (c *gcCmd) Validate(kctx *kong.Context) error {
	if err := realRunNoSync(kctx, "gc", c.DryRun); err != nil {
		return err
	}
	var f policy.File
	if c.Policy != "" {
		pf, rules, err := policy.ReadFile(c.Policy, query.ParseDuration)
		if err != nil {
			return usageOf("gc", "policy: %w", err)
		}
		f, c.rules = *pf, rules
	}
	pick := func(flag, file string) string {
		if flag != "" {
			return flag
		}
		return file
	}
	if s := pick(c.MaxSize, f.MaxSize); s != "" {
		n, err := query.ParseSize(s)
		if err != nil || n < 0 {
			return usageOf("gc", "invalid --max-size %q: want bytes with an optional unit, e.g. 100G", s)
		}
		v := int64(n)
		c.budget.MaxSize = &v
	}
	c.keep.Last = c.KeepLast
	if c.KeepLast == 0 && f.KeepLast != nil {
		c.keep.Last = *f.KeepLast
	}
	if c.keep.Last < 0 {
		return usageOf("gc", "--keep-last must be 0 or more")
	}
	if s := pick(c.KeepWithin, f.KeepWithin); s != "" {
		d, err := query.ParseDuration(s)
		if err != nil {
			return usageOf("gc", "invalid --keep-within %q: %w", s, err)
		}
		c.keep.Within = d
	}
	c.keep.Refs = c.KeepRefs || (f.KeepRefs != nil && *f.KeepRefs)
	for _, d := range []struct {
		s   string
		dst *float64
		why string
	}{{c.Interval, &c.interval, "--interval"}, {c.Grace, &c.grace, "--grace"}} {
		v, err := query.ParseDuration(d.s)
		if err != nil {
			return usageOf("gc", "invalid %s %q: %w", d.why, d.s, err)
		}
		*d.dst = v
	}
	c.maxDelete = -1
	if c.MaxDelete != "" {
		n, err := strconv.Atoi(c.MaxDelete)
		if err != nil || n < 0 {
			return usageOf("gc", "invalid --max-delete %q: want a whole number, 0 or more", c.MaxDelete)
		}
		c.maxDelete = n
	}
	c.MinFree = pick(c.MinFree, f.MinFree)
	return nil
}

// gcItem is one item of gc's plan, as JSON shows it.
type gcItem struct {
	Target    string   `json:"target"`
	Kind      string   `json:"kind"` // revision, incomplete, orphan, payload, leftover
	RepoID    string   `json:"repo_id,omitempty"`
	RepoType  string   `json:"repo_type,omitempty"`
	Revision  string   `json:"revision,omitempty"`
	Action    string   `json:"action"` // evict or keep
	Reasons   []string `json:"reasons"`
	FreedSize int64    `json:"freed_size"`
}

// gcOutput is gc's JSON.
type gcOutput struct {
	DryRun            bool          `json:"dry_run"`
	ExpectedFreedSize int64         `json:"expected_freed_size"`
	UsedBefore        int64         `json:"used_before"`
	UsedAfter         int64         `json:"used_after"`
	FreeBefore        *int64        `json:"free_before"`
	FreeAfter         *int64        `json:"free_after"`
	Budget            policy.Budget `json:"budget"`
	Shortfall         int64         `json:"shortfall"`
	Items             []gcItem      `json:"items"`
	Result            any           `json:"result,omitempty"`
	Freed             int64         `json:"freed"`
	// Lost are links a concurrent download made to removed blobs.
	Lost []cache.LostLink `json:"lost,omitempty"`
}

func (c *gcCmd) Run(a *app) error {
	if err := a.formatIn("table", "text", "json"); err != nil {
		return err
	}
	root, err := a.cacheDir()
	if err != nil {
		return err
	}
	st, err := a.openState()
	if err != nil {
		return err
	}
	defer st.Close()
	if c.Auto && !c.DryRun {
		if last, ok, err := st.LastGC(root, "auto: done", "auto: nothing to do"); err == nil && ok && a.nowFloat()-last.RanAt < c.interval {
			fmt.Fprintf(a.stdout, "hfidx gc: skipped: last run %s, interval %s\n", query.FormatTimeSince(last.RanAt, a.nowFloat()), c.Interval)
			return nil
		}
	}
	if !c.DryRun {
		if err := finishInterrupted(a); err != nil {
			return err
		}
	}
	db, _, err := a.openIndex()
	if err != nil {
		return err
	}
	defer db.Close()
	inUse := newInUse(root)
	if !c.Auto {
		inUse.warn(a.stderr)
	}
	g, err := c.plan(a, db, root, inUse)
	if err != nil {
		return err
	}
	out, evicted := g.out, g.evicted
	if c.Auto && len(evicted) > 0 {
		limit := c.maxDelete
		if limit < 0 {
			limit = 50
		}
		tooMuch := len(evicted) > limit || (c.maxDelete < 0 && (out.UsedBefore-out.UsedAfter)*2 > out.UsedBefore)
		if tooMuch {
			st.RecordGC(root, state.GCRun{RanAt: a.nowFloat(), Items: len(evicted), Freed: out.ExpectedFreedSize, Outcome: c.outcome("refused")})
			return &cliError{code: exitError, msg: fmt.Sprintf("gc: refused: the plan evicts %d item(s), %s of the cache's %s", len(evicted), query.FormatSize(out.UsedBefore-out.UsedAfter), query.FormatSize(out.UsedBefore)),
				hint: "review it with 'hfidx gc --dry-run' and the same options, then raise --max-delete"}
		}
		if why := g.downloading; why != "" && !c.DryRun {
			fmt.Fprintf(a.stdout, "hfidx gc: skipped: %s\n", why)
			return nil
		}
	}
	out.DryRun = c.DryRun
	if len(evicted) == 0 {
		if a.Format == "json" {
			return writeJSON(a, out)
		}
		if !c.Auto {
			writeGCPlan(a.stdout, &out, g.none)
		} else {
			fmt.Fprintf(a.stdout, "hfidx gc: nothing to do: %s\n", g.none)
		}
		if !c.DryRun {
			st.RecordGC(root, state.GCRun{RanAt: a.nowFloat(), Outcome: c.outcome("nothing to do")})
		}
		return nil
	}
	if c.Auto {
		c.Yes = true
	}
	show := func() { writeGCPlan(a.stdout, &out, "") }
	if c.Auto {
		show = func() {} // one line, at the end
	}
	run, err := preview(a, false, "", out, show, c.DryRun, c.Yes)
	if !run || err != nil {
		return err
	}
	d := cache.Deletion{Incomplete: g.incomplete, Leftovers: g.leftovers, InUse: inUse.now}
	plan, res, lost, execErr, err := runPlan(a, root, g.sel, g.plan, d)
	if err != nil {
		return err
	}
	sum := summarize(plan, &res)
	for _, r := range res.Removed {
		if r.Kind == "repo" {
			for _, n := range g.extra[r.Path] {
				sum.Freed += n
			}
		}
	}
	out.Result, out.Freed, out.Lost = &res, sum.Freed, lost
	st.RecordGC(root, state.GCRun{RanAt: a.nowFloat(), Items: len(evicted), Freed: sum.Freed, Outcome: c.outcome("done")})
	if a.Format == "json" {
		if err := writeJSON(a, out); err != nil {
			return err
		}
	} else {
		for _, k := range res.KeptInUse {
			fmt.Fprintf(a.stderr, "Warning: kept %s: %s\n", k.Path, k.Reason)
		}
		for _, s := range res.Skipped {
			fmt.Fprintf(a.stderr, "Warning: skipped %s: %s\n", s.Folder, s.Reason)
		}
	}
	if execErr != nil {
		return failf("fix the cause and run the same command again", "%w", execErr)
	}
	if a.Format != "json" {
		line := fmt.Sprintf("Evicted %d item(s) (%d revision(s), %d repo(s) whole); freed %s.", len(evicted), sum.RevsDeleted, sum.ReposDeleted, query.FormatSize(sum.Freed))
		if c.Auto {
			line = "hfidx gc: " + line
		}
		fmt.Fprintln(a.stdout, line)
	}
	return nil
}

// outcome names a run's outcome in the state; --auto's interval counts
// the runs of --auto only.
func (c *gcCmd) outcome(o string) string {
	if c.Auto {
		return "auto: " + o
	}
	return o
}

// gcPlan is what gc decided.
type gcPlan struct {
	out         gcOutput
	evicted     []gcItem
	sel         *query.Selection
	plan        *query.Plan
	incomplete  []string
	leftovers   []string
	none        string                      // why nothing goes
	extra       map[string]map[string]int64 // what repos going whole take besides their plan rows
	downloading string                      // a download lock held somewhere, for --auto
}

func (c *gcCmd) plan(a *app, db *sqlx.DB, root string, inUse *inUse) (*gcPlan, error) {
	now := a.nowFloat()
	g := &gcPlan{}
	var used int64
	if err := db.Get(&used, `SELECT size_on_disk FROM cache_usage`); err != nil {
		return nil, failf("run 'hfidx sync' to rebuild the index", "read index: %w", err)
	}
	free, total, ferr := cache.FreeSpace(root)
	if c.MinFree != "" {
		if ferr != nil {
			return nil, failf("use --max-size instead", "--min-free: cannot read the free space of %s: %w", root, ferr)
		}
		var n float64
		var err error
		if p, ok := strings.CutSuffix(c.MinFree, "%"); ok {
			n, err = strconv.ParseFloat(p, 64)
			if err == nil && (n < 0 || n > 100) {
				err = fmt.Errorf("a percentage is 0 to 100")
			}
			n = n / 100 * float64(total)
		} else {
			n, err = query.ParseSize(c.MinFree)
		}
		if err != nil {
			return nil, usagef("e.g. --min-free 50G or --min-free 10%", "invalid --min-free %q: %w", c.MinFree, err)
		}
		v := int64(n)
		c.budget.MinFree = &v
	}
	revs, err := query.LoadGCRevisions(db)
	if err != nil {
		return nil, failf("run 'hfidx sync' to rebuild the index", "read index: %w", err)
	}
	pinned, err := gcPins(a, db, root)
	if err != nil {
		return nil, err
	}
	held, err := heldRevisions(db, inUse)
	if err != nil {
		return nil, failf("run 'hfidx sync' to rebuild the index", "read index: %w", err)
	}
	// Only the repos with a lock folder can have a download running: the
	// .locks folder is listed once, not looked up per repo.
	locked := cache.LockFolders(root)
	busy := map[string]string{}
	for _, r := range revs {
		if _, seen := busy[r.Folder]; !seen {
			busy[r.Folder] = ""
			if !locked[r.Folder] {
				continue
			}
			if l := cache.LocksHeld(filepath.Join(root, ".locks", r.Folder)); l != "" {
				busy[r.Folder] = "download in progress (" + l + ")"
				g.downloading = r.CacheID + ": download in progress"
			}
		}
	}
	opts := policy.Options{Keep: c.keep, Rules: c.rules, Now: now,
		Pinned: pinned,
		InUse:  func(r query.GCRevision) string { return held[r.Key()] },
		Busy:   func(folder string) string { return busy[folder] }}
	cands, kept := policy.Decide(revs, opts)
	hasRule := c.keep.Last > 0 || c.keep.Within > 0 || c.keep.Refs || len(c.rules) > 0
	planner := func(sel *query.Selection) (*query.Plan, error) { return query.MakePlan(db, sel) }
	g.out = gcOutput{UsedBefore: used, UsedAfter: used, Budget: c.budget, Items: []gcItem{}}
	if ferr == nil {
		g.out.FreeBefore, g.out.FreeAfter = &free, new(int64)
		*g.out.FreeAfter = free
	}
	chooser := &policy.Chooser{Plan: planner}
	k := 0
	var cleanup []gcItem
	switch {
	case c.budget.Set() && c.budget.Holds(used, free):
		g.none = "the budget holds already"
		for i := range cands {
			cands[i].Keep, cands[i].Reasons = true, append(cands[i].Reasons, "budget holds")
		}
	case c.budget.Set():
		pr, err := query.PlanPrune(db, query.PruneOptions{Root: root, Cutoff: a.now.Add(-time.Duration(c.grace * float64(time.Second))),
			InUse: inUse.holders})
		if err != nil {
			return nil, failf("run 'hfidx sync' to rebuild the index", "plan: %w", err)
		}
		base := query.NewSelection()
		base.InUse = inUse.holders
		for p := range pr.Selection.Orphans {
			base.Orphans[p] = true
			cleanup = append(cleanup, gcItem{Target: p, Kind: "orphan", Action: "evict", Reasons: []string{"no snapshot links it"}, FreedSize: pr.Sizes[p]})
		}
		for p := range pr.Selection.Payloads {
			base.Payloads[p] = true
			cleanup = append(cleanup, gcItem{Target: p, Kind: "payload", Action: "evict", Reasons: []string{"no repo links it"}, FreedSize: pr.Sizes[p]})
		}
		for _, p := range pr.Incomplete {
			cleanup = append(cleanup, gcItem{Target: p, Kind: "incomplete", Action: "evict", Reasons: []string{"interrupted download, its lock free"}, FreedSize: pr.IncompleteSizes[p]})
		}
		for _, p := range pr.Leftovers {
			cleanup = append(cleanup, gcItem{Target: p, Kind: "leftover", Action: "evict", Reasons: []string{"left by an earlier deletion"}})
		}
		sortItems(cleanup)
		g.incomplete, g.leftovers = pr.Incomplete, pr.Leftovers
		chooser.Base, chooser.Candidates = base, cands
		n, _, _, err := chooser.Choose(c.budget, used, free)
		if err != nil {
			return nil, failf("run 'hfidx sync' to rebuild the index", "plan: %w", err)
		}
		k = n
		for i := k; i < len(cands); i++ {
			cands[i].Keep, cands[i].Reasons = true, append(cands[i].Reasons, "budget holds")
		}
	case hasRule:
		chooser.Candidates, k = cands, len(cands)
	default:
		g.none = "no budget (--max-size, --min-free) and no keep rule (--keep-last, --keep-within, --keep-refs, --policy) given"
		for i := range cands {
			cands[i].Keep, cands[i].Reasons = true, []string{"no rule evicts it"}
		}
	}
	// The plan run, whole (its listing and re-checks too), and what each
	// evicted revision adds to it, in order.
	g.evicted = append(g.evicted, cleanup...)
	if k > 0 || len(cleanup) > 0 {
		sel := chooser.Selection(k)
		sel.SizesOnly = false
		full, err := query.MakePlan(db, sel)
		if err != nil {
			return nil, failf("run 'hfidx sync' to rebuild the index", "plan: %w", err)
		}
		base, err := chooser.Outcome(0)
		if err != nil {
			return nil, failf("run 'hfidx sync' to rebuild the index", "plan: %w", err)
		}
		ids := make([]int64, k)
		for i := range ids {
			ids[i] = cands[i].Revision
		}
		each, err := query.Attribute(db, full, ids)
		if err != nil {
			return nil, failf("run 'hfidx sync' to rebuild the index", "read index: %w", err)
		}
		// A repo that goes whole takes what its folder holds besides the
		// blobs its snapshots link: the cleanup items in it, and young
		// orphans and downloads no item names. The latter are counted, and
		// given to the revision that takes the repo.
		listed := map[string]bool{}
		for _, ci := range cleanup {
			listed[ci.Target] = true
		}
		extras, err := query.FolderExtras(db, full.Repos)
		if err != nil {
			return nil, failf("run 'hfidx sync' to rebuild the index", "read index: %v", err)
		}
		lastOf := map[string]int{}
		for i := 0; i < k; i++ {
			lastOf[filepath.Join(root, cands[i].Folder)] = i
		}
		var extra int64
		g.extra = map[string]map[string]int64{}
		for repo, files := range extras {
			g.extra[repo] = map[string]int64{}
			for p, n := range files {
				if listed[p] {
					continue
				}
				g.extra[repo][p] = n
				extra += n
				if i, ok := lastOf[repo]; ok {
					each[i] += n
				}
			}
		}
		for i := 0; i < k; i++ {
			it := revItem(cands[i], "evict")
			it.FreedSize = each[i]
			g.evicted = append(g.evicted, it)
		}
		g.sel, g.plan = sel, full
		withLeftovers(root, g.plan)
		swallowed := chooser.Swallowed(full)
		g.out.ExpectedFreedSize = full.ExpectedFreedSize + extra + swallowed
		for _, ci := range cleanup {
			if ci.Kind == "incomplete" {
				g.out.ExpectedFreedSize += ci.FreedSize
			}
		}
		g.out.UsedAfter = used - (full.ExpectedFreedSize - base.Freed + swallowed)
		if g.out.FreeAfter != nil {
			*g.out.FreeAfter = free + full.ExpectedFreedUsage
		}
	}
	if c.budget.Set() && !c.budget.Holds(g.out.UsedAfter, derefOr(g.out.FreeAfter, free)) {
		if c.budget.MaxSize != nil && g.out.UsedAfter > *c.budget.MaxSize {
			g.out.Shortfall = g.out.UsedAfter - *c.budget.MaxSize
		}
		if c.budget.MinFree != nil && g.out.FreeAfter != nil && *g.out.FreeAfter < *c.budget.MinFree {
			g.out.Shortfall = max(g.out.Shortfall, *c.budget.MinFree-*g.out.FreeAfter)
		}
	}
	g.out.Items = append(g.out.Items, g.evicted...)
	for _, it := range cands[k:] {
		g.out.Items = append(g.out.Items, revItem(it, "keep"))
	}
	for _, it := range kept {
		g.out.Items = append(g.out.Items, revItem(it, "keep"))
	}
	return g, nil
}

func derefOr(p *int64, v int64) int64 {
	if p == nil {
		return v
	}
	return *p
}

func revItem(it policy.Item, action string) gcItem {
	return gcItem{Target: it.Target(), Kind: "revision", RepoID: it.RepoID, RepoType: it.RepoType, Revision: it.Commit,
		Action: action, Reasons: it.Reasons}
}

func sortItems(items []gcItem) {
	for i := 1; i < len(items); i++ {
		for j := i; j > 0 && (items[j].Kind < items[j-1].Kind || items[j].Kind == items[j-1].Kind && items[j].Target < items[j-1].Target); j-- {
			items[j], items[j-1] = items[j-1], items[j]
		}
	}
}

// heldRevisions returns, per revision, who holds one of its files, from
// the processes' snapshot.
func heldRevisions(db *sqlx.DB, u *inUse) (map[query.RevisionKey]string, error) {
	out := map[query.RevisionKey]string{}
	if u.ps == nil {
		return out, nil
	}
	var files [][2]uint64
	seen := map[[2]uint64]bool{}
	for _, p := range u.ps.List {
		for _, f := range p.Files {
			k := [2]uint64{f.Dev, f.Ino}
			if !seen[k] {
				seen[k] = true
				files = append(files, k)
			}
		}
	}
	revs, err := query.RevisionsLinking(db, files)
	if err != nil {
		return nil, err
	}
	for key, f := range revs {
		out[key] = strings.Join(u.holders(f[0], f[1]), ", ")
	}
	return out, nil
}

// gcPins turns the pins of the cache (pinnedSelection) into a test of
// revisions: the note of the pin covering it, if any. A pin that is
// ambiguous now stops gc (pinnedSelection's error): what it meant to keep
// cannot be told.
func gcPins(a *app, db *sqlx.DB, root string) (func(query.GCRevision) (string, bool), error) {
	sel, notes, err := pinnedSelection(a, db, root)
	if err != nil {
		return nil, err
	}
	revs := map[query.RevisionKey]string{}
	for k := range sel.Revisions {
		revs[k] = notes[pinNoteKey(k)]
	}
	for fk := range sel.Files {
		k := query.RevisionKey{Folder: fk.Folder, Hash: fk.Hash}
		if _, ok := revs[k]; !ok {
			revs[k] = notes[pinFileNoteKey(fk)]
		}
	}
	return func(r query.GCRevision) (string, bool) {
		if n, ok := revs[r.Key()]; ok {
			return n, true
		}
		if sel.Repos[r.Folder] {
			return notes[r.Folder], true
		}
		return "", false
	}, nil
}

// writeGCPlan prints gc's plan: one line of figures, then each evicted
// item with what it frees and why, then what is kept and why.
func writeGCPlan(w io.Writer, out *gcOutput, none string) {
	var budget []string
	if b := out.Budget.MaxSize; b != nil {
		budget = append(budget, "at most "+query.FormatSize(*b))
	}
	if b := out.Budget.MinFree; b != nil {
		budget = append(budget, "at least "+query.FormatSize(*b)+" free")
	}
	head := fmt.Sprintf("Used %s", query.FormatSize(out.UsedBefore))
	if out.FreeBefore != nil {
		head += fmt.Sprintf(", %s free", query.FormatSize(*out.FreeBefore))
	}
	if len(budget) > 0 {
		head += "; budget: " + strings.Join(budget, ", ")
	}
	fmt.Fprintln(w, head+".")
	evict := 0
	for _, it := range out.Items {
		if it.Action == "evict" {
			evict++
			fmt.Fprintf(w, "  evict  %-10s %9s  %s: %s\n", it.Kind, query.FormatSize(it.FreedSize), it.Target, strings.Join(it.Reasons, "; "))
		}
	}
	for _, it := range out.Items {
		if it.Action == "keep" {
			fmt.Fprintf(w, "  keep   %-10s %9s  %s: %s\n", it.Kind, "", it.Target, strings.Join(it.Reasons, "; "))
		}
	}
	if evict == 0 {
		fmt.Fprintf(w, "Nothing to evict: %s.\n", none)
		return
	}
	fmt.Fprintf(w, "Evicts %d item(s), freeing %s: used %s after.\n", evict, query.FormatSize(out.ExpectedFreedSize), query.FormatSize(out.UsedAfter))
	if out.Shortfall > 0 {
		fmt.Fprintf(w, "The budget cannot be met: still %s over, the %s left all kept by the rules above.\n", query.FormatSize(out.Shortfall), query.FormatSize(out.UsedAfter))
	}
}
