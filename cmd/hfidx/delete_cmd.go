package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/alecthomas/kong"
	"github.com/jmoiron/sqlx"
	"golang.org/x/term"

	"github.com/hfidx/hfidx/cache"
	"github.com/hfidx/hfidx/index"
	"github.com/hfidx/hfidx/query"
	"github.com/hfidx/hfidx/schema"
)

type deleteCmd struct {
	Targets []string `arg:"" optional:"" sep:"none" type:"raw" help:"Commit hashes (or unique prefixes of 8+ hex), cache ids (model/org/name, optionally @<hash>), hf:// repo URIs, files (hf://[type/]org/name[@rev]/path, model/org/name[@rev]:GLOB), or - to read them from stdin. None: choose from a list on the terminal (or in an editor with --disable-tui)."`
	DryRun  bool     `name:"dry-run" help:"Print the plan; touch nothing."`
	Yes     bool     `name:"yes" short:"y" help:"Do not ask for confirmation."`
	Wait    bool     `name:"wait" help:"Wait for download locks held by other processes instead of skipping their repos."`
	// Blobs other repos' snapshots link are kept unless asked.
	BreakLinks bool `name:"break-links" help:"Also remove blobs that snapshots of other repos link; the files this breaks are listed (JSON: \"lost\")."`
	Force      bool `name:"force" help:"Also delete blobs that running processes have open or mapped (their space is freed only when those processes exit)."`

	inUse *inUse // live processes' files, checked at plan time and before each unlink
	// Without targets the revisions are chosen interactively.
	DisableTUI bool   `name:"disable-tui" help:"Without targets: choose in a text file ($$VISUAL or $$EDITOR) instead of the list on the terminal."`
	Sort       string `name:"sort" placeholder:"ORDER" help:"Order of the lists to choose from: alphabetical, lastUpdated, lastUsed or size (default: type, then repo id)."`
}

// Validate checks the flag combinations.
func (c *deleteCmd) Validate(kctx *kong.Context) error {
	if err := realRunNoSync(kctx, "delete", c.DryRun); err != nil {
		return err
	}
	if c.Sort != "" && !slices.Contains(query.ChoiceOrders, c.Sort) {
		return usageOf("delete", "invalid --sort %q: want one of %s", c.Sort, strings.Join(query.ChoiceOrders, ", "))
	}
	if len(c.Targets) > 0 && c.DisableTUI {
		return usageOf("delete", "--disable-tui is for choosing without targets: give targets or --disable-tui, not both")
	}
	if len(c.Targets) > 0 && c.Sort != "" {
		return usageOf("delete", "--sort orders the lists to choose from: it takes no targets")
	}
	return nil
}

// deleteOutput is the JSON of a real delete.
type deleteOutput struct {
	*query.Plan
	DryRun       bool                `json:"dry_run"`
	Result       *cache.DeleteResult `json:"result,omitempty"`
	Freed        int64               `json:"freed"`
	ReposDeleted int                 `json:"repos_deleted"`
	RevsDeleted  int                 `json:"revisions_deleted"`
	FilesDeleted int                 `json:"files_deleted"`
	Lost         []cache.LostLink    `json:"lost,omitempty"` // links a concurrent download made to removed blobs
}

func (c *deleteCmd) Run(a *app) error {
	if err := a.formatIn("table", "text", "json"); err != nil {
		return err
	}
	if !c.DryRun {
		if err := finishInterrupted(a); err != nil {
			return err
		}
	}
	if len(c.Targets) == 0 {
		return c.interactive(a)
	}
	_, targets, unknown, err := targetArgs(a, c.Targets, "delete")
	if err != nil {
		return err
	}
	db, _, err := a.openIndex()
	if err != nil {
		return err
	}
	sel, err := resolve(db, targets, unknown)
	if err != nil {
		db.Close()
		return err
	}
	return c.planAndRun(a, db, sel)
}

// planAndRun plans sel on db (and closes it), warns of the targets not
// found, and goes on as showAndRun.
func (c *deleteCmd) planAndRun(a *app, db *sqlx.DB, sel *query.Selection) error {
	sel.BreakLinks = c.BreakLinks
	if root, err := a.cacheDir(); err == nil {
		c.inUse = newInUse(root)
		c.inUse.warn(a.stderr)
		sel.InUse, sel.ForceInUse = c.inUse.holders, c.Force
	}
	plan, err := query.MakePlan(db, sel)
	db.Close()
	if err != nil {
		return failf("run 'hfidx sync' to rebuild the index", "plan: %w", err)
	}
	warnUnknown(a, sel)
	return c.showAndRun(a, sel, plan)
}

// warnUnknown names the targets the cache does not hold.
func warnUnknown(a *app, sel *query.Selection) {
	if len(sel.Unknown) > 0 {
		fmt.Fprintf(a.stderr, "Warning: could not find in cache:\n")
		for _, u := range sel.Unknown {
			fmt.Fprintf(a.stderr, "  - %s\n", u)
		}
	}
}

// showAndRun prints plan, the plan of sel, and on a real run asks and
// executes it.
func (c *deleteCmd) showAndRun(a *app, sel *query.Selection, plan *query.Plan) error {
	root, err := a.cacheDir()
	if err != nil {
		return err
	}
	withLeftovers(root, plan)
	empty := sel.Empty() || len(plan.Paths()) == 0
	if empty && a.Format != "json" {
		// Nothing goes, but what the plan keeps and why is still news.
		writeHeld(a.stdout, plan)
	}
	run, err := preview(a, empty, "Nothing to delete.", deleteOutput{Plan: plan, DryRun: c.DryRun},
		func() { writePlan(a.stdout, plan) }, c.DryRun, c.Yes)
	if !run || err != nil {
		return err
	}
	return c.execute(a, root, sel, plan)
}

// preview shows a plan as delete, prune and assets rm do: nothing (when
// empty), else the plan (print, or out as JSON for a dry run), then ends
// a dry run or asks unless yes. It returns whether to execute the plan.
func preview(a *app, empty bool, nothing string, out any, print func(), dryRun, yes bool) (bool, error) {
	if empty {
		fmt.Fprintln(a.stderr, nothing)
		if a.Format == "json" {
			return false, writeJSON(a, out)
		}
		return false, nil
	}
	if a.Format != "json" {
		print()
	}
	if dryRun {
		if a.Format == "json" {
			return false, writeJSON(a, out)
		}
		fmt.Fprintln(a.stdout, "Dry run: no files were deleted.")
		return false, nil
	}
	if !yes {
		if err := confirmDeletion(a); err != nil {
			return false, err
		}
	}
	return true, nil
}

// execute re-plans on a fresh index (the cache may have changed since the
// plan was shown), then runs the plan once and updates the index.
func (c *deleteCmd) execute(a *app, root string, sel *query.Selection, shown *query.Plan) error {
	d := cache.Deletion{Wait: c.Wait}
	if c.inUse != nil && !c.Force {
		d.InUse = c.inUse.now
	}
	plan, res, lost, execErr, err := runPlan(a, root, sel, shown, d)
	if err != nil {
		return err
	}
	withLeftovers(root, plan)
	out := summarize(plan, &res)
	out.Lost = append(lost, brokenLinks(a, root, plan, &res)...)
	if a.Format == "json" {
		if err := writeJSON(a, out); err != nil {
			return err
		}
	} else {
		for _, p := range res.Missing {
			fmt.Fprintf(a.stderr, "Warning: already gone: %s\n", p)
		}
		for _, p := range res.Kept {
			fmt.Fprintf(a.stderr, "Warning: kept %s: a snapshot links it again\n", p)
		}
		for _, s := range res.Skipped {
			fmt.Fprintf(a.stderr, "Warning: skipped %s: %s (use --wait to wait for it)\n", s.Folder, s.Reason)
		}
		for _, k := range res.KeptInUse {
			fmt.Fprintf(a.stderr, "Warning: kept %s: %s (--force deletes it anyway)\n", k.Path, k.Reason)
		}
		for _, k := range res.KeptSnapshots {
			fmt.Fprintf(a.stderr, "Warning: kept %s: %s (a download moved the ref meanwhile)\n", k.Path, k.Reason)
		}
		for _, k := range res.RefsBroken {
			fmt.Fprintf(a.stderr, "Warning: removed %s, but %s; download that revision again to repair the ref\n", k.Path, k.Reason)
		}
		writeKeptPayloads(a.stderr, plan, &res)
	}
	if execErr != nil {
		fmt.Fprintf(a.stderr, "Deleted %d path(s) before the error; %d planned path(s) were not deleted.\n",
			len(res.Removed), len(plan.Paths())-len(res.Removed)-len(res.Missing))
		return failf("fix the cause and run the same command again: it finishes the job", "%w", execErr)
	}
	if a.Format != "json" {
		files := ""
		if out.FilesDeleted > 0 {
			files = fmt.Sprintf(", %d file(s)", out.FilesDeleted)
		}
		fmt.Fprintf(a.stdout, "Deleted %d repo(s) and %d revision(s)%s; freed %s.\n", out.ReposDeleted, out.RevsDeleted, files, query.FormatSize(out.Freed))
	}
	if n := len(res.KeptSnapshots) + len(res.RefsBroken); n > 0 {
		return &cliError{code: exitChanged, msg: fmt.Sprintf("%d revision(s) changed during the delete: a ref names them now", n),
			hint: "run 'hfidx delete --dry-run' with the same targets to see the plan as the cache is now"}
	}
	if len(res.Skipped) > 0 {
		return &cliError{code: exitPartial, msg: fmt.Sprintf("%d repo(s) skipped: a download is running", len(res.Skipped)),
			hint: "run again when the download is done, or pass --wait"}
	}
	return nil
}

// withLeftovers lists in a delete's plan what it leaves for a later prune,
// the same for the plan shown and the plan run.
func withLeftovers(root string, plan *query.Plan) {
	plan.Leftovers = nonNil(cache.Leftovers(root, plan.Snapshots, plan.Refs, plan.Repos))
}

// runPlan executes a plan the user has seen, for delete and prune: it
// re-plans sel on a fresh index and refuses (exit 3) when the new plan
// removes more than shown; records the plan's blobs and the store payloads
// its sweep decides on beside the index, so that an interrupted run is
// finished by the next delete or prune of the cache; runs the
// executor with the options of d (its paths come from the plan); brings
// the index up to date whatever happened; and looks for links a
// concurrent download made to removed blobs. err is a failure before
// anything was removed; execErr one of the executor or the final sync.
func runPlan(a *app, root string, sel *query.Selection, shown *query.Plan, d cache.Deletion) (
	plan *query.Plan, res cache.DeleteResult, lost []cache.LostLink, execErr, err error) {
	_, dbPath, _, err := a.sync()
	if err != nil {
		return nil, res, nil, nil, err
	}
	db, err := schema.OpenReadOnly(dbPath)
	if err != nil {
		return nil, res, nil, nil, indexFailure(dbPath, err)
	}
	plan, err = query.MakePlan(db, sel)
	db.Close()
	if err != nil {
		return nil, res, nil, nil, failf("run 'hfidx sync' to rebuild the index", "plan: %w", err)
	}
	if extra := newPaths(shown, plan); len(extra) > 0 {
		fmt.Fprintln(a.stderr, "The cache changed since the plan was made; it would now also remove:")
		for _, p := range extra {
			fmt.Fprintf(a.stderr, "  - %s\n", p)
		}
		writePlan(a.stderr, plan)
		return nil, res, nil, nil, &cliError{code: exitChanged, msg: "nothing was deleted: the plan changed", hint: "review the new plan and run the command again"}
	}
	d.Root, d.Repos, d.Snapshots, d.Refs, d.Blobs = root, plan.Repos, plan.Snapshots, plan.Refs, plan.Blobs
	d.Files, d.Payloads, d.Recheck = plan.Files, plan.Payloads, plan.Recheck
	done, err := recordPending(dbPath, &d)
	if err != nil {
		return nil, res, nil, nil, failf("pass --db PATH (or set HFIDX_DB) to a writable location", "%w", err)
	}
	res, execErr = d.Execute()
	done(execErr == nil)
	// The index is brought up to date whatever happened.
	if _, err := index.Sync(root, dbPath, index.Options{Jobs: a.Jobs}); err != nil && execErr == nil {
		execErr = err
	}
	return plan, res, lostLinks(a, root, &res), execErr, nil
}

// summarize measures what was freed: each removed blob file's own size,
// and the plan's figure for snapshot copies and whole repos removed.
func summarize(plan *query.Plan, res *cache.DeleteResult) deleteOutput {
	out := deleteOutput{Plan: plan, Result: res}
	removed := map[string]bool{}
	for _, r := range res.Removed {
		removed[r.Path] = true
		switch r.Kind {
		case "file":
			out.Freed += r.Size
			out.FilesDeleted++
		case "blob", "payload", "incomplete":
			out.Freed += r.Size
		case "repo":
			out.Freed += plan.Sizes[r.Path]
			out.ReposDeleted++
		}
	}
	for _, cp := range plan.Copies {
		// A copy goes with the snapshot folder holding it.
		for d := filepath.Dir(cp); d != filepath.Dir(d); d = filepath.Dir(d) {
			if removed[d] {
				out.Freed += plan.Sizes[cp]
				break
			}
		}
	}
	for _, e := range plan.Entries {
		if removed[e.Path] {
			out.RevsDeleted += len(e.Revisions)
			continue
		}
		for _, v := range e.Revisions {
			if removed[filepath.Join(e.Path, "snapshots", v.CommitHash)] {
				out.RevsDeleted++
			}
		}
	}
	return out
}

// writeKeptPayloads warns about planned payloads a sweep kept: the plan
// counted them, so the figure freed is smaller.
func writeKeptPayloads(w io.Writer, plan *query.Plan, res *cache.DeleteResult) {
	planned := map[string]bool{}
	for _, p := range plan.Payloads {
		planned[p] = true
	}
	for _, k := range res.KeptPayloads {
		if planned[k.Path] {
			fmt.Fprintf(w, "Warning: kept shared payload %s: %s\n", k.Path, k.Reason)
		}
	}
}

// newPaths returns the paths plan removes that shown did not.
func newPaths(shown, plan *query.Plan) []string {
	old := map[string]bool{}
	for _, p := range shown.Paths() {
		old[p] = true
	}
	var extra []string
	for _, p := range plan.Paths() {
		if !old[p] {
			extra = append(extra, p)
		}
	}
	return extra
}

// writePlan prints the plan as `hf cache rm` does.
func writePlan(w io.Writer, p *query.Plan) {
	whole, partial, fileRevs := 0, 0, 0
	for _, e := range p.Entries {
		if e.Whole {
			whole++
			continue
		}
		for _, v := range e.Revisions {
			if len(v.Files) > 0 {
				fileRevs++
			} else {
				partial++
			}
		}
	}
	var parts []string
	if whole > 0 {
		parts = append(parts, fmt.Sprintf("%d repo(s)", whole))
	}
	if partial > 0 {
		parts = append(parts, fmt.Sprintf("%d revision(s)", partial))
	}
	if len(p.Files) > 0 {
		parts = append(parts, fmt.Sprintf("%d file(s) in %d revision(s)", len(p.Files), fileRevs))
	}
	fmt.Fprintf(w, "About to delete %s totalling %s.\n", strings.Join(parts, " and "), query.FormatSize(p.ExpectedFreedSize))
	for _, e := range p.Entries {
		mark := ""
		if e.Damaged {
			mark = query.DamagedMark
		}
		if e.Whole {
			fmt.Fprintf(w, "  - %s%s (entire repo)\n", e.CacheID, mark)
			continue
		}
		fmt.Fprintf(w, "  - %s%s:\n", e.CacheID, mark)
		for _, v := range e.Revisions {
			refs := "(detached)"
			if len(v.Refs) > 0 {
				refs = strings.Join(v.Refs, " ")
			}
			if len(v.Files) > 0 {
				fmt.Fprintf(w, "      %s [%s] %s\n", v.CommitHash, refs, strings.Join(v.Files, ", "))
				continue
			}
			fmt.Fprintf(w, "      %s [%s] %s\n", v.CommitHash, refs, query.FormatSize(v.SizeOnDisk))
		}
	}
	if len(p.Files) > 0 {
		fmt.Fprintln(w, "Refs and snapshot folders stay; an offline snapshot_download of these revisions will want the files again.")
	}
	if n := len(p.Payloads); n > 0 {
		var size int64
		for _, x := range p.Payloads {
			size += p.Sizes[x]
		}
		fmt.Fprintf(w, "Frees %d shared payload(s) (%s) that no remaining repo links.\n", n, query.FormatSize(size))
	}
	if n := len(p.Leftovers); n > 0 {
		fmt.Fprintf(w, "Leaves %d leftover(s) (.no_exist, trees, empty ref folders, locks) for a later prune.\n", n)
	}
	writeHeld(w, p)
}

// errNotConfirmed is returned when the user answers no to the deletion.
var errNotConfirmed = &cliError{code: exitError, msg: "deletion not confirmed"}

// confirmDeletion asks before a deletion and returns an error when the
// user declines (errNotConfirmed) or cannot be asked.
func confirmDeletion(a *app) error {
	ok, err := confirm(a, "Proceed with deletion? [y/N] ")
	if err != nil {
		return err
	}
	if !ok {
		fmt.Fprintln(a.stderr, "Aborted: nothing was deleted.")
		return errNotConfirmed
	}
	return nil
}

// confirm asks a yes/no question on the terminal. Without a terminal it
// refuses: a delete is confirmed on a terminal or with --yes.
func confirm(a *app, prompt string) (bool, error) {
	f, ok := a.stdin.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return false, failf("pass --yes to delete without a terminal, or --dry-run to only see the plan",
			"refusing to delete without confirmation: stdin is not a terminal")
	}
	return askYesNo(a, prompt)
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// writeHeld prints what a plan keeps for other repos' links and running
// processes, and what it removes although they need it.
func writeHeld(w io.Writer, p *query.Plan) {
	if len(p.Held) > 0 {
		var size int64
		for _, h := range p.Held {
			size += h.Size
		}
		fmt.Fprintf(w, "Keeps %d blob(s) (%s) that other repos link (--break-links removes them) or running processes hold (--force):\n", len(p.Held), query.FormatSize(size))
		for _, h := range p.Held {
			fmt.Fprintf(w, "  - %s (%s)\n", h.Path, h.Reason())
		}
	}
	if len(p.Busy) > 0 {
		fmt.Fprintf(w, "Deletes %d blob(s) that running processes hold; their space is freed only when those processes exit:\n", len(p.Busy))
		for _, h := range p.Busy {
			fmt.Fprintf(w, "  - %s (%s)\n", h.Path, h.Reason())
		}
	}
	if len(p.Breaks) > 0 {
		fmt.Fprintf(w, "Breaks %d file(s) of other repos that link what it removes:\n", len(p.Breaks))
		for _, b := range p.Breaks {
			fmt.Fprintf(w, "  - %s\n", b.Path)
		}
	}
}
