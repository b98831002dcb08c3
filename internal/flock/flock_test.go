package flock

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// Two descriptors of one file conflict as two processes do, on Unix
// (flock locks belong to the open file description) and on Windows
// (LockFileEx locks belong to the handle).
func TestLock(t *testing.T) {
	p := filepath.Join(t.TempDir(), "x.lock")
	open := func() *os.File {
		f, err := os.OpenFile(p, os.O_RDWR|os.O_CREATE, 0o644)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { f.Close() })
		return f
	}
	a, b := open(), open()
	if err := Lock(a, false); err != nil {
		t.Fatalf("Lock(a) = %v, want nil", err)
	}
	if err := Lock(b, false); !errors.Is(err, ErrHeld) {
		t.Fatalf("Lock(b) while a holds it = %v, want ErrHeld", err)
	}
	if err := Unlock(a); err != nil {
		t.Fatalf("Unlock(a) = %v", err)
	}
	if err := Lock(b, true); err != nil {
		t.Fatalf("Lock(b, wait) after Unlock(a) = %v, want nil", err)
	}
	if err := Lock(a, false); !errors.Is(err, ErrHeld) {
		t.Fatalf("Lock(a) while b holds it = %v, want ErrHeld", err)
	}
	b.Close()
	if err := Lock(a, false); err != nil {
		t.Fatalf("Lock(a) after b closed = %v, want nil", err)
	}
}
