package main

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/hfidx/hfidx/cache/cachetest"
	"github.com/hfidx/hfidx/query"
	"github.com/hfidx/hfidx/schema"
	"github.com/hfidx/hfidx/state"
)

const pinsSpec = `repo model org/a
rev 1111111111111111111111111111111111111111
file a.txt "aaaa"
ref main 1111111111111111111111111111111111111111
repo model org/b
rev abcdef0122222222222222222222222222222222
file c.txt "c"
rev 3333333333333333333333333333333333333333
file d.txt "dd"
ref main 3333333333333333333333333333333333333333
repo model org/c
rev 4444444444444444444444444444444444444444
file config.json "{}"
file w.bin "w1"
repo model org/d
rev abcdef0155555555555555555555555555555555
file e.txt "e"
`

// TestPinnedSelection: the union of the pins as gc reads it, with the note
// of the pin that keeps each key (its target when it has none, the first
// by target with a note when several keep it), and an error for a pin that
// is ambiguous now.
func TestPinnedSelection(t *testing.T) {
	c, err := cachetest.Parse(pinsSpec)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	hub, db, stateFile := filepath.Join(dir, "hub"), filepath.Join(dir, "index.db"), filepath.Join(dir, "state.db")
	cachetest.Build(t, hub, c)
	hub, _ = filepath.EvalSymlinks(hub)
	cli := func(args ...string) cmdResult {
		return hfidx(append(args, "--cache-dir", hub, "--db", db, "--state", stateFile)...)
	}
	for _, args := range [][]string{
		{"pin", "model/org/a", "--note", "demo"},
		{"pin", "model/org/a@1111111111111111111111111111111111111111"},
		{"pin", "model/org/b@abcdef0122222222222222222222222222222222"},
		{"pin", "model/org/c:*.json", "--note", "configs"},
		{"pin", "model/org/c:config.json"},
	} {
		if r := cli(args...); r.code != 0 {
			t.Fatalf("%s: exit %d: %s", strings.Join(args, " "), r.code, r.stderr)
		}
	}
	a := &app{globals: globals{State: stateFile}, lookup: os.LookupEnv}
	idx, err := schema.OpenReadOnly(db)
	if err != nil {
		t.Fatal(err)
	}
	defer idx.Close()
	sel, notes, err := pinnedSelection(a, idx, hub)
	if err != nil {
		t.Fatal(err)
	}
	wantRepos := map[string]bool{"models--org--a": true}
	wantRevs := map[query.RevisionKey]bool{
		{Folder: "models--org--a", Hash: "1111111111111111111111111111111111111111"}: true,
		{Folder: "models--org--b", Hash: "abcdef0122222222222222222222222222222222"}: true,
	}
	wantFiles := map[query.FileKey]bool{{Folder: "models--org--c", Hash: "4444444444444444444444444444444444444444", RelPath: "config.json"}: true}
	if !reflect.DeepEqual(sel.Repos, wantRepos) || !reflect.DeepEqual(sel.Revisions, wantRevs) || !reflect.DeepEqual(sel.Files, wantFiles) {
		t.Errorf("pinnedSelection = %v %v %v, want %v %v %v", sel.Repos, sel.Revisions, sel.Files, wantRepos, wantRevs, wantFiles)
	}
	wantNotes := map[string]string{
		"models--org--a": "demo",
		"models--org--a@1111111111111111111111111111111111111111":             "model/org/a@1111111111111111111111111111111111111111",
		"models--org--b@abcdef0122222222222222222222222222222222":             "model/org/b@abcdef0122222222222222222222222222222222",
		"models--org--c@4444444444444444444444444444444444444444/config.json": "configs",
	}
	if !reflect.DeepEqual(notes, wantNotes) {
		t.Errorf("pinnedSelection notes = %v, want %v", notes, wantNotes)
	}

	// A hash prefix that two repos share now names nothing definite: gc
	// must not guess what it keeps.
	st, err := state.Open(stateFile)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.AddPins(hub, []state.Pin{{Target: "abcdef01", CreatedAt: 1}}); err != nil {
		t.Fatal(err)
	}
	st.Close()
	if _, _, err := pinnedSelection(a, idx, hub); err == nil || !strings.Contains(err.Error(), "pin abcdef01 names nothing definite now") {
		t.Errorf("pinnedSelection with an ambiguous pin: err = %v, want it named", err)
	}
	if r := cli("pins"); r.code != 0 || !strings.Contains(r.stdout, "ambiguous now") {
		t.Errorf("pins with an ambiguous pin: exit %d, stdout %q, want it listed as ambiguous", r.code, r.stdout)
	}
	if r := cli("pin", "abcdef01"); r.code != exitUsage {
		t.Errorf("pin of an ambiguous prefix: exit %d, want %d", r.code, exitUsage)
	}
}
