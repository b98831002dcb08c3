package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hfidx/hfidx/cache"
	"github.com/hfidx/hfidx/cache/cachetest"
	"github.com/hfidx/hfidx/query"
)

// TestFinishPendingDelete: the next real delete finishes the blobs an
// interrupted one recorded (a blob a snapshot links again is kept), and
// the folders it renamed aside; a dry run leaves the record; a record of
// another cache is left alone; the single record of earlier versions is
// finished too.
func TestFinishPendingDelete(t *testing.T) {
	dir := t.TempDir()
	dir, _ = filepath.EvalSymlinks(dir)
	hub, db := filepath.Join(dir, "hub"), filepath.Join(dir, "index.db")
	mktree(t, hub, map[string]string{
		"models--org--a/snapshots/" + hh1 + "/kept.txt": "link:../../blobs/relinked",
		"models--org--a/blobs/relinked":                 "file:still used",
		"models--org--a/blobs/orphan":                   "file:left by a killed delete",
		"models--org--a/blobs/legacy":                   "file:left by an older hfidx",
		"models--org--a/refs/main":                      "file:" + hh1,
		".hfidx-deleting-0011223344556677/blobs/x":      "file:half removed",
	})
	blob := func(name string) string { return filepath.Join(hub, "models--org--a/blobs", name) }
	record := func(root string) string {
		b, _ := json.Marshal(pendingDelete{CacheDir: root, Blobs: []string{blob("orphan"), blob("relinked"), blob("gone-already")}})
		p := filepath.Join(pendingDir(db), pendingKey(root)+"1-00000000.json")
		os.MkdirAll(pendingDir(db), 0o755)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	exists := func(p string) bool { _, err := os.Lstat(p); return err == nil }

	other := record(filepath.Join(dir, "another-cache"))
	r := hfidx("delete", "model/org/none", "--yes", "--cache-dir", hub, "--db", db)
	if r.code != 0 || !exists(other) || !exists(blob("orphan")) {
		t.Fatalf("a record of another cache: exit %d, %s; record kept %v, orphan kept %v", r.code, r.stderr, exists(other), exists(blob("orphan")))
	}
	if exists(filepath.Join(hub, ".hfidx-deleting-0011223344556677")) {
		t.Errorf("the folder renamed aside was not finished")
	}

	mine := record(hub)
	r = hfidx("delete", "model/org/none", "--dry-run", "--cache-dir", hub, "--db", db)
	if r.code != 0 || !exists(mine) || !exists(blob("orphan")) {
		t.Fatalf("dry run: exit %d, %s; it must leave the record and the blob", r.code, r.stderr)
	}
	r = hfidx("delete", "model/org/none", "--yes", "--cache-dir", hub, "--db", db)
	if r.code != 0 {
		t.Fatalf("delete: exit %d: %s", r.code, r.stderr)
	}
	if !strings.Contains(r.stderr, "Finished an interrupted delete: removed 1 blob(s) and 0 shared payload(s), freed 23.0; kept 1 a snapshot links again.") {
		t.Errorf("stderr %q", r.stderr)
	}
	if exists(blob("orphan")) || !exists(blob("relinked")) || exists(mine) || !exists(other) {
		t.Errorf("orphan left %v, relinked kept %v, record left %v, other cache's record kept %v",
			exists(blob("orphan")), exists(blob("relinked")), exists(mine), exists(other))
	}

	b, _ := json.Marshal(pendingDelete{CacheDir: hub, Blobs: []string{blob("legacy")}})
	if err := os.WriteFile(legacyPendingPath(db), b, 0o644); err != nil {
		t.Fatal(err)
	}
	if r = hfidx("delete", "model/org/none", "--yes", "--cache-dir", hub, "--db", db); r.code != 0 || exists(blob("legacy")) || exists(legacyPendingPath(db)) {
		t.Errorf("legacy record: exit %d, %s; blob left %v, record left %v", r.code, r.stderr, exists(blob("legacy")), exists(legacyPendingPath(db)))
	}
}

// errKilled stands for a kill of the process at one removal: the executor
// stops there, as a SIGKILL would stop it, and what it recorded stays.
var errKilled = errors.New("killed")

// interruptedDelete runs a real delete of target in hub with the index db,
// the executor stopped (as if killed) just before its first removal of the
// kind stop. It fails the test unless the run stopped there.
func interruptedDelete(t *testing.T, hub, db, target, stop string) {
	t.Helper()
	var stderr bytes.Buffer
	a := &app{stdin: strings.NewReader(""), stdout: io.Discard, stderr: &stderr, lookup: os.LookupEnv, now: time.Now()}
	a.CacheDir, a.DB, a.Format = hub, db, "table"
	root, err := a.cacheDir()
	if err != nil {
		t.Fatal(err)
	}
	x, _, err := a.openIndex()
	if err != nil {
		t.Fatal(err)
	}
	tg, ok, err := query.ParseTarget(target)
	if err != nil || !ok {
		t.Fatalf("target %q: %v", target, err)
	}
	sel, err := query.Resolve(x, []query.Target{tg}, nil)
	if err != nil {
		t.Fatal(err)
	}
	shown, err := query.MakePlan(x, sel)
	x.Close()
	if err != nil {
		t.Fatal(err)
	}
	stopped := false
	_, _, _, execErr, err := runPlan(a, root, sel, shown, cache.Deletion{Before: func(kind, path string) error {
		if kind == stop {
			stopped = true
			return errKilled
		}
		return nil
	}})
	if err != nil || !errors.Is(execErr, errKilled) || !stopped {
		t.Fatalf("delete %s stopped at the first %s: err %v, exec %v; %s", target, stop, err, execErr, stderr.String())
	}
}

func buildCache(t *testing.T, hub, spec string) string {
	t.Helper()
	c, err := cachetest.Parse(spec)
	if err != nil {
		t.Fatal(err)
	}
	cachetest.Build(t, hub, c)
	hub, _ = filepath.EvalSymlinks(hub)
	return hub
}

// TestPendingTwoCachesOneIndex: a delete of cache A killed before its
// blobs leaves orphans only its record names; a delete of cache B on the
// same index file (rebuilt for B) must not lose that record, and the next
// delete of A finishes it.
func TestPendingTwoCachesOneIndex(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "index.db")
	hubA := buildCache(t, filepath.Join(dir, "a"), `repo model org/a
rev 1111111111111111111111111111111111111111
file keep.txt "kept"
ref main 1111111111111111111111111111111111111111
rev 3333333333333333333333333333333333333333
file gone.txt "only in the detached revision"
`)
	hubB := buildCache(t, filepath.Join(dir, "b"), `repo model org/b
rev 2222222222222222222222222222222222222222
file keep.txt "kept in b"
ref main 2222222222222222222222222222222222222222
rev 4444444444444444444444444444444444444444
file gone.txt "only in b's detached revision"
`)
	if r := hfidx("sync", "--cache-dir", hubA, "--db", db); r.code != 0 {
		t.Fatalf("sync A: %s", r.stderr)
	}
	blobsA := filepath.Join(hubA, "models--org--a", "blobs")
	before, _ := os.ReadDir(blobsA)
	interruptedDelete(t, hubA, db, "3333333333333333333333333333333333333333", "blob")
	if _, err := os.Lstat(filepath.Join(hubA, "models--org--a/snapshots/3333333333333333333333333333333333333333")); err == nil {
		t.Fatal("the interrupted delete did not remove the snapshot")
	}
	if after, _ := os.ReadDir(blobsA); len(after) != len(before) {
		t.Fatalf("the interrupted delete removed blobs: %d, then %d", len(before), len(after))
	}

	for _, args := range [][]string{
		{"sync", "--rebuild", "--cache-dir", hubB, "--db", db},
		{"delete", "4444444444444444444444444444444444444444", "--yes", "--cache-dir", hubB, "--db", db},
		{"sync", "--rebuild", "--cache-dir", hubA, "--db", db},
	} {
		if r := hfidx(args...); r.code != 0 {
			t.Fatalf("%s: exit %d: %s", strings.Join(args, " "), r.code, r.stderr)
		}
	}
	if after, _ := os.ReadDir(blobsA); len(after) != len(before) {
		t.Fatalf("a delete of cache B changed cache A's blobs: %d, then %d", len(before), len(after))
	}
	r := hfidx("delete", "model/org/none", "--yes", "--cache-dir", hubA, "--db", db)
	if r.code != 0 {
		t.Fatalf("delete A again: exit %d: %s", r.code, r.stderr)
	}
	after, _ := os.ReadDir(blobsA)
	if len(after) != len(before)-1 {
		t.Errorf("the next delete of A did not finish the killed one: %d blobs before, %d after (want %d); stderr %q",
			len(before), len(after), len(before)-1, r.stderr)
	}
	if bad := cacheInvariants(hubA); len(bad) > 0 {
		t.Errorf("cache A: %s", strings.Join(bad, "\n"))
	}
}

// TestPendingSweep: a delete killed after removing a repo and before
// sweeping the store payload only that repo linked is finished by the next
// run: the payload and its manifest go; a payload another repo still links
// stays, its manifest naming only that repo.
func TestPendingSweep(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "index.db")
	hub := buildCache(t, filepath.Join(dir, "hub"), `repo model org/a
rev 1111111111111111111111111111111111111111
shared only-a.bin "only repo a links this payload"
shared both.bin "both repos link this one"
ref main 1111111111111111111111111111111111111111
repo model org/b
rev 2222222222222222222222222222222222222222
shared both.bin "both repos link this one"
ref main 2222222222222222222222222222222222222222
`)
	if r := hfidx("sync", "--cache-dir", hub, "--db", db); r.code != 0 {
		t.Fatalf("sync: %s", r.stderr)
	}
	payloads := func() []string {
		ps, _ := filepath.Glob(filepath.Join(hub, "blobs", "*", "*"))
		var out []string
		for _, p := range ps {
			if !strings.HasSuffix(p, ".refs") && !strings.HasSuffix(p, ".lock") {
				out = append(out, p)
			}
		}
		return out
	}
	if n := len(payloads()); n != 2 {
		t.Fatalf("%d payloads in the store, want 2", n)
	}
	interruptedDelete(t, hub, db, "model/org/a", "payload")
	if _, err := os.Lstat(filepath.Join(hub, "models--org--a")); err == nil {
		t.Fatal("the interrupted delete did not remove the repo")
	}
	if n := len(payloads()); n != 2 {
		t.Fatalf("the interrupted delete swept: %d payloads left, want 2", n)
	}

	r := hfidx("delete", "model/org/a", "--yes", "--cache-dir", hub, "--db", db)
	if r.code != 0 {
		t.Fatalf("delete again: exit %d: %s", r.code, r.stderr)
	}
	left := payloads()
	if len(left) != 1 {
		t.Fatalf("after the next run %d payloads are left, want 1 (stderr %q)", len(left), r.stderr)
	}
	ms, _ := filepath.Glob(filepath.Join(hub, "blobs", "*", "*.refs"))
	if len(ms) != 1 || ms[0] != left[0]+".refs" {
		t.Errorf("manifests %v, want only %s.refs", ms, left[0])
	}
	if b, err := os.ReadFile(left[0] + ".refs"); err != nil || strings.Contains(string(b), "models--org--a") || !strings.Contains(string(b), "models--org--b") {
		t.Errorf("manifest of the payload kept: %q (%v)", b, err)
	}
	if bad := cacheInvariants(hub); len(bad) > 0 {
		t.Errorf("%s", strings.Join(bad, "\n"))
	}
}
