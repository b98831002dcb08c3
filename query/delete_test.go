package query_test

import (
	"fmt"
	"io/fs"
	"math/rand"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/hfidx/hfidx/cache"
	"github.com/hfidx/hfidx/cache/cachetest"
	"github.com/hfidx/hfidx/cache/reftest"
	"github.com/hfidx/hfidx/index"
	"github.com/hfidx/hfidx/query"
	"github.com/hfidx/hfidx/schema"
)

// plan syncs the cache at root into a fresh index and plans the deletion
// of the given targets.
func plan(t *testing.T, root string, targets ...string) *query.Plan {
	t.Helper()
	db := syncedDB(t, root)
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

const mockSpec = `
repo model repo_A
rev 1111111111111111111111111111111111111111
file main_only size=1
file shared size=10000
rev 2222222222222222222222222222222222222222
file detached_only size=10
file detached_and_pr_1 size=1000
file shared size=10000
rev 3333333333333333333333333333333333333333
file pr_1_only size=100
file detached_and_pr_1 size=1000
file shared size=10000
ref main 1111111111111111111111111111111111111111
ref refs/pr/1 3333333333333333333333333333333333333333
`

// TestStrategyTable is spec §3.1's table (upstream TestDeleteRevisionsDryRun).
func TestStrategyTable(t *testing.T) {
	c, err := cachetest.Parse(mockSpec)
	if err != nil {
		t.Fatal(err)
	}
	root := filepath.Join(t.TempDir(), "hub")
	cachetest.Build(t, root, c)
	root, _ = filepath.EvalSymlinks(root)
	const (
		main = "1111111111111111111111111111111111111111"
		det  = "2222222222222222222222222222222222222222"
		pr1  = "3333333333333333333333333333333333333333"
	)
	blobOf := func(name string) string {
		p, err := filepath.EvalSymlinks(filepath.Join(root, "models--repo_A/snapshots", det, name))
		if err != nil {
			p, _ = filepath.EvalSymlinks(filepath.Join(root, "models--repo_A/snapshots", pr1, name))
		}
		r, _ := filepath.Rel(root, p)
		return r
	}
	for _, tc := range []struct {
		revs                     []string
		blobs, refs, repos, snap []string
		freed                    int64
		unknown                  int
	}{
		{[]string{det}, []string{blobOf("detached_only")}, nil, nil, []string{"models--repo_A/snapshots/" + det}, 10, 0},
		{[]string{pr1}, []string{blobOf("pr_1_only")}, []string{"models--repo_A/refs/refs/pr/1"}, nil, []string{"models--repo_A/snapshots/" + pr1}, 100, 0},
		{[]string{det, pr1}, []string{blobOf("detached_only"), blobOf("pr_1_only"), blobOf("detached_and_pr_1")},
			[]string{"models--repo_A/refs/refs/pr/1"}, nil, []string{"models--repo_A/snapshots/" + det, "models--repo_A/snapshots/" + pr1}, 1110, 0},
		{[]string{main, det, pr1}, nil, nil, []string{"models--repo_A"}, nil, 11111, 0},
		{[]string{det, "abcdef0123456789abcdef0123456789abcdef01"}, []string{blobOf("detached_only")}, nil, nil, []string{"models--repo_A/snapshots/" + det}, 10, 1},
	} {
		p := plan(t, root, tc.revs...)
		check := func(what string, got []string, want []string) {
			if strings.Join(relAll(t, root, got), ",") != strings.Join(sorted(want), ",") {
				t.Errorf("delete %v: %s = %q, want %q", tc.revs, what, relAll(t, root, got), sorted(want))
			}
		}
		check("blobs", p.Blobs, tc.blobs)
		check("refs", p.Refs, tc.refs)
		check("repos", p.Repos, tc.repos)
		check("snapshots", p.Snapshots, tc.snap)
		if p.ExpectedFreedSize != tc.freed || len(p.Unknown) != tc.unknown {
			t.Errorf("delete %v: freed %d unknown %v, want %d and %d unknown", tc.revs, p.ExpectedFreedSize, p.Unknown, tc.freed, tc.unknown)
		}
	}
}

// TestRandomDeletes checks on random caches that each revision's
// exclusive_size is the freed size of deleting it alone, then executes a
// random deletion and checks the cache: nothing broken that was whole,
// the freed bytes measured equal the plan's, and the index synced after
// the delete equals a fresh full sync.
func TestRandomDeletes(t *testing.T) {
	base := *seedFlag
	if base == 0 {
		base = cachetest.Seed(t)
	}
	for i := 0; i < *casesFlag; i++ {
		seed := base + int64(i)
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			t.Parallel()
			c := cachetest.Random(seed, cachetest.RandomOptions{Corrupt: i%3 == 0})
			root := filepath.Join(t.TempDir(), "hub")
			cachetest.Build(t, root, c)
			root, _ = filepath.EvalSymlinks(root)
			dbPath := filepath.Join(t.TempDir(), "index.db")
			if _, err := index.Sync(root, dbPath, index.Options{}); err != nil {
				t.Fatal(err)
			}
			db, err := schema.OpenReadOnly(dbPath)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			var revs []struct {
				Folder string `db:"folder"`
				Hash   string `db:"commit_hash"`
				Excl   int64  `db:"exclusive_size"`
			}
			if err := db.Select(&revs, `SELECT r.folder, u.commit_hash, u.exclusive_size FROM revision_usage u JOIN repos r ON r.id = u.repo`); err != nil {
				t.Fatal(err)
			}
			rng := rand.New(rand.NewSource(seed))
			all := &query.Selection{Revisions: map[query.RevisionKey]bool{}, Repos: map[string]bool{}}
			for _, v := range revs {
				k := query.RevisionKey{Folder: v.Folder, Hash: v.Hash}
				p, err := query.MakePlan(db, &query.Selection{Revisions: map[query.RevisionKey]bool{k: true}})
				if err != nil {
					t.Fatal(err)
				}
				if p.ExpectedFreedSize != v.Excl {
					t.Errorf("seed %d: %s@%s exclusive_size %d, plan frees %d", seed, v.Folder, v.Hash, v.Excl, p.ExpectedFreedSize)
				}
				if rng.Intn(3) == 0 {
					all.Revisions[k] = true
				}
			}
			p, err := query.MakePlan(db, all)
			if err != nil {
				t.Fatal(err)
			}
			before := breakage(t, root)
			d := &cache.Deletion{Root: root, Repos: p.Repos, Snapshots: p.Snapshots, Refs: p.Refs, Blobs: p.Blobs}
			res, err := d.Execute()
			if err != nil {
				t.Fatalf("seed %d: Execute: %v", seed, err)
			}
			var freed int64
			for _, r := range res.Removed {
				freed += r.Size
				if r.Kind == "repo" {
					freed += p.Sizes[r.Path]
				}
			}
			for _, cp := range p.Copies {
				freed += p.Sizes[cp]
			}
			if freed != p.ExpectedFreedSize || len(res.Missing)+len(res.Kept) > 0 {
				t.Errorf("seed %d: freed %d, planned %d; missing %v kept %v", seed, freed, p.ExpectedFreedSize, res.Missing, res.Kept)
			}
			checkConsistent(t, root, before)
			// The index the delete leaves (synced again over the old one,
			// as the CLI does) says what a fresh full sync says.
			if _, err := index.Sync(root, dbPath, index.Options{}); err != nil {
				t.Fatal(err)
			}
			fresh := filepath.Join(t.TempDir(), "fresh.db")
			if _, err := index.Sync(root, fresh, index.Options{}); err != nil {
				t.Fatal(err)
			}
			if d := diffIndexes(t, dbPath, fresh); d != "" {
				t.Errorf("seed %d: the index after the delete differs from a fresh sync:\n%s", seed, d)
			}
		})
	}
}
