package index

import (
	"fmt"
	"path/filepath"
	"testing"

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
