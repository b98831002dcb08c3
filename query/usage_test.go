package query_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/hfidx/hfidx/query"
)

func openSynced(t *testing.T, root string) *query.Report {
	t.Helper()
	db := syncedDB(t, root)
	rep, err := query.Load(db, true)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// TestUsageSparse: a sparse blob's usage is its allocated blocks, not its
// apparent size.
func TestUsageSparse(t *testing.T) {
	root := build(t, `
repo model org/s
rev 1111111111111111111111111111111111111111
file big.bin size=100000000 sparse
file small.txt "hello"
ref main 1111111111111111111111111111111111111111
`)
	rep := openSynced(t, root)
	r := rep.Repos[0]
	big := r.Revisions[0].Files[0]
	if big.FileName != "big.bin" {
		t.Fatalf("first file %s", big.FileName)
	}
	want := allocated(t, big.BlobPath)
	if big.SizeOnDisk != 100000000 || big.Usage != want {
		t.Errorf("big.bin size %d usage %d, want 100000000 and %d (st_blocks*512)", big.SizeOnDisk, big.Usage, want)
	}
	small := allocated(t, r.Revisions[0].Files[1].BlobPath)
	if r.Usage != want+small || r.Revisions[0].Usage != want+small || rep.Usage != want+small {
		t.Errorf("usage repo %d revision %d cache %d, want %d", r.Usage, r.Revisions[0].Usage, rep.Usage, want+small)
	}
	if want < 100000000 && r.Usage >= r.SizeOnDisk {
		t.Errorf("sparse file: usage %d not below size %d", r.Usage, r.SizeOnDisk)
	}
}

// TestUsageHardLinks: two repos whose blobs are hard links of one inode
// (as a deduplicating tool leaves them) count it once in the cache's
// usage, and deleting one repo frees no allocated bytes; deleting both
// frees them once.
func TestUsageHardLinks(t *testing.T) {
	spec := `
repo model org/a
rev 1111111111111111111111111111111111111111
file w.bin size=50000
ref main 1111111111111111111111111111111111111111
repo model org/b
rev 2222222222222222222222222222222222222222
file w.bin size=50000
ref main 2222222222222222222222222222222222222222
`
	root := build(t, spec)
	blobs, _ := filepath.Glob(filepath.Join(root, "*", "blobs", "*"))
	if len(blobs) != 2 {
		t.Fatalf("blobs %v", blobs)
	}
	if err := os.Remove(blobs[1]); err != nil {
		t.Fatal(err)
	}
	if err := os.Link(blobs[0], blobs[1]); err != nil {
		t.Fatal(err)
	}
	one := allocated(t, blobs[0])
	rep := openSynced(t, root)
	if rep.Usage != one {
		t.Errorf("cache usage %d, want %d: one inode, counted once", rep.Usage, one)
	}
	for _, r := range rep.Repos {
		if r.Usage != one || r.SizeOnDisk != 50000 {
			t.Errorf("%s: size %d usage %d, want 50000 and %d", r.RepoID, r.SizeOnDisk, r.Usage, one)
		}
	}
	p := plan(t, root, "model/org/a")
	if p.ExpectedFreedSize != 50000 || p.ExpectedFreedUsage != 0 {
		t.Errorf("delete A: size %d usage %d, want 50000 and 0 (B keeps the inode)", p.ExpectedFreedSize, p.ExpectedFreedUsage)
	}
	p = plan(t, root, "model/org/a", "model/org/b")
	if p.ExpectedFreedSize != 100000 || p.ExpectedFreedUsage != one {
		t.Errorf("delete both: size %d usage %d, want 100000 and %d", p.ExpectedFreedSize, p.ExpectedFreedUsage, one)
	}
	deleteAndCheck(t, root, "model/org/a")
	if _, err := os.Stat(blobs[1]); err != nil {
		t.Errorf("B's blob: %v", err)
	}
}
