package query_test

import (
	"path/filepath"
	"testing"

	"github.com/jmoiron/sqlx"

	"github.com/hfidx/hfidx/index"
	"github.com/hfidx/hfidx/schema"
)

// syncedDB syncs the cache at root into a fresh index and opens it
// read-only for the rest of the test.
func syncedDB(t *testing.T, root string) *sqlx.DB {
	t.Helper()
	dbPath := filepath.Join(t.TempDir(), "index.db")
	if _, err := index.Sync(root, dbPath, index.Options{}); err != nil {
		t.Fatal(err)
	}
	db, err := schema.OpenReadOnly(dbPath)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}
