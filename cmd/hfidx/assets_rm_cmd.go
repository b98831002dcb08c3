package main

import (
	"fmt"
	"io"
	"path/filepath"

	"github.com/hfidx/hfidx/cache"
	"github.com/hfidx/hfidx/query"
)

type assetsRmCmd struct {
	Targets   []string `arg:"" sep:"none" type:"raw" help:"What to delete: LIBRARY, LIBRARY/NAMESPACE or LIBRARY/NAMESPACE/SUBFOLDER, as 'hfidx assets ls' shows them (spaces and \\ are turned into -- as cached_assets_path does)."`
	DryRun    bool     `name:"dry-run" help:"Print the plan; touch nothing."`
	Yes       bool     `name:"yes" short:"y" help:"Do not ask for confirmation."`
	AssetsDir string   `name:"assets-dir" placeholder:"DIR" help:"Assets cache to use (default: $$HF_ASSETS_CACHE, $$HUGGINGFACE_ASSETS_CACHE, else $$HF_HOME/assets)."`
}

// assetsRmOutput is the JSON of assets rm.
type assetsRmOutput struct {
	*cache.AssetPlan
	DryRun  bool     `json:"dry_run"`
	Removed []string `json:"removed,omitempty"`
	Freed   int64    `json:"freed"`
}

// Run plans once, prints the plan, asks, and executes that same plan.
func (c *assetsRmCmd) Run(a *app) error {
	if err := a.formatIn("table", "text", "json"); err != nil {
		return err
	}
	var targets []cache.AssetTarget
	for _, s := range c.Targets {
		t, err := cache.ParseAssetTarget(s)
		if err != nil {
			return usagef("name LIBRARY[/NAMESPACE[/SUBFOLDER]] as 'hfidx assets ls' shows it", "%w", err)
		}
		targets = append(targets, t)
	}
	dir, err := a.assetsDir(c.AssetsDir)
	if err != nil {
		return err
	}
	as, ws, err := cache.ScanAssets(dir)
	if err != nil {
		return failf("check the permissions of the assets cache", "%w", err)
	}
	for _, w := range ws {
		fmt.Fprintf(a.stderr, "Warning: %s: %s\n", w.Path, w.Message)
	}
	plan := cache.PlanAssets(dir, as, targets)
	if len(plan.Unknown) > 0 {
		fmt.Fprintf(a.stderr, "Warning: could not find in the assets cache %s:\n", dir)
		for _, u := range plan.Unknown {
			fmt.Fprintf(a.stderr, "  - %s\n", u)
		}
	}
	out := assetsRmOutput{AssetPlan: plan, DryRun: c.DryRun}
	run, err := preview(a, len(plan.Paths) == 0, "Nothing to delete.", out, func() { writeAssetPlan(a.stdout, plan) }, c.DryRun, c.Yes)
	if !run || err != nil {
		return err
	}
	removed, execErr := plan.RemoveAssets()
	out.Removed = removed
	gone := map[string]bool{}
	for _, p := range removed {
		gone[p] = true
	}
	for _, x := range plan.Assets {
		for p := x.Path; p != dir && p != "/" && p != "."; p = filepath.Dir(p) {
			if gone[p] {
				out.Freed += x.Size
				break
			}
		}
	}
	// The index's listing is brought up to date whatever happened.
	if _, err := a.scanAssets(dir); err != nil && execErr == nil {
		execErr = err
	}
	if execErr != nil {
		fmt.Fprintf(a.stderr, "Deleted %d of %d planned folder(s) before the error.\n", len(removed), len(plan.Paths))
		return failf("fix the cause and run the same command again", "%w", execErr)
	}
	if a.Format == "json" {
		return writeJSON(a, out)
	}
	fmt.Fprintf(a.stdout, "Deleted %s; freed %s.\n", plural(len(removed), "asset folder", "asset folders"), query.FormatSize(out.Freed))
	return nil
}

// writeAssetPlan prints the plan as delete prints its own.
func writeAssetPlan(w io.Writer, p *cache.AssetPlan) {
	fmt.Fprintf(w, "About to delete %s totalling %s.\n", plural(len(p.Paths), "asset folder", "asset folders"),
		query.FormatSize(p.ExpectedFreedSize))
	for _, path := range p.Paths {
		var size int64
		n := 0
		for _, x := range p.Assets {
			if x.Path == path || len(x.Path) > len(path) && x.Path[:len(path)+1] == path+string(filepath.Separator) {
				size += x.Size
				n++
			}
		}
		rel, _ := filepath.Rel(p.Dir, path)
		fmt.Fprintf(w, "  - %s (%s in %s)\n", filepath.ToSlash(rel), query.FormatSize(size), plural(n, "entry", "entries"))
	}
}
