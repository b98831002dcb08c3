package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hfidx/hfidx/cache"
	"github.com/hfidx/hfidx/cache/cachetest"
)

// crashSpec is a cache whose deletion has many steps: revisions of one
// repo sharing some blobs, a whole repo, a revision of a third repo.
func crashSpec() (spec string, targets []string) {
	var b strings.Builder
	hash := func(repo, rev int) string { return fmt.Sprintf("%02x%02x", repo, rev) + strings.Repeat("ab", 18) }
	b.WriteString("repo model org/a\n")
	for r := 0; r < 8; r++ {
		fmt.Fprintf(&b, "rev %s\n", hash(1, r))
		for f := 0; f < 24; f++ {
			content := fmt.Sprintf("a-%d-%d", r, f)
			if f%3 == 0 {
				content = fmt.Sprintf("a-shared-%d", f) // in every revision
			} else if f%3 == 1 {
				content = fmt.Sprintf("a-pair-%d-%d", r/2, f) // in two revisions
			}
			fmt.Fprintf(&b, "file d%d/f%d.bin %q\n", f%4, f, content)
		}
		if r > 0 {
			targets = append(targets, hash(1, r))
		}
	}
	fmt.Fprintf(&b, "ref main %s\nref refs/pr/1 %s\nref v1 %s\n", hash(1, 0), hash(1, 7), hash(1, 5))
	b.WriteString("repo model org/b\n")
	for r := 0; r < 3; r++ {
		fmt.Fprintf(&b, "rev %s\n", hash(2, r))
		for f := 0; f < 40; f++ {
			fmt.Fprintf(&b, "file f%d.bin %q\n", f, fmt.Sprintf("b-%d-%d", r, f))
		}
	}
	fmt.Fprintf(&b, "ref main %s\n", hash(2, 2))
	targets = append(targets, "model/org/b")
	b.WriteString("repo dataset org/c\n")
	for r := 0; r < 2; r++ {
		fmt.Fprintf(&b, "rev %s\n", hash(3, r))
		for f := 0; f < 30; f++ {
			fmt.Fprintf(&b, "file f%d.txt %q\n", f, fmt.Sprintf("c-%d-%d", r%2, f%20))
		}
	}
	fmt.Fprintf(&b, "ref main %s\n", hash(3, 0))
	targets = append(targets, hash(3, 1))
	return b.String(), targets
}

// cacheInvariants returns what a delete must never leave, even killed at
// any instant: a ref naming a missing snapshot, a snapshot link whose blob
// is missing.
func cacheInvariants(root string) []string {
	var bad []string
	des, _ := os.ReadDir(root)
	for _, e := range des {
		if !e.IsDir() || strings.HasPrefix(e.Name(), cache.DeletingPrefix) {
			continue
		}
		repo := filepath.Join(root, e.Name())
		filepath.WalkDir(filepath.Join(repo, "refs"), func(p string, d fs.DirEntry, err error) error {
			if err != nil || !d.Type().IsRegular() {
				return nil
			}
			b, err := os.ReadFile(p)
			if err != nil {
				bad = append(bad, fmt.Sprintf("%s: %v", p, err))
				return nil
			}
			if _, err := os.Lstat(filepath.Join(repo, "snapshots", strings.TrimSpace(string(b)))); err != nil {
				bad = append(bad, fmt.Sprintf("ref %s names a missing snapshot %s", p, b))
			}
			return nil
		})
		filepath.WalkDir(filepath.Join(repo, "snapshots"), func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.Type()&fs.ModeSymlink == 0 {
				return nil
			}
			if _, err := os.Stat(p); err != nil {
				bad = append(bad, fmt.Sprintf("link %s: blob missing (%v)", p, err))
			}
			return nil
		})
	}
	return bad
}

// relState is contentState with paths kept relative and the leftovers of
// an interrupted run that hfidx itself finishes (renamed-aside folders)
// named as such.
func relState(t *testing.T, root string) map[string]string { return contentState(t, root) }

// waitGone polls until p no longer exists and returns when it saw it gone
// (or after a minute, so that a delete that failed cannot hang the test).
func waitGone(p string) time.Time {
	limit := time.Now().Add(time.Minute)
	for time.Now().Before(limit) {
		if _, err := os.Lstat(p); err != nil {
			break
		}
	}
	return time.Now()
}

// TestDeleteKilled kills `hfidx delete --yes` (a real process, SIGKILL) at
// a random instant of its run, many times, and checks after each kill that
// no ref names a missing snapshot and no snapshot link a missing blob, then
// that running the same command again finishes the job: the cache ends
// exactly as after an uninterrupted delete.
func TestDeleteKilled(t *testing.T) {
	bin, err := exec.LookPath("hfidx")
	if err != nil {
		t.Skipf("the hfidx test command is not on PATH (%v)", err)
	}
	spec, targets := crashSpec()
	c, err := cachetest.Parse(spec)
	if err != nil {
		t.Fatal(err)
	}
	seed := time.Now().UnixNano()
	if s := os.Getenv("HFIDX_CRASH_SEED"); s != "" {
		seed, _ = strconv.ParseInt(s, 10, 64)
	}
	t.Logf("seed %d (HFIDX_CRASH_SEED to replay)", seed)
	rng := rand.New(rand.NewSource(seed))

	fresh := func(dir string) (hub, db string) {
		hub, db = filepath.Join(dir, "hub"), filepath.Join(dir, "index.db")
		cachetest.Build(t, hub, c)
		hub, _ = filepath.EvalSymlinks(hub)
		if r := hfidx("sync", "--cache-dir", hub, "--db", db); r.code != 0 {
			t.Fatalf("sync: %s", r.stderr)
		}
		return hub, db
	}
	deleteCmd := func(hub, db string) *exec.Cmd {
		cmd := exec.Command(bin, append(append([]string{"delete", "--yes", "--json"}, targets...), "--cache-dir", hub, "--db", db)...)
		cmd.Stdout, cmd.Stderr = new(bytes.Buffer), new(bytes.Buffer)
		return cmd
	}

	// The uninterrupted run: the state to reach, its duration, its plan.
	hub, db := fresh(t.TempDir())
	var plan struct {
		Repos, Snapshots, Refs, Blobs []string
	}
	r := hfidx(append(append([]string{"delete", "--dry-run", "--json"}, targets...), "--cache-dir", hub, "--db", db)...)
	if err := json.Unmarshal([]byte(r.stdout), &plan); err != nil || len(plan.Blobs) < 50 {
		t.Fatalf("plan: %v %d blobs; %s", err, len(plan.Blobs), r.stderr)
	}
	var planned []string
	for _, g := range [][]string{plan.Refs, plan.Snapshots, plan.Blobs, plan.Repos} {
		for _, p := range g {
			rel, _ := filepath.Rel(hub, p)
			planned = append(planned, rel)
		}
	}
	// Execute goes repo folder by repo folder, in name order: refs, then
	// snapshots, blobs, the whole repo.
	sort.SliceStable(planned, func(i, j int) bool {
		fi, _, _ := strings.Cut(planned[i], "/")
		fj, _, _ := strings.Cut(planned[j], "/")
		return fi < fj
	})
	first, last := filepath.Join(hub, planned[0]), filepath.Join(hub, planned[len(planned)-1])
	start := time.Now()
	cmd := deleteCmd(hub, db)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	execStart := waitGone(first)
	execEnd := waitGone(last)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("uninterrupted delete: %v: %s", err, cmd.Stderr)
	}
	full := time.Since(start)
	window := execEnd.Sub(execStart)
	t.Logf("uninterrupted: %v in all, removals from %v to %v", full, execStart.Sub(start), execEnd.Sub(start))
	want := relState(t, hub)

	runs := crashRuns(24) // HFIDX_CRASH_RUNS=N for a long run
	var before, mid, after, exited, orphans int
	for i := 0; i < runs; i++ {
		hub, db := fresh(t.TempDir())
		cmd := deleteCmd(hub, db)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// Half the kills fall anywhere in the run, half while it removes.
		delay := time.Duration(rng.Int63n(int64(full) + 1))
		if i%2 == 1 {
			delay = time.Duration(rng.Int63n(int64(window) + 1))
			waitGone(filepath.Join(hub, planned[0]))
		}
		time.Sleep(delay)
		cmd.Process.Signal(syscall.SIGKILL)
		err := cmd.Wait()
		if err == nil {
			exited++
		}
		gone := 0
		for _, p := range planned {
			if _, err := os.Lstat(filepath.Join(hub, p)); err != nil {
				gone++
			}
		}
		switch gone {
		case 0:
			before++
		case len(planned):
			after++
		default:
			mid++
		}
		if bad := cacheInvariants(hub); len(bad) > 0 {
			t.Errorf("run %d (killed after %v, %d/%d planned paths gone):\n%s", i, delay, gone, len(planned), strings.Join(bad, "\n"))
		}
		again := deleteCmd(hub, db)
		if err := again.Run(); err != nil {
			t.Errorf("run %d: the second delete failed: %v: %s", i, err, again.Stderr)
			continue
		}
		if d := diffStates(want, relState(t, hub)); d != "" {
			orphans++
			t.Errorf("run %d (killed after %v, %d/%d planned paths gone): the second run did not finish the job:\n%.2000s", i, delay, gone, len(planned), d)
		}
	}
	t.Logf("%d kills over %v (a full run): %d before the first removal, %d in the middle, %d after the last, %d runs ended before the kill; %d second runs left the cache different",
		runs, full, before, mid, after, exited, orphans)
}
