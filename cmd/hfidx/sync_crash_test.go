package main

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hfidx/hfidx/bench/synth"
	"github.com/hfidx/hfidx/schema"
)

// crashRuns is how many syncs TestSyncSurvivesKill kills; HFIDX_CRASH_RUNS
// raises it for a long run.
func crashRuns(def int) int {
	if n, err := strconv.Atoi(os.Getenv("HFIDX_CRASH_RUNS")); err == nil && n > 0 {
		return n
	}
	return def
}

// hfidxCmd runs this test binary as hfidx (see TestMain).
func hfidxCmd(args ...string) *exec.Cmd {
	c := exec.Command(os.Args[0], args...)
	c.Env = append(os.Environ(), "HFIDX_TEST_MAIN=1")
	return c
}

// fingerprint renders what an index says about the cache: every file with
// its blob and size, every ref, every interrupted download. It fails the
// test when the index cannot be read.
func fingerprint(t *testing.T, db string) string {
	t.Helper()
	x, err := schema.OpenReadOnly(db)
	if err != nil {
		t.Fatalf("index unreadable: %v", err)
	}
	defer x.Close()
	var rows []string
	err = x.Select(&rows, `SELECT r.folder || ' ' || v.commit_hash || ' ' || f.rel_path || ' ' || coalesce(b.path, '-') || ' ' || coalesce(b.size, -1)
			FROM files f JOIN revisions v ON v.id = f.revision JOIN repos r ON r.id = v.repo LEFT JOIN blobs b ON b.id = f.blob
		UNION ALL SELECT 'ref ' || r.folder || ' ' || x.name || ' ' || x.commit_hash FROM refs x JOIN repos r ON r.id = x.repo
		UNION ALL SELECT 'incomplete ' || path || ' ' || size FROM incomplete_files
		ORDER BY 1`)
	if err != nil {
		t.Fatalf("index unreadable: %v", err)
	}
	return strings.Join(rows, "\n")
}

// mutateRepo changes one repo of a synthetic cache: a new interrupted
// download, a blob removed, or refs/main rewritten.
func mutateRepo(t *testing.T, rng *rand.Rand, hub string) {
	t.Helper()
	des, err := os.ReadDir(hub)
	if err != nil {
		t.Fatal(err)
	}
	repo := filepath.Join(hub, des[rng.IntN(len(des))].Name())
	switch rng.IntN(3) {
	case 0:
		os.WriteFile(filepath.Join(repo, "blobs", fmt.Sprintf("%016x.incomplete", rng.Uint64())), []byte("part"), 0o644)
	case 1:
		if blobs, _ := os.ReadDir(filepath.Join(repo, "blobs")); len(blobs) > 0 {
			os.Remove(filepath.Join(repo, "blobs", blobs[rng.IntN(len(blobs))].Name()))
		}
	default:
		if snaps, _ := os.ReadDir(filepath.Join(repo, "snapshots")); len(snaps) > 0 {
			os.WriteFile(filepath.Join(repo, "refs", "main"), []byte(snaps[rng.IntN(len(snaps))].Name()), 0o644)
		}
	}
}

// TestSyncSurvivesKill kills syncs (full and incremental) at random points
// and checks after each that the index is the one before the sync or the
// one after it, that the next command reads it, and that the next sync
// completes and leaves no temporary file.
func TestSyncSurvivesKill(t *testing.T) {
	if testing.Short() {
		t.Skip("kills real processes")
	}
	dir := t.TempDir()
	hub := filepath.Join(dir, "hub")
	cfg := synth.Default(1)
	cfg.Repos = 150
	if _, err := synth.Write(hub, cfg); err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(dir, "index.db")
	sync := func(extra ...string) *exec.Cmd {
		return hfidxCmd(append([]string{"sync", "--cache-dir", hub, "--db", db, "--no-progress"}, extra...)...)
	}
	start := time.Now()
	if out, err := sync().CombinedOutput(); err != nil {
		t.Fatalf("first sync: %v\n%s", err, out)
	}
	full := time.Since(start)
	seed := time.Now().UnixNano()
	t.Logf("seed %d; a full sync takes %v", seed, full)
	rng := rand.New(rand.NewPCG(uint64(seed), 1))
	runs := crashRuns(16)
	var killed, finished, old, updated int
	for i := 0; i < runs; i++ {
		before := fingerprint(t, db)
		mutateRepo(t, rng, hub)
		args := []string{}
		window := full * 6 / 5
		if i%2 == 0 {
			args = append(args, "--rebuild")
		} else {
			window = full / 3 // an incremental sync is faster
		}
		c := sync(args...)
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Duration(rng.Int64N(int64(window))))
		c.Process.Signal(syscall.SIGKILL)
		if err := c.Wait(); err != nil {
			killed++
		} else {
			finished++
		}
		got := fingerprint(t, db)
		// What a complete sync of the tree as it is now gives.
		fresh := filepath.Join(dir, fmt.Sprintf("fresh-%d.db", i))
		if out, err := hfidxCmd("sync", "--cache-dir", hub, "--db", fresh, "--no-progress").CombinedOutput(); err != nil {
			t.Fatalf("fresh sync: %v\n%s", err, out)
		}
		after := fingerprint(t, fresh)
		switch got {
		case before:
			old++
		case after:
			updated++
		default:
			t.Fatalf("run %d (%v): the index after a killed sync is neither the old one nor the new one", i, args)
		}
		if out, err := sync().CombinedOutput(); err != nil {
			t.Fatalf("run %d: the sync after a killed one failed: %v\n%s", i, err, out)
		}
		if got := fingerprint(t, db); got != after {
			t.Fatalf("run %d: the sync after a killed one did not bring the index up to date", i)
		}
		if stale, _ := filepath.Glob(filepath.Join(dir, ".index.db.tmp-*")); len(stale) > 0 {
			t.Fatalf("run %d: temporary files left: %v", i, stale)
		}
		os.Remove(fresh)
	}
	t.Logf("%d syncs: %d killed, %d finished first; index old %d times, new %d times", runs, killed, finished, old, updated)
}

// TestConcurrentSyncAndQuery runs syncs (incremental and full) and queries
// of one index from several processes at once while the cache changes:
// every command must succeed; none may report a locked database.
func TestConcurrentSyncAndQuery(t *testing.T) {
	if testing.Short() {
		t.Skip("runs many processes")
	}
	dir := t.TempDir()
	hub := filepath.Join(dir, "hub")
	cfg := synth.Default(1)
	cfg.Repos = 60
	if _, err := synth.Write(hub, cfg); err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(dir, "index.db")
	base := []string{"--cache-dir", hub, "--db", db, "--no-progress"}
	if out, err := hfidxCmd(append([]string{"sync"}, base...)...).CombinedOutput(); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	rounds := crashRuns(8)
	commands := [][]string{
		{"sync"},
		{"sync", "--rebuild"},
		{"ls"},
		{"query", "SELECT count(*) FROM files", "--no-sync"},
		{"query", "SELECT count(*), sum(size_on_disk) FROM repo_usage"},
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var failures []string
	ran := 0
	stop := make(chan struct{})
	go func() { // the cache changes meanwhile
		rng := rand.New(rand.NewPCG(2, 3))
		for {
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
				mutateRepo(t, rng, hub)
			}
		}
	}()
	for w := 0; w < len(commands); w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for r := 0; r < rounds; r++ {
				args := append(append([]string{}, commands[(w+r)%len(commands)]...), base...)
				var stderr bytes.Buffer
				c := hfidxCmd(args...)
				c.Stderr = &stderr
				err := c.Run()
				mu.Lock()
				ran++
				if err != nil || strings.Contains(stderr.String(), "locked") {
					failures = append(failures, fmt.Sprintf("%v: %v: %s", args[:len(args)-len(base)], err, stderr.String()))
				}
				mu.Unlock()
			}
		}(w)
	}
	wg.Wait()
	close(stop)
	t.Logf("%d commands run concurrently", ran)
	if len(failures) > 0 {
		t.Fatalf("%d of %d commands failed:\n%s", len(failures), ran, strings.Join(failures, "\n"))
	}
}
