package main

import (
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/alecthomas/kong"

	"github.com/hfidx/hfidx/cache"
	"github.com/hfidx/hfidx/query"
)

type pruneCmd struct {
	DryRun                   bool   `name:"dry-run" help:"Print what would go, kind by kind; touch nothing."`
	Yes                      bool   `name:"yes" short:"y" help:"Do not ask for confirmation."`
	Grace                    string `name:"grace" default:"1h" placeholder:"AGE" help:"Leave orphan blobs, store payloads and temporary files changed more recently than this (s, m, h, d, w; default 1h): a download may sit between its rename and its link."`
	IncludeUnreferencedRepos bool   `name:"include-unreferenced-repos" help:"Also delete repos no ref names at all (downloaded by commit hash only), whole."`
	Force                    bool   `name:"force" help:"Also delete blobs that running processes have open or mapped (their space is freed only when those processes exit)."`
}

// Validate refuses a real prune with --no-sync.
func (c *pruneCmd) Validate(kctx *kong.Context) error {
	return realRunNoSync(kctx, "prune", c.DryRun)
}

// pruneOutput is the JSON of prune.
type pruneOutput struct {
	*query.Prune
	DryRun bool                `json:"dry_run"`
	Result *cache.DeleteResult `json:"result,omitempty"`
	Freed  int64               `json:"freed"`
	Lost   []cache.LostLink    `json:"lost,omitempty"` // links a concurrent download made to removed blobs
}

// Run plans the prune once, prints it, asks, re-plans the same selection
// on a fresh index and executes it with the delete executor.
func (c *pruneCmd) Run(a *app) error {
	if err := a.formatIn("table", "text", "json"); err != nil {
		return err
	}
	grace, err := query.ParseDuration(c.Grace)
	if err != nil {
		return usagef("e.g. --grace 1h, --grace 0 to take everything now", "%w", err)
	}
	root, err := a.cacheDir()
	if err != nil {
		return err
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
	inUse := newInUse(root)
	inUse.warn(a.stderr)
	opts := query.PruneOptions{Root: root, IncludeUnreferencedRepos: c.IncludeUnreferencedRepos,
		Cutoff: a.now.Add(-time.Duration(grace * float64(time.Second))), InUse: inUse.holders, ForceInUse: c.Force}
	pr, err := query.PlanPrune(db, opts)
	db.Close()
	if err != nil {
		return failf("run 'hfidx sync' to rebuild the index", "plan: %w", err)
	}
	out := pruneOutput{Prune: pr, DryRun: c.DryRun}
	writePruneNotes(a.stderr, pr, c.Grace)
	if pr.Empty() && a.Format != "json" {
		writeHeld(a.stdout, pr.Plan)
	}
	run, err := preview(a, pr.Empty(), "Nothing to prune.", out, func() { writePrunePlan(a.stdout, root, pr) }, c.DryRun, c.Yes)
	if !run || err != nil {
		return err
	}
	d := cache.Deletion{Incomplete: pr.Incomplete, Leftovers: pr.Leftovers}
	if !c.Force {
		d.InUse = inUse.now
	}
	plan, res, lost, execErr, err := runPlan(a, root, pr.Selection, pr.Plan, d)
	if err != nil {
		return err
	}
	sum := summarize(plan, &res)
	out.Result, out.Freed, out.Lost = &res, sum.Freed, lost
	counts := map[string]int{}
	for _, r := range res.Removed {
		counts[r.Kind]++
	}
	if a.Format == "json" {
		if err := writeJSON(a, out); err != nil {
			return err
		}
	} else {
		for _, p := range res.Kept {
			fmt.Fprintf(a.stderr, "Warning: kept %s: a snapshot links it again\n", p)
		}
		for _, s := range res.Skipped {
			fmt.Fprintf(a.stderr, "Warning: skipped %s: %s\n", s.Folder, s.Reason)
		}
		for _, k := range res.KeptLeftovers {
			fmt.Fprintf(a.stderr, "Warning: kept %s: %s\n", k.Path, k.Reason)
		}
		for _, k := range res.KeptInUse {
			fmt.Fprintf(a.stderr, "Warning: kept %s: %s (--force deletes it anyway)\n", k.Path, k.Reason)
		}
		writeKeptPayloads(a.stderr, plan, &res)
	}
	if execErr != nil {
		fmt.Fprintf(a.stderr, "Deleted %d path(s) before the error.\n", len(res.Removed))
		return failf("fix the cause and run the same command again", "%w", execErr)
	}
	if a.Format != "json" {
		orphans := 0
		for _, r := range res.Removed {
			if r.Kind == "blob" && pr.Selection.Orphans[r.Path] {
				orphans++
			}
		}
		fmt.Fprintf(a.stdout, "Pruned %d revision(s), %d incomplete download(s), %d orphan blob(s), %d shared payload(s) and %d leftover(s); freed %s.\n",
			sum.RevsDeleted, counts["incomplete"], orphans, counts["payload"], counts["leftover"], query.FormatSize(sum.Freed))
	}
	if len(res.Skipped) > 0 {
		return &cliError{code: exitPartial, msg: fmt.Sprintf("%d repo(s) skipped: a download is running", len(res.Skipped)),
			hint: "run again when the download is done"}
	}
	return nil
}

// writePruneNotes says what prune leaves on purpose.
func writePruneNotes(w io.Writer, pr *query.Prune, grace string) {
	if n := len(pr.Busy); n > 0 {
		fmt.Fprintf(w, "Keeping %d incomplete download(s) whose download lock is held (a download is running).\n", n)
	}
	if n := len(pr.Unsweepable); n > 0 {
		fmt.Fprintf(w, "Keeping %d unreferenced shared payload(s) without a readable manifest: never swept (see unsweepable_payloads in --format json).\n", n)
	}
	if n := len(pr.Young); n > 0 {
		fmt.Fprintf(w, "Keeping %d orphan blob(s) or payload(s) changed within the last %s (--grace).\n", n, grace)
	}
}

// writePrunePlan prints the prune plan kind by kind.
func writePrunePlan(w io.Writer, root string, pr *query.Prune) {
	s := pr.Summary
	var parts []string
	add := func(k query.PruneKind, what string, withSize bool) {
		if k.Count == 0 {
			return
		}
		if withSize {
			parts = append(parts, fmt.Sprintf("%d %s (%s)", k.Count, what, query.FormatSize(k.Size)))
		} else {
			parts = append(parts, fmt.Sprintf("%d %s", k.Count, what))
		}
	}
	add(s.Revisions, "unreferenced revision(s)", true)
	add(s.Incomplete, "incomplete download(s)", true)
	add(s.OrphanBlobs, "orphan blob(s)", true)
	add(s.SharedPayloads, "unreferenced shared payload(s)", true)
	add(s.Leftovers, "leftover(s)", false)
	fmt.Fprintf(w, "About to prune %s, totalling %s.\n", joinAnd(parts), query.FormatSize(pr.TotalSize))
	for _, e := range pr.Entries {
		if e.Whole {
			fmt.Fprintf(w, "  - %s (entire repo, no ref)\n", e.CacheID)
			continue
		}
		fmt.Fprintf(w, "  - %s:\n", e.CacheID)
		for _, v := range e.Revisions {
			fmt.Fprintf(w, "      %s [(detached)] %s\n", v.CommitHash, query.FormatSize(v.SizeOnDisk))
		}
	}
	rel := func(p string) string {
		if r, err := filepath.Rel(root, p); err == nil {
			return r
		}
		return p
	}
	for _, p := range pr.Incomplete {
		fmt.Fprintf(w, "  incomplete %s\n", rel(p))
	}
	for _, p := range pr.Blobs {
		if pr.Selection.Orphans[p] {
			fmt.Fprintf(w, "  orphan     %s (%s)\n", rel(p), query.FormatSize(pr.Sizes[p]))
		}
	}
	for _, p := range pr.Payloads {
		fmt.Fprintf(w, "  payload    %s (%s)\n", rel(p), query.FormatSize(pr.Sizes[p]))
	}
	for _, p := range pr.Leftovers {
		fmt.Fprintf(w, "  leftover   %s\n", rel(p))
	}
	writeHeld(w, pr.Plan)
}

func joinAnd(parts []string) string {
	switch len(parts) {
	case 0:
		return "nothing"
	case 1:
		return parts[0]
	}
	return strings.Join(parts[:len(parts)-1], ", ") + " and " + parts[len(parts)-1]
}
