package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"time"

	"github.com/hfidx/hfidx/query"
	htmlreport "github.com/hfidx/hfidx/report"
)

type reportCmd struct {
	Out  string `name:"out" short:"o" type:"raw" default:"hfidx-report.html" placeholder:"FILE" help:"Where to write the HTML file (- for stdout)."`
	Open bool   `name:"open" help:"Open the report in the default browser once written."`
}

// Validate refuses --open on stdout.
func (c *reportCmd) Validate() error {
	if c.Open && c.Out == "-" {
		return usageOf("report", "--open needs a file: give --out FILE, or drop --open")
	}
	return nil
}

// Run writes one self-contained HTML report of the index, with the prune
// plan as a dry run, never executed.
func (c *reportCmd) Run(a *app) error {
	if err := a.formatIn("table", "text"); err != nil {
		return err
	}
	root, err := a.cacheDir()
	if err != nil {
		return err
	}
	db, _, err := a.openIndex()
	if err != nil {
		return err
	}
	defer db.Close()
	pr, err := query.PlanPrune(db, query.PruneOptions{Root: root, Cutoff: a.now.Add(-time.Hour)})
	if err != nil {
		return failf("run 'hfidx sync' to rebuild the index", "plan prune: %w", err)
	}
	d, err := htmlreport.Load(db, htmlreport.Options{CacheDir: root, Now: a.now, Prune: pr})
	if err != nil {
		return failf("run 'hfidx sync' to rebuild the index", "read index: %w", err)
	}
	if c.Out == "-" {
		w := bufio.NewWriter(a.stdout)
		if err := htmlreport.Write(w, d); err != nil {
			return err
		}
		return w.Flush()
	}
	out, err := filepath.Abs(c.Out)
	if err != nil {
		return usagef("give --out FILE", "bad output path %s: %w", c.Out, err)
	}
	// Written beside the target and renamed over it: a reader never sees
	// half a report.
	f, err := os.CreateTemp(filepath.Dir(out), ".hfidx-report-*.html")
	if err != nil {
		return failf("give --out FILE in a writable folder", "write report: %v", errText(err))
	}
	defer os.Remove(f.Name())
	w := bufio.NewWriter(f)
	err = htmlreport.Write(w, d)
	if err == nil {
		err = w.Flush()
	}
	if err == nil {
		err = f.Chmod(0o644)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), out)
	}
	if err != nil {
		return failf("give --out FILE in a writable folder", "write report %s: %v", out, errText(err))
	}
	fmt.Fprintf(a.stderr, "Wrote %s (%s, %s on disk in %s).\n", out, query.FormatSize(fileSize(out)),
		query.FormatSize(d.Totals.SizeOnDisk), plural(int(d.Totals.Repos), "repo", "repos"))
	if c.Open {
		if err := openBrowser(out); err != nil {
			return failf("open the file yourself", "open %s: %w", out, err)
		}
	}
	return nil
}

func fileSize(p string) int64 {
	fi, err := os.Stat(p)
	if err != nil {
		return 0
	}
	return fi.Size()
}

// openBrowser starts the desktop's opener on path and does not wait.
func openBrowser(path string) error {
	var cmd *exec.Cmd
	switch runtime.GOOS {
	case "darwin":
		cmd = exec.Command("open", path)
	case "windows":
		cmd = exec.Command("rundll32", "url.dll,FileProtocolHandler", path)
	default:
		cmd = exec.Command("xdg-open", path)
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	go cmd.Wait()
	return nil
}
