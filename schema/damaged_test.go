package schema

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

func TestIsDamaged(t *testing.T) {
	p := filepath.Join(t.TempDir(), "index.db")
	db, err := Create(p)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	b, err := os.ReadFile(p)
	if err != nil || len(b) < 3*4096 {
		t.Fatalf("index of %d bytes: %v", len(b), err)
	}
	if err := os.WriteFile(p, b[:2*4096], 0o644); err != nil {
		t.Fatal(err)
	}
	ro, err := OpenReadOnly(p)
	if err == nil {
		var n int
		err = ro.Get(&n, `SELECT count(*) FROM repo_usage`)
		ro.Close()
	}
	if !IsDamaged(err) {
		t.Errorf("IsDamaged(%v) = false for a truncated index", err)
	}
	if !IsDamaged(fmt.Errorf("read index: %w", err)) {
		t.Errorf("IsDamaged(wrapped %v) = false", err)
	}
	// Only the code decides: text that reads like damage is not.
	for _, e := range []error{nil, errors.New("no such table: x"), os.ErrPermission, &NewerError{9, 1},
		fmt.Errorf("read index: %s", err), errors.New("no such table: file is not a database"),
		errors.New("database disk image is malformed")} {
		if IsDamaged(e) {
			t.Errorf("IsDamaged(%v) = true", e)
		}
	}
}
