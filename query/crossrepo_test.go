package query_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/hfidx/hfidx/cache"
	"github.com/hfidx/hfidx/cache/cachetest"
	"github.com/hfidx/hfidx/query"
)

const crossSpec = `
repo model org/a
rev 1111111111111111111111111111111111111111
file w.bin size=5000
file own size=7
rev 2222222222222222222222222222222222222222
file other size=11
ref main 2222222222222222222222222222222222222222
repo model org/b
rev 3333333333333333333333333333333333333333
file b-own size=13
ref main 3333333333333333333333333333333333333333
`

// crossCache builds crossSpec and links a file of org/b's snapshot to
// org/a's blob of w.bin, as another writer of the cache may. It returns
// the root, the link and the blob.
func crossCache(t *testing.T) (root, link, blob string) {
	t.Helper()
	c, err := cachetest.Parse(crossSpec)
	if err != nil {
		t.Fatal(err)
	}
	root = filepath.Join(t.TempDir(), "hub")
	cachetest.Build(t, root, c)
	root, _ = filepath.EvalSymlinks(root)
	target, err := os.Readlink(filepath.Join(root, "models--org--a/snapshots/1111111111111111111111111111111111111111/w.bin"))
	if err != nil {
		t.Fatal(err)
	}
	blob = filepath.Join(root, "models--org--a/blobs", filepath.Base(target))
	link = filepath.Join(root, "models--org--b/snapshots/3333333333333333333333333333333333333333/w.bin")
	if err := os.Symlink("../../../models--org--a/blobs/"+filepath.Base(target), link); err != nil {
		t.Fatal(err)
	}
	return root, link, blob
}

// TestCrossRepoLinks checks that a blob another repo's snapshot links is
// kept by every kind of target that would remove it (a revision, a file
// glob, the whole repo), with the reason in the plan, that the executed
// plan leaves that link whole, that exclusive_size agrees with the plan,
// and that --break-links removes it and names the link.
func TestCrossRepoLinks(t *testing.T) {
	for _, tc := range []struct {
		target     string
		breakLinks bool
		wantRepo   bool // the repo folder goes
		freed      int64
	}{
		{"model/org/a@1111111111111111111111111111111111111111", false, false, 7},
		{"model/org/a:w.bin", false, false, 0},
		{"model/org/a", false, false, 7 + 11},
		{"model/org/a", true, true, 5000 + 7 + 11},
		{"model/org/a@1111111111111111111111111111111111111111", true, false, 5000 + 7},
	} {
		t.Run(tc.target, func(t *testing.T) {
			root, link, blob := crossCache(t)
			db := syncedDB(t, root)
			tg, ok, err := query.ParseTarget(tc.target)
			if err != nil || !ok {
				t.Fatalf("ParseTarget(%q) = %v, %v", tc.target, ok, err)
			}
			sel, err := query.Resolve(db, []query.Target{tg}, nil)
			if err != nil {
				t.Fatal(err)
			}
			sel.BreakLinks = tc.breakLinks
			p, err := query.MakePlan(db, sel)
			if err != nil {
				t.Fatal(err)
			}
			if p.ExpectedFreedSize != tc.freed {
				t.Errorf("plan of %q frees %d, want %d", tc.target, p.ExpectedFreedSize, tc.freed)
			}
			if got := len(p.Repos) == 1; got != tc.wantRepo {
				t.Errorf("plan of %q removes the repo folder: %v, want %v", tc.target, got, tc.wantRepo)
			}
			if tc.breakLinks {
				if len(p.Held) != 0 || len(p.Breaks) != 1 || p.Breaks[0].Path != link || p.Breaks[0].Blob != blob {
					t.Errorf("plan of %q with break links: held %v, breaks %v, want none and %s -> %s", tc.target, p.Held, p.Breaks, link, blob)
				}
			} else {
				if len(p.Held) != 1 || p.Held[0].Path != blob || p.Held[0].LinkedBy != link || len(p.Breaks) != 0 {
					t.Errorf("plan of %q: held %v, breaks %v, want %s held by %s", tc.target, p.Held, p.Breaks, blob, link)
				}
				for _, b := range p.Blobs {
					if b == blob {
						t.Errorf("plan of %q removes the held blob", tc.target)
					}
				}
			}
			if len(sel.Revisions) == 1 && len(sel.Files) == 0 {
				var excl int64
				if err := db.Get(&excl, `SELECT exclusive_size FROM revision_usage WHERE snapshot_path = ?`,
					filepath.Join(root, "models--org--a/snapshots/1111111111111111111111111111111111111111")); err != nil {
					t.Fatal(err)
				}
				if !tc.breakLinks && excl != p.ExpectedFreedSize {
					t.Errorf("exclusive_size %d, plan frees %d", excl, p.ExpectedFreedSize)
				}
			}
			d := &cache.Deletion{Root: root, Repos: p.Repos, Snapshots: p.Snapshots, Refs: p.Refs, Blobs: p.Blobs, Files: p.Files}
			if _, err := d.Execute(); err != nil {
				t.Fatalf("Execute: %v", err)
			}
			_, err = os.Stat(link)
			if resolves := err == nil; resolves == tc.breakLinks {
				t.Errorf("after %q (break links %v): the other repo's link resolves: %v", tc.target, tc.breakLinks, resolves)
			}
			if _, err := os.Lstat(filepath.Join(root, "models--org--a")); (err == nil) == tc.wantRepo {
				t.Errorf("after %q: repo folder present: %v, want %v", tc.target, err == nil, !tc.wantRepo)
			}
		})
	}
}
