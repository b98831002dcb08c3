package schema

import (
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/schema.golden")

// TestSchemaGolden holds the whole schema, so any drift of the user-facing
// SQL surface shows up in review.
func TestSchemaGolden(t *testing.T) {
	path := filepath.Join(t.TempDir(), "i.db")
	db, err := Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(`SELECT type, name, sql FROM sqlite_schema WHERE sql IS NOT NULL ORDER BY type, name`)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for rows.Next() {
		var typ, name, sql string
		if err := rows.Scan(&typ, &name, &sql); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "-- %s %s\n%s;\n\n", typ, name, sql)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	var v int
	if err := db.Get(&v, `PRAGMA user_version`); err != nil || v != Version() {
		t.Errorf("user_version = %d (%v), want %d", v, err, Version())
	}
	var n int
	if err := db.Get(&n, `SELECT count(*) FROM migrations`); err != nil || n != len(Migrations()) {
		t.Errorf("migrations rows = %d (%v), want %d", n, err, len(Migrations()))
	}
	golden := filepath.Join("testdata", "schema.golden")
	if *update {
		if err := os.WriteFile(golden, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test ./schema -update)", err)
	}
	if b.String() != string(want) {
		t.Errorf("schema differs from %s; run go test ./schema -update and review the diff", golden)
	}
}

func TestCheck(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.db")
	db, err := Create(good)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	if err := Check(good); err != nil {
		t.Errorf("Check(index) = %v, want nil", err)
	}
	if err := Check(filepath.Join(dir, "none.db")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Check(missing) = %v, want ErrNotExist", err)
	}
	text := filepath.Join(dir, "notes.txt")
	os.WriteFile(text, []byte("my precious notes"), 0o644)
	if err := Check(text); !errors.Is(err, ErrNotIndex) {
		t.Errorf("Check(text file) = %v, want ErrNotIndex", err)
	}
	other := filepath.Join(dir, "other.db")
	odb, err := Create(other)
	if err != nil {
		t.Fatal(err)
	}
	odb.Exec(`PRAGMA application_id = 42`)
	odb.Close()
	if err := Check(other); !errors.Is(err, ErrNotIndex) {
		t.Errorf("Check(foreign sqlite) = %v, want ErrNotIndex", err)
	}
	newer := filepath.Join(dir, "newer.db")
	ndb, err := Create(newer)
	if err != nil {
		t.Fatal(err)
	}
	ndb.Exec(fmt.Sprintf(`PRAGMA user_version = %d`, Version()+1))
	ndb.Close()
	var ne *NewerError
	if err := Check(newer); !errors.As(err, &ne) || ne.Have != Version()+1 {
		t.Errorf("Check(newer) = %v, want NewerError", err)
	}
	if _, err := Create(good); err == nil {
		t.Errorf("Create over an existing file succeeded")
	}
}

func TestReadOnly(t *testing.T) {
	path := filepath.Join(t.TempDir(), "i.db")
	db, err := Create(path)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	before, _ := os.ReadFile(path)
	ro, err := OpenReadOnly(path)
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	if _, err := ro.Exec(`INSERT INTO meta(key, value) VALUES ('x', 'y')`); err == nil {
		t.Errorf("insert through the read-only handle succeeded")
	}
	after, _ := os.ReadFile(path)
	if string(before) != string(after) {
		t.Errorf("index file changed")
	}
}

// TestDescribe checks that every table, view and column is documented, and
// that README documents each of them too.
func TestDescribe(t *testing.T) {
	db, err := Create(filepath.Join(t.TempDir(), "i.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	objs, err := Describe(db)
	if err != nil {
		t.Fatal(err)
	}
	var n int
	db.Get(&n, `SELECT count(*) FROM sqlite_schema WHERE type IN ('table', 'view')`)
	if len(objs) != n {
		t.Errorf("Describe found %d objects, the schema has %d", len(objs), n)
	}
	readmePath := filepath.Join("..", "README.md")
	readme, err := os.ReadFile(readmePath)
	if err != nil {
		t.Fatal(err)
	}
	const begin, end = "<!-- schema:begin -->\n", "<!-- schema:end -->"
	i, j := strings.Index(string(readme), begin), strings.Index(string(readme), end)
	if i < 0 || j < i {
		t.Fatalf("README lacks the %q ... %q markers", begin, end)
	}
	want := Markdown(objs)
	if *update {
		readme = []byte(string(readme[:i+len(begin)]) + want + string(readme[j:]))
		if err := os.WriteFile(readmePath, readme, 0o644); err != nil {
			t.Fatal(err)
		}
		j = strings.Index(string(readme), end)
	}
	if got := string(readme[i+len(begin) : j]); got != want {
		t.Errorf("README's schema section is stale; run go test ./schema -update")
	}
}

func TestOpenOlder(t *testing.T) {
	path := filepath.Join(t.TempDir(), "old.db")
	db, err := Create(path)
	if err != nil {
		t.Fatal(err)
	}
	db.Exec(`PRAGMA user_version = 1`)
	db.Close()
	var oe *OlderError
	if _, err := OpenReadOnly(path); !errors.As(err, &oe) {
		t.Errorf("OpenReadOnly(older index) = %v, want *OlderError", err)
	}
	if err := Check(path); err != nil {
		t.Errorf("Check(older index) = %v, want nil: sync may rebuild it", err)
	}
}

// TestReadOnlyAfterKilledWriter leaves a hot journal as a writer killed in
// the middle of a commit does, and checks that a read-only open reads the
// index as it was before that transaction.
func TestReadOnlyAfterKilledWriter(t *testing.T) {
	if os.Getenv("HFIDX_HOT_JOURNAL_CHILD") != "" {
		db, err := OpenWritable(os.Getenv("HFIDX_HOT_JOURNAL_CHILD"))
		if err != nil {
			os.Exit(3)
		}
		db.Exec(`PRAGMA cache_size = 1`) // spill to the file before the commit
		tx, _ := db.Begin()
		for i := 0; i < 2000; i++ {
			tx.Exec(`INSERT INTO meta(key, value) VALUES (?, ?)`, fmt.Sprint("k", i), strings.Repeat("x", 500))
		}
		os.Exit(0) // killed: neither commit nor rollback
	}
	path := filepath.Join(t.TempDir(), "index.db")
	db, err := Create(path)
	if err != nil {
		t.Fatal(err)
	}
	db.Exec(`INSERT INTO meta(key, value) VALUES ('before', '1')`)
	db.Close()
	// The fresh index is in journal_mode OFF; an index a sync renamed into
	// place is opened with the default rollback journal afterwards.
	cmd := exec.Command(os.Args[0], "-test.run", "^TestReadOnlyAfterKilledWriter$")
	cmd.Env = append(os.Environ(), "HFIDX_HOT_JOURNAL_CHILD="+path)
	if err := cmd.Run(); err != nil {
		t.Fatalf("child: %v", err)
	}
	if fi, err := os.Stat(path + "-journal"); err != nil || fi.Size() == 0 {
		t.Skipf("the child left no hot journal (%v); nothing to recover", err)
	}
	ro, err := OpenReadOnly(path)
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	var n int
	if err := ro.Get(&n, `SELECT count(*) FROM meta`); err != nil {
		t.Fatalf("read after a killed writer: %v", err)
	}
	if n != 1 {
		t.Fatalf("%d meta rows, want the 1 from before the killed transaction", n)
	}
}
