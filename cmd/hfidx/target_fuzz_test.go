package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzDeleteTarget runs `hfidx delete --dry-run` with arbitrary targets
// (newline-separated, up to four) on a cache with case-colliding folders,
// one commit in two repos, every repo type, a damaged repo, repos whose
// ids hold ':', '@', a trailing space or a newline, and revision folders
// that are not 40 hex: it never
// panics, exits 0 (unknown targets are listed and the rest proceeds) or 2
// (a malformed or ambiguous target), and every path of a plan lies inside
// the cache.
func FuzzDeleteTarget(f *testing.F) {
	for _, s := range []string{
		hh1, hh1[:8], hh1[:7], strings.ToUpper(hh1), "model/org/a", "model/Org/A", "model/org/A", "dataset/org/d",
		"space/org/s", "kernel/org/k", "model/org/a@" + hh1[:10], "model/org/a@zz", "hf://org/a", "hf://datasets/org/d",
		"hf://spaces/org/s", "hf://kernels/org/k", "hf://org/a@main", "hf://buckets/x/y", "hf://gpt2", "model/org/a\n" + hh2,
		"-", "--", "-y", "model/../x", "model/org/a,model/org/b", "model/org/caf\xe9", "", " \t", "#x", "model/org/a b",
		"model/org/na:me", "=model/org/na%3Ame", "model/org/na:f.txt", "=model/org/na%3Ame:*", "model/org/sp ", "=model/org/sp%20",
		"model/org/at@sign", "=model/org/at%40sign", "=" + hh1, "=model/org/a@" + hh1, "=model/org/a@main:f.txt", "=odd",
		"=model/org/a%0Ab", "=%zz", "=", hh1 + "0",
	} {
		f.Add(s)
	}
	dir := f.TempDir()
	dir, _ = filepath.EvalSymlinks(dir)
	hub, db := filepath.Join(dir, "hub"), filepath.Join(dir, "index.db")
	s1 := "/snapshots/" + hh1 + "/"
	entries := map[string]string{}
	for _, repo := range []string{"models--org--a", "models--Org--A", "datasets--org--d", "spaces--org--s", "kernels--org--k", "models--org--caf\xe9",
		"models--org--na:me", "models--org--na", "models--org--sp ", "models--org--at@sign", "models--org--a\nb"} {
		entries[repo+s1+"f.txt"] = "link:../../blobs/e"
		entries[repo+"/blobs/e"] = "file:" + repo
		entries[repo+"/refs/main"] = "file:" + hh1
	}
	entries["models--org--a/snapshots/"+hh2+"/g.txt"] = "link:../../blobs/e2"
	entries["models--org--a/blobs/e2"] = "file:two"
	entries["models--org--broken"+s1+"x"] = "link:../../blobs/missing"
	entries["models--org--a/snapshots/odd/h.txt"] = "link:../../blobs/e"
	entries["models--org--a/snapshots/"+hh1+"0/h.txt"] = "link:../../blobs/e"
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
