package query_test

import (
	"flag"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/hfidx/hfidx/cache/cachetest"
	"github.com/hfidx/hfidx/query"
)

var (
	seedFlag  = flag.Int64("seed", 0, "base seed of the random caches (0: a new one, logged)")
	casesFlag = flag.Int("cases", 40, "random caches per kind")
)

// toExpected maps hfidx's report to the oracle's shape: healthy repos,
// paths relative to the cache root.
func toExpected(t *testing.T, b *cachetest.Built, rep *query.Report, storeMarked bool) cachetest.Expected {
	t.Helper()
	rel := func(p string) string {
		r, ok := b.Rel(p)
		if !ok {
			t.Fatalf("path %s is neither in the cache nor in the outside folder", p)
		}
		return r
	}
	e := cachetest.Expected{SizeOnDisk: rep.SizeOnDisk, StoreMarked: storeMarked}
	warned := map[string]bool{}
	for _, w := range rep.Warnings {
		entry, _, _ := strings.Cut(w, ":")
		entry, _, _ = strings.Cut(entry, "/")
		warned[entry] = true
	}
	for _, r := range rep.Repos {
		if r.Damaged {
			warned[filepath.Base(r.RepoPath)] = true
			continue
		}
		er := cachetest.ExpectedRepo{Folder: filepath.Base(r.RepoPath), RepoID: r.RepoID, RepoType: r.RepoType,
			SizeOnDisk: r.SizeOnDisk, NbFiles: int(r.NbFiles), LastAccessed: r.LastAccessed,
			LastModified: r.LastModified, Refs: r.Refs}
		for _, v := range r.Revisions {
			ev := cachetest.ExpectedRevision{CommitHash: v.CommitHash, SizeOnDisk: v.SizeOnDisk,
				NbFiles: int(v.NbFiles), LastModified: v.LastModified, Refs: v.Refs}
			for _, f := range v.Files {
				ev.Files = append(ev.Files, cachetest.ExpectedFile{FileName: f.FileName, FilePath: rel(f.FilePath),
					BlobPath: rel(f.BlobPath), SizeOnDisk: f.SizeOnDisk, BlobLastAccessed: f.BlobLastAccessed,
					BlobLastModified: f.BlobLastModified})
			}
			sort.Slice(ev.Files, func(i, j int) bool { return ev.Files[i].FilePath < ev.Files[j].FilePath })
			er.Revisions = append(er.Revisions, ev)
		}
		e.Repos = append(e.Repos, er)
	}
	sort.Slice(e.Repos, func(i, j int) bool { return e.Repos[i].Folder < e.Repos[j].Folder })
	for w := range warned {
		e.Warned = append(e.Warned, w)
	}
	sort.Strings(e.Warned)
	for _, f := range rep.IncompleteFiles {
		e.Incomplete = append(e.Incomplete, cachetest.ExpectedIncomplete{Path: rel(f.FilePath), Size: f.SizeOnDisk})
	}
	return e
}

// TestRandomParity builds many random caches and holds every number of
// hfidx's scan against the oracle, which computes huggingface_hub's answer
// from the spec alone.
func TestRandomParity(t *testing.T) {
	base := *seedFlag
	if base == 0 {
		base = cachetest.Seed(t)
	} else {
		t.Logf("cachetest: random seed %d", base)
	}
	kinds := []struct {
		name string
		opts cachetest.RandomOptions
	}{
		{"plain", cachetest.RandomOptions{}},
		{"store", cachetest.RandomOptions{Store: true}},
		{"corrupt", cachetest.RandomOptions{Corrupt: true}},
		{"all", cachetest.RandomOptions{Store: true, Corrupt: true, MaxRevisions: 8}},
	}
	for k, kind := range kinds {
		for i := 0; i < *casesFlag; i++ {
			seed := base + int64(k*100000+i)
			t.Run(fmt.Sprintf("%s/%d", kind.name, seed), func(t *testing.T) {
				t.Parallel()
				c := cachetest.Random(seed, kind.opts)
				root := filepath.Join(t.TempDir(), "hub")
				b := cachetest.Build(t, root, c)
				want := cachetest.Expect(c)
				if !want.StoreMarked {
					want.SizeOnDisk = want.LogicalSize
				}
				got := toExpected(t, b, report(t, root), want.StoreMarked)
				if d := cachetest.Diff(want, got); len(d) > 0 {
					t.Errorf("seed %d: %d differences (rerun with -seed):\n%s\nspec:\n%s", seed, len(d),
						strings.Join(d, "\n"), cachetest.Format(c))
				}
			})
		}
	}
}

// TestSparseParity covers multi-GB sparse blobs: sizes beyond 32 bits.
func TestSparseParity(t *testing.T) {
	base := *seedFlag
	if base == 0 {
		base = cachetest.Seed(t)
	}
	for i := int64(0); i < 3; i++ {
		c := cachetest.Random(base+i, cachetest.RandomOptions{Sparse: true, Repos: 4})
		root := filepath.Join(t.TempDir(), "hub")
		b := cachetest.Build(t, root, c)
		want := cachetest.Expect(c)
		want.SizeOnDisk = want.LogicalSize
		got := toExpected(t, b, report(t, root), false)
		if d := cachetest.Diff(want, got); len(d) > 0 {
			t.Errorf("seed %d:\n%s", base+i, strings.Join(d, "\n"))
		}
	}
}
