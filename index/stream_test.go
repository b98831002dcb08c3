package index

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hfidx/hfidx/cache"
	"github.com/hfidx/hfidx/cache/cachetest"
)

// TestStreamEqualsWhole checks that a repo streamed into the index (one
// larger than the scan's budget) gets exactly the rows it gets when held
// whole: random caches (damaged repos, shared stores, links between repos
// among them) are synced with the default budget, with a budget of one
// entry (every repo but the emptiest streamed) and with a few entries (a
// mix), and the indexes and summaries compared.
func TestStreamEqualsWhole(t *testing.T) {
	seed := cachetest.Seed(t)
	for c := 0; c < 12; c++ {
		cs := seed + int64(c)
		spec := cachetest.Random(cs, cachetest.RandomOptions{Store: c%4 == 1, Corrupt: c%3 == 2})
		dir := t.TempDir()
		root := filepath.Join(dir, "hub")
		cachetest.Build(t, root, spec)
		whole := filepath.Join(dir, "whole.db")
		want, err := Sync(root, whole, Options{Rebuild: true, Summary: true})
		if err != nil {
			t.Fatal(err)
		}
		wantRows := dump(t, whole)
		for _, budget := range []int{1, 6} {
			db := filepath.Join(dir, fmt.Sprintf("stream-%d.db", budget))
			got, err := Sync(root, db, Options{Rebuild: true, Summary: true, RepoBudget: budget})
			if err != nil {
				t.Fatalf("seed %d, budget %d: %v", cs, budget, err)
			}
			if d := diffLines(wantRows, dump(t, db)); d != "" {
				t.Fatalf("seed %d, budget %d: the streamed index differs (- whole, + streamed):\n%s", cs, budget, d)
			}
			if got.SizeOnDisk != want.SizeOnDisk || got.Files != want.Files || got.Blobs != want.Blobs ||
				got.Damaged != want.Damaged || got.Warnings != want.Warnings {
				t.Fatalf("seed %d, budget %d: summary %+v, held whole %+v", cs, budget, got, want)
			}
		}
	}
}

// TestRootInBatches checks a cache root of more entries than one batch of
// the listing (cache.RootBatch): every entry is indexed once, whichever
// batch it is in, and an incremental sync after changes in several batches
// equals a full one.
func TestRootInBatches(t *testing.T) {
	seed := cachetest.Seed(t)
	dir := t.TempDir()
	root := filepath.Join(dir, "hub")
	cachetest.Build(t, root, cachetest.Random(seed, cachetest.RandomOptions{Repos: 8}))
	junk := 2*cache.RootBatch + 10
	for i := 0; i < junk; i++ {
		if err := os.WriteFile(filepath.Join(root, fmt.Sprintf("junk-%05d", i)), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	pinAtimes(t, root)
	time.Sleep(racy + 10*time.Millisecond)
	db := filepath.Join(dir, "index.db")
	opts := Options{RacyWindow: racy, Summary: true}
	calls, last := 0, 0
	opts.Progress = func(done, total, _ int) {
		calls++
		if done != last+1 || done > total {
			t.Errorf("progress %d of %d after %d", done, total, last)
		}
		last = done
	}
	st, err := Sync(root, db, opts)
	if err != nil {
		t.Fatal(err)
	}
	if st.Repos != 8 || st.Warnings < junk {
		t.Fatalf("%d repos, %d warnings; want 8 repos and at least %d warnings", st.Repos, st.Warnings, junk)
	}
	top, err := os.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	if calls != len(top) {
		t.Fatalf("progress called %d times for %d entries", calls, len(top))
	}
	opts.Progress = nil
	// A change in the first batch, one in the last, and a repo gone.
	for _, p := range []string{"junk-00000", fmt.Sprintf("junk-%05d", junk-1)} {
		if err := os.Remove(filepath.Join(root, p)); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(root, "junk-new"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	m := &mutator{t: t, root: root}
	if err := os.RemoveAll(m.repos()[0]); err != nil {
		t.Fatal(err)
	}
	pinAtimes(t, root)
	got, err := Sync(root, db, opts)
	if err != nil {
		t.Fatal(err)
	}
	if got.Mode != "incremental" || got.Removed != 1 || got.Repos != 7 {
		t.Fatalf("second sync: %s, %d removed, %d repos; want incremental, 1, 7", got.Mode, got.Removed, got.Repos)
	}
	fresh := filepath.Join(dir, "fresh.db")
	if _, err := Sync(root, fresh, Options{Rebuild: true}); err != nil {
		t.Fatal(err)
	}
	if d := diffLines(dump(t, fresh), dump(t, db)); d != "" {
		t.Fatalf("the incremental index differs from a full sync (- full, + incremental):\n%s", d)
	}
}

// TestStreamedRepoLinkedFrom checks a streamed repo whose blob a held repo
// links: the link is recorded, so an in-place sync turns into a full one
// for that reason (not for a foreign key its rows would break), and the
// index stays the one a full sync writes.
func TestStreamedRepoLinkedFrom(t *testing.T) {
	dir := t.TempDir()
	root := filepath.Join(dir, "hub")
	commit := strings.Repeat("a", 40)
	var err error
	files := map[string]string{
		"models--org--b/blobs/bbbb":                        "file:shared",
		"models--org--b/snapshots/" + commit + "/own":      "link:../../blobs/bbbb",
		"models--org--b/refs/main":                         "file:" + commit,
		"models--org--a/snapshots/" + commit + "/borrowed": "link:../../../models--org--b/blobs/bbbb",
		"models--org--a/refs/main":                         "file:" + commit,
	}
	for i := 0; i < 10; i++ {
		files[fmt.Sprintf("models--org--b/snapshots/%s/f%d", commit, i)] = "file:"
	}
	for rel, spec := range files {
		p := filepath.Join(root, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		kind, arg, _ := strings.Cut(spec, ":")
		if kind == "link" {
			err = os.Symlink(arg, p)
		} else {
			err = os.WriteFile(p, []byte(arg), 0o644)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	pinAtimes(t, root)
	time.Sleep(racy + 10*time.Millisecond)
	db := filepath.Join(dir, "index.db")
	opts := Options{RacyWindow: racy, RepoBudget: 8}
	if _, err := Sync(root, db, opts); err != nil {
		t.Fatal(err)
	}
	pinAtimes(t, root)
	st, err := Sync(root, db, opts)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode != "full" || !strings.Contains(st.Reason, "linked with another repo") {
		t.Fatalf("second sync: %s (%q); want a full one because models--org--b is linked with another repo", st.Mode, st.Reason)
	}
	fresh := filepath.Join(dir, "fresh.db")
	if _, err := Sync(root, fresh, Options{Rebuild: true}); err != nil {
		t.Fatal(err)
	}
	if d := diffLines(dump(t, fresh), dump(t, db)); d != "" {
		t.Fatalf("differs from a full sync:\n%s", d)
	}
}
