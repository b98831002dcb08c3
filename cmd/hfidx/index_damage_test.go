package main

import (
	"bytes"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hfidx/hfidx/schema"
)

// indexCommands are every command that opens the index, read-only or not.
var indexCommands = [][]string{
	{"sync"},
	{"sync", "--rebuild"},
	{"scan"},
	{"scan", "--no-sync"},
	{"ls", "--json"},
	{"ls", "--no-sync"},
	{"query", "SELECT count(*) FROM repos"},
	{"query", "largest-repos", "--no-sync"},
	{"info"},
	{"verify", "--all"},
	{"verify", "--all", "--no-sync"},
	{"delete", "model/org/a", "--dry-run"},
	{"delete", "model/org/a", "--dry-run", "--no-sync"},
	{"delete", hh2, "--yes"},
	{"assets", "ls"},
}

// damagedIndexes writes, from a good index, one file per kind of damage
// and returns their paths by kind.
func damagedIndexes(t *testing.T, dir, good string) map[string]string {
	t.Helper()
	b, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) < 6*4096 {
		t.Fatalf("index of %d bytes: too small to damage in the middle", len(b))
	}
	out := map[string]string{}
	write := func(kind string, data []byte) string {
		p := filepath.Join(dir, kind+".db")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		out[kind] = p
		return p
	}
	write("text", []byte(strings.Repeat("my own notes, not an index\n", 20)))
	write("empty", nil)
	write("truncated-header", b[:50])
	write("truncated", b[:2*4096])
	garbled := bytes.Clone(b)
	for i := 2 * 4096; i < 6*4096; i++ {
		garbled[i] = 0x5a
	}
	write("garbled", garbled)
	newer := write("newer", b)
	foreign := filepath.Join(dir, "foreign.db")
	for p, stmts := range map[string][]string{
		foreign: {`CREATE TABLE notes(x TEXT)`, `INSERT INTO notes VALUES ('mine')`},
		newer:   {`PRAGMA user_version = 999`},
	} {
		db, err := sql.Open("sqlite", p)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range stmts {
			if _, err := db.Exec(s); err != nil {
				t.Fatal(err)
			}
		}
		db.Close()
	}
	out["foreign"] = foreign
	return out
}

// TestIndexDamage runs every command that opens the index against each
// kind of file that can sit at the index path: a text file, an empty file,
// a file cut inside the SQLite header, a SQLite file of another program —
// none of them an hfidx index, so none may ever change — an index of a
// newer hfidx (never changed either, except by sync --rebuild), and an
// hfidx index that is truncated or has overwritten pages. Every failure is
// one line naming the file and a hint with the way out; nothing panics.
func TestIndexDamage(t *testing.T) {
	dir := t.TempDir()
	dir, _ = filepath.EvalSymlinks(dir)
	hub := filepath.Join(dir, "hub")
	var files = map[string]string{}
	for r := 0; r < 30; r++ {
		// Enough rows for an index of several pages.
		repo := "models--org--" + string(rune('a'+r%26)) + strings.Repeat("x", r/26)
		for f := 0; f < 8; f++ {
			files[repo+"/snapshots/"+hh1+"/f"+string(rune('0'+f))+".txt"] = "link:../../blobs/e" + string(rune('0'+f))
			files[repo+"/blobs/e"+string(rune('0'+f))] = "file:" + strings.Repeat("y", f+r)
		}
		files[repo+"/refs/main"] = "file:" + hh1
	}
	mktree(t, hub, files)
	good := filepath.Join(dir, "good.db")
	if r := hfidx("sync", "--cache-dir", hub, "--db", good); r.code != 0 {
		t.Fatalf("sync: %s", r.stderr)
	}
	_, rebuild := hasFlag(t, "sync", "--rebuild")
	kinds := damagedIndexes(t, filepath.Join(dir), good)
	for kind, src := range kinds {
		notOurs := kind != "newer" && kind != "truncated" && kind != "garbled"
		for _, args := range indexCommands {
			name := kind + "/" + strings.Join(args, " ")
			db := filepath.Join(dir, "t.db")
			orig, err := os.ReadFile(src)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(db, orig, 0o644); err != nil {
				t.Fatal(err)
			}
			r := hfidx(append(args, "--cache-dir", hub, "--db", db)...)
			after, _ := os.ReadFile(db)
			changed := !bytes.Equal(orig, after)
			isRebuild := len(args) > 1 && args[1] == "--rebuild"
			switch {
			case notOurs && changed:
				t.Errorf("%s: the file at the index path changed; it is not an hfidx index", name)
			case kind == "newer" && changed && !isRebuild:
				t.Errorf("%s: an index of a newer hfidx changed", name)
			}
			if strings.Contains(r.stderr, "panic") || strings.Contains(r.stderr, "goroutine ") {
				t.Errorf("%s: %s", name, r.stderr)
			}
			if r.code != 0 {
				checkOneLineError(t, name, r, db)
			}
			want := ""
			switch {
			case isRebuild && !rebuild:
				want = "unknown flag --rebuild"
			case notOurs:
				want = "not an hfidx index"
			case kind == "newer" && !isRebuild:
				want = "sync --rebuild"
			case (kind == "truncated" || kind == "garbled") && r.code != 0:
				want = "sync --rebuild"
			}
			if isRebuild && rebuild && !notOurs {
				if r.code != 0 {
					t.Errorf("%s: exit %d (%s), want the index built again", name, r.code, r.stderr)
				} else if err := indexSound(db); err != nil {
					t.Errorf("%s: the rebuilt index is not sound: %v", name, err)
				}
			}
			if want != "" && r.code == 0 && !(args[0] == "verify" || args[0] == "assets") {
				t.Errorf("%s: exit 0, want an error mentioning %q", name, want)
			}
			if want != "" && r.code != 0 && !strings.Contains(r.stderr, want) {
				t.Errorf("%s: stderr %q, want it to mention %q", name, r.stderr, want)
			}
			if (kind == "truncated" || kind == "garbled") && r.code == 0 {
				// A command that synced rebuilt the index and left it sound;
				// one that only keeps its own rows in it (assets, verify)
				// may leave it damaged, and then the next read says so.
				if err := indexSound(db); err != nil {
					next := hfidx("scan", "--no-sync", "--cache-dir", hub, "--db", db)
					if args[0] != "assets" && args[0] != "verify" {
						t.Errorf("%s: exit 0 but the index is not sound: %v", name, err)
					} else if next.code != exitError || !strings.Contains(next.stderr, "sync --rebuild") {
						t.Errorf("%s left a damaged index, and the next scan --no-sync says %q (exit %d)", name, next.stderr, next.code)
					}
				}
			}
		}
	}
}

// checkOneLineError: a failing command prints one error line naming the
// index file (or the flag at fault) and one hint line, nothing else.
func checkOneLineError(t *testing.T, name string, r cmdResult, db string) {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(r.stderr, "\n"), "\n")
	var errs, hints int
	for _, l := range lines {
		switch {
		case strings.HasPrefix(l, "hfidx: "):
			errs++
		case strings.HasPrefix(l, "hint: "):
			hints++
		}
	}
	if errs != 1 || hints != 1 {
		t.Errorf("%s: exit %d, stderr %q: want one error line and one hint", name, r.code, r.stderr)
		return
	}
	if !strings.Contains(r.stderr, db) && !strings.Contains(r.stderr, "flag") {
		t.Errorf("%s: stderr %q does not name %s", name, r.stderr, db)
	}
}

// indexSound opens the index read-only and reads every table.
func indexSound(path string) error {
	db, err := schema.OpenReadOnly(path)
	if err != nil {
		return err
	}
	defer db.Close()
	var res string
	if err := db.Get(&res, `PRAGMA integrity_check`); err != nil {
		return err
	}
	if res != "ok" {
		return &os.PathError{Op: "integrity_check", Path: path, Err: os.ErrInvalid}
	}
	return nil
}

// hasFlag reports whether a command takes a flag, from its --help.
func hasFlag(t *testing.T, cmd, flag string) (string, bool) {
	r := hfidx(cmd, "--help")
	return r.stdout, strings.Contains(r.stdout, flag)
}
