package query_test

import (
	"io/fs"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/hfidx/hfidx/cache"
	"github.com/hfidx/hfidx/cache/reftest"
	"github.com/hfidx/hfidx/index"
	"github.com/hfidx/hfidx/query"
	"github.com/hfidx/hfidx/schema"
)

// plan syncs the cache at root into a fresh index and plans the deletion
// of the given targets.
func plan(t *testing.T, root string, targets ...string) *query.Plan {
	t.Helper()
	dbPath := filepath.Join(t.TempDir(), "index.db")
	if _, err := index.Sync(root, dbPath, index.Options{}); err != nil {
		t.Fatal(err)
	}
	db, err := schema.OpenReadOnly(dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var ts []query.Target
	var unknown []string
	for _, raw := range targets {
		tg, ok, err := query.ParseTarget(raw)
		if err != nil {
			t.Fatalf("ParseTarget(%q): %v", raw, err)
		}
		if ok {
			ts = append(ts, tg)
		} else {
			unknown = append(unknown, raw)
		}
	}
	sel, err := query.Resolve(db, ts, unknown)
	if err != nil {
		t.Fatalf("Resolve: %v", err)
	}
	p, err := query.MakePlan(db, sel)
	if err != nil {
		t.Fatalf("MakePlan: %v", err)
	}
	return p
}

func relAll(t *testing.T, root string, paths []string) []string {
	out := []string{}
	for _, p := range paths {
		r, err := filepath.Rel(root, p)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, filepath.ToSlash(r))
	}
	sort.Strings(out)
	return out
}

func sorted(s []string) []string {
	out := append([]string{}, s...)
	sort.Strings(out)
	return out
}

// tree lists every path under root, relative, sorted.
func tree(t *testing.T, root string) []string {
	var out []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p != root {
			r, _ := filepath.Rel(root, p)
			out = append(out, filepath.ToSlash(r))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(out)
	return out
}

// TestReferenceDeletes holds the plan against huggingface_hub's
// delete_revisions() on the reference caches, and the executor against the
// tree the library left after executing it.
func TestReferenceDeletes(t *testing.T) {
	for _, name := range reftest.Names {
		_, ref := reftest.Load(t, name)
		for i, del := range ref.Deletes {
			t.Run(name+"/"+strings.Join(del.Revisions, ",")[:12], func(t *testing.T) {
				hub, _ := reftest.Load(t, name)
				root, _ := filepath.EvalSymlinks(hub)
				p := plan(t, root, del.Revisions...)
				if p.ExpectedFreedSize != del.ExpectedFreedSize {
					t.Errorf("delete %d: expected_freed_size = %d, want %d", i, p.ExpectedFreedSize, del.ExpectedFreedSize)
				}
				for _, c := range []struct {
					what      string
					got, want []string
				}{
					{"blobs", relAll(t, root, p.Blobs), sorted(del.Blobs)},
					{"refs", relAll(t, root, p.Refs), sorted(del.Refs)},
					{"repos", relAll(t, root, p.Repos), sorted(del.Repos)},
					{"snapshots", relAll(t, root, p.Snapshots), sorted(del.Snapshots)},
				} {
					if strings.Join(c.got, "\n") != strings.Join(c.want, "\n") {
						t.Errorf("delete %d: %s = %q, want %q", i, c.what, c.got, c.want)
					}
				}
				if del.RemainingAfterExec == nil {
					return
				}
				before := breakage(t, root)
				d := &cache.Deletion{Root: root, Repos: p.Repos, Snapshots: p.Snapshots, Refs: p.Refs, Blobs: p.Blobs}
				res, err := d.Execute()
				if err != nil {
					t.Fatalf("Execute: %v", err)
				}
				if len(res.Missing)+len(res.Kept)+len(res.Skipped) > 0 {
					t.Errorf("Execute: missing %v kept %v skipped %v", res.Missing, res.Kept, res.Skipped)
				}
				got, want := tree(t, root), sorted(del.RemainingAfterExec)
				if strings.Join(got, "\n") != strings.Join(want, "\n") {
					t.Errorf("tree after delete differs from the library's:\n got %d paths, want %d\n%s", len(got), len(want), diffLists(got, want))
				}
				checkConsistent(t, root, before)
			})
		}
	}
}

func diffLists(got, want []string) string {
	g, w := map[string]bool{}, map[string]bool{}
	for _, x := range got {
		g[x] = true
	}
	for _, x := range want {
		w[x] = true
	}
	var b strings.Builder
	for _, x := range got {
		if !w[x] {
			b.WriteString("  extra:   " + x + "\n")
		}
	}
	for _, x := range want {
		if !g[x] {
			b.WriteString("  missing: " + x + "\n")
		}
	}
	return b.String()
}

// breakage lists the broken links and dangling refs of the cache.
func breakage(t *testing.T, root string) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	_, err := cache.Scan(root, cache.Options{}, cache.Handler{Repo: func(r *cache.Repo) error {
		for _, w := range r.Problems {
			if strings.Contains(w.Message, "blob missing") || strings.Contains(w.Message, "missing commit") ||
				strings.Contains(w.Message, "symlink loop") {
				out[w.String()] = true
			}
		}
		return nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// checkConsistent rescans and checks what a delete must never break: every
// link that resolved before still resolves, no ref names a missing
// snapshot that existed before.
func checkConsistent(t *testing.T, root string, before map[string]bool) {
	t.Helper()
	for w := range breakage(t, root) {
		if !before[w] {
			t.Errorf("after delete: %s", w)
		}
	}
}
