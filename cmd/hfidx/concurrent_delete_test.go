package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/hfidx/hfidx/cache/cachetest"
)

// TestConcurrentDeletes runs two real deletes of overlapping targets at
// once, on one cache and one index, as two users cleaning a shared cache
// might: both must exit 0 (what one removed the other counts as already
// gone, and each plans on one snapshot of the index), and the cache must
// end as one delete of the union of their targets leaves it.
func TestConcurrentDeletes(t *testing.T) {
	bin, err := exec.LookPath("hfidx")
	if err != nil {
		t.Skipf("the hfidx test command is not on PATH (%v)", err)
	}
	spec, targets := crashSpec()
	c, err := cachetest.Parse(spec)
	if err != nil {
		t.Fatal(err)
	}
	fresh := func(dir string) (hub, db string) {
		hub, db = filepath.Join(dir, "hub"), filepath.Join(dir, "index.db")
		cachetest.Build(t, hub, c)
		hub, _ = filepath.EvalSymlinks(hub)
		if r := hfidx("sync", "--cache-dir", hub, "--db", db); r.code != 0 {
			t.Fatalf("sync: %s", r.stderr)
		}
		return hub, db
	}
	// One takes the first two thirds of the targets, the other the last
	// two thirds: the middle third is deleted by both.
	n := len(targets)
	one, two := targets[:2*n/3], targets[n/3:]
	hub, db := fresh(t.TempDir())
	if r := hfidx(append(append([]string{"delete", "--yes"}, targets...), "--cache-dir", hub, "--db", db)...); r.code != 0 {
		t.Fatalf("sequential delete: exit %d: %s", r.code, r.stderr)
	}
	want := relState(t, hub)

	rounds := 8
	if s := os.Getenv("HFIDX_CONCURRENT_ROUNDS"); s != "" {
		rounds, _ = strconv.Atoi(s)
	}
	failures := 0
	for i := 0; i < rounds; i++ {
		hub, db := fresh(t.TempDir())
		var wg sync.WaitGroup
		outs := make([]string, 2)
		codes := make([]int, 2)
		for k, ts := range [][]string{one, two} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				cmd := exec.Command(bin, append(append([]string{"delete", "--yes"}, ts...), "--cache-dir", hub, "--db", db)...)
				var out bytes.Buffer
				cmd.Stdout, cmd.Stderr = &out, &out
				err := cmd.Run()
				outs[k] = out.String()
				if ee, ok := err.(*exec.ExitError); ok {
					codes[k] = ee.ExitCode()
				} else if err != nil {
					codes[k] = -1
				}
			}()
		}
		wg.Wait()
		for k := range codes {
			if codes[k] != 0 {
				failures++
				t.Errorf("round %d: delete %d exited %d:\n%s", i, k+1, codes[k], outs[k])
			}
		}
		if bad := cacheInvariants(hub); len(bad) > 0 {
			t.Errorf("round %d:\n%s", i, strings.Join(bad, "\n"))
		}
		if d := diffStates(want, relState(t, hub)); d != "" {
			t.Errorf("round %d: the cache differs from one delete of both target lists:\n%.2000s", i, d)
		}
	}
	t.Logf("%d rounds of two concurrent deletes: %d non-zero exits", rounds, failures)
}
