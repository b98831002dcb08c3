package query_test

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hfidx/hfidx/cache"
	"github.com/hfidx/hfidx/cache/cachetest"
	"github.com/hfidx/hfidx/internal/flock"
	"github.com/hfidx/hfidx/query"
)

func planPrune(t *testing.T, root string, opts query.PruneOptions) *query.Prune {
	t.Helper()
	db := syncedDB(t, root)
	opts.Root = root
	pr, err := query.PlanPrune(db, opts)
	if err != nil {
		t.Fatal(err)
	}
	return pr
}

const pruneSpec = `
repo model org/a
rev 1111111111111111111111111111111111111111
file config.json "{}"
ref main 1111111111111111111111111111111111111111
incomplete 0123456789abcdef0123456789abcdef01234567.1a2b3c4d size=100
orphan "orphan"
`

// TestPruneIncompleteLock: an interrupted download whose download lock a
// process holds is a running download; prune leaves it, in the plan and
// again when executing.
func TestPruneIncompleteLock(t *testing.T) {
	root := build(t, pruneSpec)
	inc := filepath.Join(root, "models--org--a", "blobs", "0123456789abcdef0123456789abcdef01234567.1a2b3c4d.incomplete")
	lock := cache.IncompleteLock(root, inc)
	if want := filepath.Join(root, ".locks", "models--org--a", "0123456789abcdef0123456789abcdef01234567.lock"); lock != want {
		t.Fatalf("IncompleteLock = %s, want %s", lock, want)
	}
	os.MkdirAll(filepath.Dir(lock), 0o755)
	f, err := os.Create(lock)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := flock.Lock(f, true); err != nil {
		t.Fatal(err)
	}
	pr := planPrune(t, root, query.PruneOptions{Cutoff: time.Now()})
	if len(pr.Incomplete) != 0 || len(pr.Busy) != 1 || pr.Busy[0] != inc {
		t.Errorf("lock held: incomplete %v busy %v, want it busy", pr.Incomplete, pr.Busy)
	}
	flock.Unlock(f)
	pr = planPrune(t, root, query.PruneOptions{Cutoff: time.Now()})
	if len(pr.Incomplete) != 1 || pr.Summary.Incomplete.Size != 100 {
		t.Fatalf("lock free: incomplete %v (%+v), want it", pr.Incomplete, pr.Summary.Incomplete)
	}
	// A download starts between the plan and the deletion: its repo is skipped.
	flock.Lock(f, true)
	d := &cache.Deletion{Root: root, Blobs: pr.Blobs, Payloads: pr.Payloads, Incomplete: pr.Incomplete, Leftovers: pr.Leftovers}
	res, err := d.Execute()
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Skipped) != 1 || !exists(inc) {
		t.Errorf("held lock at execution: skipped %v, incomplete there %v", res.Skipped, exists(inc))
	}
	flock.Unlock(f)
	res, err = d.Execute()
	if err != nil {
		t.Fatal(err)
	}
	if exists(inc) || len(res.Skipped) != 0 {
		t.Errorf("lock free at execution: incomplete still there, skipped %v", res.Skipped)
	}
}

// TestPruneOrphanRelinked: an orphan blob a snapshot links again between
// the plan and the deletion is kept.
func TestPruneOrphanRelinked(t *testing.T) {
	root := build(t, pruneSpec)
	// Inside the grace period (just written) it is not even planned.
	pr := planPrune(t, root, query.PruneOptions{Cutoff: time.Now().Add(-time.Hour)})
	if pr.Summary.OrphanBlobs.Count != 0 || len(pr.Young) != 1 {
		t.Errorf("grace: orphans %+v young %v, want none and one young", pr.Summary.OrphanBlobs, pr.Young)
	}
	pr = planPrune(t, root, query.PruneOptions{Cutoff: time.Now().Add(time.Minute)})
	if pr.Summary.OrphanBlobs.Count != 1 || len(pr.Blobs) != 1 {
		t.Fatalf("orphans %+v blobs %v, want one", pr.Summary.OrphanBlobs, pr.Blobs)
	}
	orphan := pr.Blobs[0]
	snap := filepath.Join(root, "models--org--a", "snapshots", "1111111111111111111111111111111111111111", "late.bin")
	if err := os.Symlink("../../blobs/"+filepath.Base(orphan), snap); err != nil {
		t.Fatal(err)
	}
	d := &cache.Deletion{Root: root, Blobs: pr.Blobs}
	res, err := d.Execute()
	if err != nil {
		t.Fatal(err)
	}
	if !exists(orphan) || len(res.Kept) != 1 {
		t.Errorf("relinked orphan: there %v, kept %v", exists(orphan), res.Kept)
	}
}

// TestPrunePayloadGrace: an unreferenced store payload inside the grace
// period is named as too young to prune, like an orphan blob; past it,
// it is planned.
func TestPrunePayloadGrace(t *testing.T) {
	root := build(t, pruneSpec)
	hash := strings.Repeat("ab", 32)
	store := filepath.Join(root, "blobs")
	for p, content := range map[string]string{
		".huggingface-shared-blobs": "1\n",
		"ab/" + hash:                "payload",
		"ab/" + hash + ".refs":      "",
	} {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(store, p)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(store, p), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	payload := filepath.Join(store, "ab", hash)
	pr := planPrune(t, root, query.PruneOptions{Cutoff: time.Now().Add(-time.Hour)})
	if len(pr.Payloads) != 0 || !slices.Contains(pr.Young, payload) {
		t.Errorf("inside the grace period: payloads %v young %v, want %s young", pr.Payloads, pr.Young, payload)
	}
	pr = planPrune(t, root, query.PruneOptions{Cutoff: time.Now().Add(time.Minute)})
	if !slices.Equal(pr.Payloads, []string{payload}) {
		t.Errorf("past the grace period: payloads %v, want %s", pr.Payloads, payload)
	}
}

// TestRandomPrunes: on random caches with a store (some damaged), a prune
// that takes everything past the grace period frees what it planned and
// breaks nothing that was whole; a second prune finds nothing more.
func TestRandomPrunes(t *testing.T) {
	base := *seedFlag
	if base == 0 {
		base = cachetest.Seed(t)
	}
	for i := 0; i < *casesFlag; i++ {
		seed := base + int64(i)
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			t.Parallel()
			c := cachetest.Random(seed, cachetest.RandomOptions{Store: true, Corrupt: i%3 == 0})
			root := filepath.Join(t.TempDir(), "hub")
			cachetest.Build(t, root, c)
			root, _ = filepath.EvalSymlinks(root)
			opts := query.PruneOptions{Cutoff: time.Now().Add(time.Minute), IncludeUnreferencedRepos: i%2 == 0}
			pr := planPrune(t, root, opts)
			before := breakage(t, root)
			d := &cache.Deletion{Root: root, Repos: pr.Repos, Snapshots: pr.Snapshots, Refs: pr.Refs, Blobs: pr.Blobs,
				Payloads: pr.Payloads, Incomplete: pr.Incomplete, Leftovers: pr.Leftovers}
			res, err := d.Execute()
			if err != nil {
				t.Fatalf("seed %d: Execute: %v", seed, err)
			}
			var freed int64
			for _, r := range res.Removed {
				freed += r.Size
				if r.Kind == "repo" {
					freed += pr.Sizes[r.Path]
				}
			}
			for _, cp := range pr.Copies {
				freed += pr.Sizes[cp]
			}
			if freed != pr.TotalSize || len(res.Missing)+len(res.Kept)+len(res.Skipped) > 0 {
				t.Errorf("seed %d: freed %d, planned %d; missing %v kept %v skipped %v payloads kept %v", seed, freed, pr.TotalSize,
					res.Missing, res.Kept, res.Skipped, res.KeptPayloads)
			}
			checkConsistent(t, root, before)
			again := planPrune(t, root, opts)
			if !again.Empty() {
				t.Errorf("seed %d: a second prune still plans %v %v %v %v", seed, again.Paths(), again.Incomplete, again.Leftovers, again.Summary)
			}
		})
	}
}
