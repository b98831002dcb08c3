package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzDeleteTarget runs `hfidx delete --dry-run` with arbitrary targets
// (newline-separated, up to four) on a cache with case-colliding folders,
// one commit in two repos, every repo type and a damaged repo: it never
// panics, exits 0 (unknown targets are listed and the rest proceeds) or 2
// (a malformed or ambiguous target), and every path of a plan lies inside
// the cache.
func FuzzDeleteTarget(f *testing.F) {
	for _, s := range []string{
		hh1, hh1[:8], hh1[:7], strings.ToUpper(hh1), "model/org/a", "model/Org/A", "model/org/A", "dataset/org/d",
		"space/org/s", "kernel/org/k", "model/org/a@" + hh1[:10], "model/org/a@zz", "hf://org/a", "hf://datasets/org/d",
		"hf://spaces/org/s", "hf://kernels/org/k", "hf://org/a@main", "hf://buckets/x/y", "hf://gpt2", "model/org/a\n" + hh2,
		"-", "--", "-y", "model/../x", "model/org/a,model/org/b", "model/org/caf\xe9", "", " \t", "#x", "model/org/a b",
	} {
		f.Add(s)
	}
	dir := f.TempDir()
	dir, _ = filepath.EvalSymlinks(dir)
	hub, db := filepath.Join(dir, "hub"), filepath.Join(dir, "index.db")
	s1 := "/snapshots/" + hh1 + "/"
	entries := map[string]string{}
	for _, repo := range []string{"models--org--a", "models--Org--A", "datasets--org--d", "spaces--org--s", "kernels--org--k", "models--org--caf\xe9"} {
		entries[repo+s1+"f.txt"] = "link:../../blobs/e"
		entries[repo+"/blobs/e"] = "file:" + repo
		entries[repo+"/refs/main"] = "file:" + hh1
	}
	entries["models--org--a/snapshots/"+hh2+"/g.txt"] = "link:../../blobs/e2"
	entries["models--org--a/blobs/e2"] = "file:two"
	entries["models--org--broken"+s1+"x"] = "link:../../blobs/missing"
	mktree(f, hub, entries)
	if r := hfidx("sync", "--cache-dir", hub, "--db", db); r.code != 0 {
		f.Fatalf("sync: %s", r.stderr)
	}
	f.Fuzz(func(t *testing.T, s string) {
		targets := strings.Split(s, "\n")
		if len(targets) > 4 {
			targets = targets[:4]
		}
		args := append([]string{"delete", "--dry-run", "--no-sync", "--json", "--cache-dir", hub, "--db", db, "--"}, targets...)
		r := hfidx(args...)
		switch r.code {
		case exitOK:
			var plan struct {
				Blobs, Refs, Repos, Snapshots, Copies []string
			}
			if err := json.Unmarshal([]byte(r.stdout), &plan); err != nil {
				t.Fatalf("delete %q: exit 0, stdout not JSON (%v): %q", targets, err, r.stdout)
			}
			for _, g := range [][]string{plan.Blobs, plan.Refs, plan.Repos, plan.Snapshots, plan.Copies} {
				for _, p := range g {
					if !strings.HasPrefix(p, hub+"/") || strings.Contains(p, "/../") {
						t.Fatalf("delete %q: planned path %q outside the cache", targets, p)
					}
				}
			}
		case exitUsage:
			if !strings.HasPrefix(r.stderr, "hfidx: ") || !strings.Contains(r.stderr, "\nhint: ") {
				t.Fatalf("delete %q: exit 2 with stderr %q, want an error and a hint", targets, r.stderr)
			}
		default:
			t.Fatalf("delete %q: exit %d: %s", targets, r.code, r.stderr)
		}
	})
}
