package main

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const otherCacheSpecA = `repo model org/a
rev 1111111111111111111111111111111111111111
file a.txt "in cache a"
ref main 1111111111111111111111111111111111111111
rev 3333333333333333333333333333333333333333
file old.txt "detached in a"
`

const otherCacheSpecB = `repo model org/b
rev 2222222222222222222222222222222222222222
file b.txt "in cache b"
ref main 2222222222222222222222222222222222222222
rev 4444444444444444444444444444444444444444
file old.txt "detached in b"
`

// TestOtherCacheRefused: an index built from cache A, given with cache B,
// answers nothing and changes nothing, for every command that reads or
// writes the index, with and without --no-sync: exit 1 with both caches
// named and the fix (exit 2 where --no-sync itself is refused; verify
// --all, which answers from the cache, says it keeps no digests). sync
// replaces it only with --rebuild, after which B's commands work.
func TestOtherCacheRefused(t *testing.T) {
	dir := t.TempDir()
	hubA := buildCache(t, filepath.Join(dir, "a"), otherCacheSpecA)
	hubB := buildCache(t, filepath.Join(dir, "b"), otherCacheSpecB)
	db := filepath.Join(dir, "a.db")
	if r := hfidx("sync", "--cache-dir", hubA, "--db", db); r.code != 0 {
		t.Fatalf("sync A: %s", r.stderr)
	}
	index, _ := os.ReadFile(db)
	stateB := contentState(t, hubB)
	for _, cmd := range [][]string{
		{"ls"}, {"ls", "--revisions", "--json"}, {"scan"}, {"scan", "--json"},
		{"query", "SELECT count(*) FROM repos"}, {"query", "largest-repos"},
		{"delete", "model/org/b", "--dry-run"}, {"delete", "model/org/a", "--dry-run"}, {"delete", "model/org/b", "--yes"},
		{"delete", "4444444444444444444444444444444444444444", "--yes"},
		{"prune", "--dry-run"}, {"prune", "--yes", "--grace", "0"},
		{"verify", "--all"}, {"verify", "model/org/b"}, {"info"}, {"info", "--json"}, {"sync"},
	} {
		for _, noSync := range []bool{false, true} {
			args := append([]string{}, cmd...)
			if noSync {
				args = append(args, "--no-sync")
			}
			name := strings.Join(args, " ")
			r := hfidx(append(args, "--cache-dir", hubB, "--db", db)...)
			want, msg := 1, "was built from cache "+hubA+", not "+hubB
			realRun := (cmd[0] == "delete" || cmd[0] == "prune") && !slices.Contains(cmd, "--dry-run")
			if noSync && (cmd[0] == "sync" || realRun) {
				want, msg = 2, "--no-sync"
			}
			if cmd[0] == "verify" && cmd[1] == "--all" {
				// verify --all reads the cache itself, the index only
				// for digests kept: it says they are not, and reads every
				// file of B.
				if r.code != 0 || !strings.Contains(r.stderr, "digests are not kept (index "+db+" "+msg+")") {
					t.Errorf("%s: exit %d, stderr %q", name, r.code, r.stderr)
				}
				continue
			}
			if r.code != want || !strings.Contains(r.stderr, msg) {
				t.Errorf("%s: exit %d, stderr %q; want exit %d naming %q", name, r.code, r.stderr, want, msg)
			}
			if want == 1 && !strings.Contains(r.stderr, "hint: pass --db PATH (or set HFIDX_DB) for the index of "+hubB+", or replace this one: hfidx sync --rebuild --cache-dir "+hubB+" --db "+db) {
				t.Errorf("%s: no fix named: %q", name, r.stderr)
			}
			if r.stdout != "" {
				t.Errorf("%s: answered %q", name, r.stdout)
			}
		}
	}
	if now, _ := os.ReadFile(db); !bytes.Equal(now, index) {
		t.Errorf("the index of A changed")
	}
	if d := diffStates(stateB, contentState(t, hubB)); d != "" {
		t.Errorf("cache B changed:\n%s", d)
	}

	if r := hfidx("sync", "--rebuild", "--cache-dir", hubB, "--db", db); r.code != 0 {
		t.Fatalf("sync --rebuild B: exit %d: %s", r.code, r.stderr)
	}
	for _, hub := range []string{hubB, hubA} {
		r := hfidx("ls", "-q", "--no-sync", "--cache-dir", hub, "--db", db)
		if hub == hubB && (r.code != 0 || r.stdout != "model/org/b\n") {
			t.Errorf("ls B after the rebuild: exit %d, %q, %s", r.code, r.stdout, r.stderr)
		}
		if hub == hubA && r.code != 1 {
			t.Errorf("ls A after the rebuild for B: exit %d, %q", r.code, r.stdout)
		}
	}
}

// TestNoSyncRealRunRefused: a real delete or prune with --no-sync is a
// usage error that touches neither the cache nor the index; their dry runs
// answer from the index as it is.
func TestNoSyncRealRunRefused(t *testing.T) {
	dir := t.TempDir()
	hub := buildCache(t, filepath.Join(dir, "hub"), otherCacheSpecA)
	db := filepath.Join(dir, "index.db")
	if r := hfidx("sync", "--cache-dir", hub, "--db", db); r.code != 0 {
		t.Fatalf("sync: %s", r.stderr)
	}
	// The cache changes after the sync: a real run would sync again.
	if err := os.RemoveAll(filepath.Join(hub, "models--org--a", "snapshots", "3333333333333333333333333333333333333333")); err != nil {
		t.Fatal(err)
	}
	index, _ := os.ReadFile(db)
	state := contentState(t, hub)
	for _, tc := range []struct {
		args []string
		code int
	}{
		{[]string{"delete", "model/org/a", "--yes"}, 2},
		{[]string{"delete", "1111111111111111111111111111111111111111", "--yes", "--json"}, 2},
		{[]string{"delete"}, 2},
		{[]string{"rm", "model/org/a", "-y"}, 2},
		{[]string{"prune", "--yes", "--grace", "0"}, 2},
		{[]string{"prune"}, 2},
		{[]string{"delete", "model/org/a", "--dry-run"}, 0},
		{[]string{"prune", "--dry-run", "--grace", "0"}, 0},
	} {
		r := hfidx(append(tc.args, "--no-sync", "--cache-dir", hub, "--db", db)...)
		name := strings.Join(tc.args, " ") + " --no-sync"
		if r.code != tc.code {
			t.Errorf("%s: exit %d, want %d; %s", name, r.code, tc.code, r.stderr)
		}
		if tc.code == 2 && !strings.Contains(r.stderr, "cannot run with --no-sync") {
			t.Errorf("%s: stderr %q", name, r.stderr)
		}
		if now, _ := os.ReadFile(db); !bytes.Equal(now, index) {
			t.Fatalf("%s changed the index", name)
		}
		if d := diffStates(state, contentState(t, hub)); d != "" {
			t.Fatalf("%s changed the cache:\n%s", name, d)
		}
	}
}
