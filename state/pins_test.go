package state

import (
	"path/filepath"
	"reflect"
	"testing"
)

func TestPins(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	const root, other = "/cache/hub", "/other/hub"

	n, err := s.AddPins(root, []Pin{
		{Target: "model/org/b", Note: "", CreatedAt: 100},
		{Target: "model/org/a", Note: "demo", CreatedAt: 100},
	})
	if err != nil || n != 2 {
		t.Fatalf("AddPins(two new) = %d, %v, want 2, nil", n, err)
	}
	// Again: nothing added; an empty note keeps the old one, a new one
	// replaces it; the creation time stays the first.
	n, err = s.AddPins(root, []Pin{
		{Target: "model/org/a", Note: "", CreatedAt: 200},
		{Target: "model/org/b", Note: "serving", CreatedAt: 200},
		{Target: "model/org/c:*.json", Note: "", CreatedAt: 200},
	})
	if err != nil || n != 1 {
		t.Fatalf("AddPins(two pinned, one new) = %d, %v, want 1, nil", n, err)
	}
	want := []Pin{
		{Target: "model/org/a", Note: "demo", CreatedAt: 100},
		{Target: "model/org/b", Note: "serving", CreatedAt: 100},
		{Target: "model/org/c:*.json", Note: "", CreatedAt: 200},
	}
	if got, err := s.Pins(root); err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("Pins(%q) = %v, %v, want %v", root, got, err, want)
	}

	// Another cache has pins of its own.
	if got, err := s.Pins(other); err != nil || len(got) != 0 {
		t.Fatalf("Pins(%q) = %v, %v, want none", other, got, err)
	}
	if n, err := s.RemovePins(other, []string{"model/org/a"}); err != nil || n != 0 {
		t.Fatalf("RemovePins(%q, model/org/a) = %d, %v, want 0, nil", other, n, err)
	}
	if n, err := s.AddPins(other, []Pin{{Target: "model/org/a", Note: "elsewhere", CreatedAt: 300}}); err != nil || n != 1 {
		t.Fatalf("AddPins(%q) = %d, %v, want 1, nil", other, n, err)
	}

	// Removal is by exact text: a differently written target is not the pin.
	n, err = s.RemovePins(root, []string{"model/org/b", "MODEL/org/a", "model/org/none"})
	if err != nil || n != 1 {
		t.Fatalf("RemovePins = %d, %v, want 1, nil", n, err)
	}

	// Reopened, the pins are still there.
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err = Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	want = []Pin{want[0], want[2]}
	if got, err := s.Pins(root); err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("Pins(%q) after reopening = %v, %v, want %v", root, got, err, want)
	}
	wantOther := []Pin{{Target: "model/org/a", Note: "elsewhere", CreatedAt: 300}}
	if got, err := s.Pins(other); err != nil || !reflect.DeepEqual(got, wantOther) {
		t.Fatalf("Pins(%q) after reopening = %v, %v, want %v", other, got, err, wantOther)
	}
	if v := Version(); v < 2 {
		t.Errorf("Version() = %d, want at least 2", v)
	}
}

// TestPinsMigration opens a state of version 1 with usage records: the
// pins table is added in place and the records stay.
func TestPinsMigration(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Record("/c", []Use{{Path: "x", UsedAt: 1, Source: SourceTouch}}); err != nil {
		t.Fatal(err)
	}
	// Back to version 1, as an older hfidx left it.
	if _, err := s.db.Exec(`DROP TABLE pins; DROP TABLE IF EXISTS gc_runs; DROP TABLE IF EXISTS history_last; DROP TABLE IF EXISTS history_repos; DROP TABLE IF EXISTS history_names; DROP TABLE IF EXISTS history; PRAGMA user_version = 1`); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s, err = Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if uses, err := s.Uses("/c"); err != nil || len(uses) != 1 {
		t.Fatalf("Uses after migrating = %v, %v, want the one record", uses, err)
	}
	if n, err := s.AddPins("/c", []Pin{{Target: "model/org/a", CreatedAt: 1}}); err != nil || n != 1 {
		t.Fatalf("AddPins after migrating = %d, %v, want 1, nil", n, err)
	}
	var v int
	if err := s.db.Get(&v, `PRAGMA user_version`); err != nil || v != Version() {
		t.Fatalf("user_version = %d, %v, want %d", v, err, Version())
	}
}
