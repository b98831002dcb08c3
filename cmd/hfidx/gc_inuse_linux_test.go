package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/hfidx/hfidx/cache/cachetest"
)

// TestGCInUse: a revision with a file a live process maps is kept ("in use
// by PID (name)"), in the dry run and the real run, whatever the budget;
// once the process exits the same gc evicts it.
func TestGCInUse(t *testing.T) {
	c, err := cachetest.Parse(inUseSpec)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	dir, _ = filepath.EvalSymlinks(dir)
	e := gcmEnv{hub: filepath.Join(dir, "hub"), db: filepath.Join(dir, "index.db"), state: filepath.Join(dir, "state.db")}
	cachetest.Build(t, e.hub, c)
	const held = "2222222222222222222222222222222222222222"
	weights, err := filepath.EvalSymlinks(filepath.Join(e.hub, "models--org--a/snapshots", held, "weights.bin"))
	if err != nil {
		t.Fatal(err)
	}
	h := startHolder(t, weights, false)
	pid := strconv.Itoa(h.cmd.Process.Pid)

	plan := func(args ...string) gcmOutput {
		t.Helper()
		r := e.run(append([]string{"gc", "--format", "json", "--max-size", "0"}, args...)...)
		var out gcmOutput
		if err := json.Unmarshal([]byte(r.stdout), &out); err != nil || r.code != 0 {
			t.Fatalf("gc %q: exit %d, %v: %s%s", args, r.code, err, r.stdout, r.stderr)
		}
		return out
	}
	check := func(what string, out gcmOutput) {
		t.Helper()
		for _, it := range out.Items {
			if it.Kind != "revision" {
				continue
			}
			inUse := slices.ContainsFunc(it.Reasons, func(r string) bool { return strings.HasPrefix(r, "in use by "+pid+" (") })
			if it.Revision == held && (it.Action != "keep" || !inUse) {
				t.Errorf("%s: %v, want kept in use by %s", what, it, pid)
			}
			if it.Revision != held && it.Action != "evict" {
				t.Errorf("%s: %v, want evicted", what, it)
			}
		}
		if out.UsedAfter != 8 || out.Shortfall != 8 || out.ExpectedFreed != 4 {
			t.Errorf("%s: used_after %d, shortfall %d, freed %d; want 8, 8, 4", what, out.UsedAfter, out.Shortfall, out.ExpectedFreed)
		}
	}
	check("dry run", plan("--dry-run"))
	check("real run", plan("-y"))
	if _, err := os.Stat(weights); err != nil {
		t.Fatalf("the blob a process maps was deleted: %v", err)
	}
	h.stop()
	out := plan("-y")
	if out.UsedAfter != 0 || out.ExpectedFreed != 8 {
		t.Errorf("holder gone: used_after %d, freed %d; want 0, 8", out.UsedAfter, out.ExpectedFreed)
	}
	if _, err := os.Lstat(filepath.Join(e.hub, "models--org--a")); err == nil {
		t.Errorf("holder gone: org/a is still there")
	}
}
