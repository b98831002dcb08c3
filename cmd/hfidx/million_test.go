package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
)

// maxPeakKiB bounds the peak RSS of sync and ls in TestMillionEntries,
// whatever the number of entries.
const maxPeakKiB = 160 << 10

// TestMillionEntries measures the peak memory (maximum resident set size)
// of `hfidx sync` and `hfidx ls` on caches where one directory holds a
// million entries: the cache root, a snapshot, a blobs folder. It is a
// measurement, not a timed test: it runs only with HFIDX_MILLION=N (the
// number of entries, e.g. 1000000), checks that each command succeeds and
// counts what it must, logs the figures, and fails when a peak passes
// maxPeakKiB.
func TestMillionEntries(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("HFIDX_MILLION"))
	if n <= 0 {
		t.Skip("a measurement: set HFIDX_MILLION=1000000 to run it")
	}
	bin, err := exec.LookPath("hfidx")
	if err != nil {
		t.Skipf("the hfidx test command is not on PATH (%v)", err)
	}
	measure := func(what string, args ...string) int64 {
		cmd := exec.Command(bin, args...)
		out, err := os.CreateTemp(t.TempDir(), "out")
		if err != nil {
			t.Fatal(err)
		}
		defer out.Close()
		var errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = out, &errb
		if err := cmd.Run(); err != nil {
			t.Fatalf("%s: %v: %s", what, err, errb.String())
		}
		kb := maxRSS(t, cmd.ProcessState)
		t.Logf("%s: peak RSS %d MiB, %.1fs user, %.1fs system", what, kb/1024,
			cmd.ProcessState.UserTime().Seconds(), cmd.ProcessState.SystemTime().Seconds())
		return kb
	}
	const h = "1111111111111111111111111111111111111111"
	base := t.TempDir()
	mk := func(name string, fill func(hub string)) (hub, db string) {
		hub, db = filepath.Join(base, name, "hub"), filepath.Join(base, name, "index.db")
		repo := filepath.Join(hub, "models--org--a")
		for _, d := range []string{filepath.Join(repo, "snapshots", h), filepath.Join(repo, "blobs"), filepath.Join(repo, "refs")} {
			if err := os.MkdirAll(d, 0o755); err != nil {
				t.Fatal(err)
			}
		}
		os.WriteFile(filepath.Join(repo, "blobs", "e"), []byte("hello"), 0o644)
		os.WriteFile(filepath.Join(repo, "refs", "main"), []byte(h), 0o644)
		os.Symlink("../../blobs/e", filepath.Join(repo, "snapshots", h, "a.txt"))
		fill(hub)
		return hub, db
	}
	hub, db := mk("small", func(string) {})
	small := measure("sync, 1 repo of 1 file", "sync", "--cache-dir", hub, "--db", db)
	for _, tc := range []struct {
		name string
		fill func(hub string, i int) error
	}{
		{"entries at the cache root", func(hub string, i int) error {
			return os.WriteFile(filepath.Join(hub, fmt.Sprintf("junk-%07d", i)), nil, 0o644)
		}},
		{"links in one snapshot", func(hub string, i int) error {
			return os.Symlink("../../blobs/e", filepath.Join(hub, "models--org--a/snapshots", h, fmt.Sprintf("f%07d", i)))
		}},
		{"orphan blobs in one blobs folder", func(hub string, i int) error {
			return os.WriteFile(filepath.Join(hub, "models--org--a/blobs", fmt.Sprintf("b%07d", i)), nil, 0o644)
		}},
	} {
		hub, db := mk(tc.name, func(hub string) {
			for i := 0; i < n; i++ {
				if err := tc.fill(hub, i); err != nil {
					t.Fatal(err)
				}
			}
		})
		kb := measure(fmt.Sprintf("sync, %d %s", n, tc.name), "sync", "--cache-dir", hub, "--db", db)
		if again := measure(fmt.Sprintf("sync again (in place), %d %s", n, tc.name), "sync", "--cache-dir", hub, "--db", db); again > kb {
			kb = again
		}
		lkb := measure(fmt.Sprintf("ls --no-sync, %d %s", n, tc.name), "ls", "--no-sync", "--cache-dir", hub, "--db", db)
		// Neither command holds the entries of one folder: their peak
		// stays under a bound that does not depend on n.
		if kb > maxPeakKiB || lkb > maxPeakKiB {
			t.Errorf("%s: peak RSS %d MiB (sync) and %d MiB (ls), over %d MiB", tc.name, kb/1024, lkb/1024, maxPeakKiB/1024)
		}
		t.Logf("%s: peak RSS %d MiB above the small cache's", tc.name, (kb-small)/1024)
		// Deleting the repo: planned, then done. Logged, not bounded: a
		// plan holds the paths it removes.
		measure(fmt.Sprintf("delete --dry-run, %d %s", n, tc.name), "delete", "--dry-run", "--no-sync", "--cache-dir", hub, "--db", db, "model/org/a")
		measure(fmt.Sprintf("delete --yes, %d %s", n, tc.name), "delete", "--yes", "--cache-dir", hub, "--db", db, "model/org/a")
		if _, err := os.Lstat(filepath.Join(hub, "models--org--a")); !os.IsNotExist(err) {
			t.Errorf("%s: the repo folder is still there after delete --yes (%v)", tc.name, err)
		}
		os.RemoveAll(filepath.Dir(hub))
	}
}
