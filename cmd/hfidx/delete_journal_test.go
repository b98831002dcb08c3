package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestFinishPendingDelete: the next real delete finishes the blobs an
// interrupted one recorded (a blob a snapshot links again is kept), and
// the folders it renamed aside; a dry run leaves the record; a record of
// another cache is left alone.
func TestFinishPendingDelete(t *testing.T) {
	dir := t.TempDir()
	dir, _ = filepath.EvalSymlinks(dir)
	hub, db := filepath.Join(dir, "hub"), filepath.Join(dir, "index.db")
	mktree(t, hub, map[string]string{
		"models--org--a/snapshots/" + hh1 + "/kept.txt": "link:../../blobs/relinked",
		"models--org--a/blobs/relinked":                 "file:still used",
		"models--org--a/blobs/orphan":                   "file:left by a killed delete",
		"models--org--a/refs/main":                      "file:" + hh1,
		".hfidx-deleting-0011223344556677/blobs/x":      "file:half removed",
	})
	blob := func(name string) string { return filepath.Join(hub, "models--org--a/blobs", name) }
	record := func(root string) {
		b, _ := json.Marshal(pendingDelete{CacheDir: root, Blobs: []string{blob("orphan"), blob("relinked"), blob("gone-already")}})
		if err := os.WriteFile(pendingPath(db), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	exists := func(p string) bool { _, err := os.Lstat(p); return err == nil }

	record(filepath.Join(dir, "another-cache"))
	r := hfidx("delete", "model/org/none", "--yes", "--cache-dir", hub, "--db", db)
	if r.code != 0 || !exists(pendingPath(db)) || !exists(blob("orphan")) {
		t.Fatalf("a record of another cache: exit %d, %s; record kept %v, orphan kept %v", r.code, r.stderr, exists(pendingPath(db)), exists(blob("orphan")))
	}
	if exists(filepath.Join(hub, ".hfidx-deleting-0011223344556677")) {
		t.Errorf("the folder renamed aside was not finished")
	}

	record(hub)
	r = hfidx("delete", "model/org/none", "--dry-run", "--cache-dir", hub, "--db", db)
	if r.code != 0 || !exists(pendingPath(db)) || !exists(blob("orphan")) {
		t.Fatalf("dry run: exit %d, %s; it must leave the record and the blob", r.code, r.stderr)
	}
	r = hfidx("delete", "model/org/none", "--yes", "--cache-dir", hub, "--db", db)
	if r.code != 0 {
		t.Fatalf("delete: exit %d: %s", r.code, r.stderr)
	}
	if !strings.Contains(r.stderr, "Finished an interrupted delete: removed 1 blob(s), freed 23.0; kept 1 a snapshot links again.") {
		t.Errorf("stderr %q", r.stderr)
	}
	if exists(blob("orphan")) || !exists(blob("relinked")) || exists(pendingPath(db)) {
		t.Errorf("orphan left %v, relinked kept %v, record left %v", exists(blob("orphan")), exists(blob("relinked")), exists(pendingPath(db)))
	}
}
