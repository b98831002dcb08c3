package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/hfidx/hfidx/cache/cachetest"
)

// exportSpec has files in nested folders, blobs linked by two revisions
// and a detached revision.
const exportSpec = `repo model org/a
rev 1111111111111111111111111111111111111111
file config.json "{}"
file sub/deep/w.bin "0123456789"
file sub/x.txt "x"
file sub.txt "sub file"
rev 2222222222222222222222222222222222222222
file config.json "{}"
file sub/deep/w.bin "0123456789abcdef"
file d.bin "detached!"
ref main 1111111111111111111111111111111111111111
repo dataset org/data
rev 3333333333333333333333333333333333333333
file data/train.csv "a,b,c"
file README.md "readme"
ref main 3333333333333333333333333333333333333333
`

// ncduWalk walks one directory of an ncdu export: the folder's info
// object, then its entries (arrays for folders). It records every file's
// path and the sizes of each distinct inode of hard-linked files.
func ncduWalk(t *testing.T, dir []any, prefix string, paths *[]string, inodes map[string][2]float64) {
	t.Helper()
	if len(dir) == 0 {
		t.Fatalf("ncdu folder under %q: empty array", prefix)
	}
	info, ok := dir[0].(map[string]any)
	if !ok {
		t.Fatalf("ncdu folder under %q: first element %v is not an object", prefix, dir[0])
	}
	name, _ := info["name"].(string)
	if prefix != "" {
		prefix += "/"
	}
	p := prefix + name
	for _, e := range dir[1:] {
		switch e := e.(type) {
		case []any:
			ncduWalk(t, e, p, paths, inodes)
		case map[string]any:
			n, _ := e["name"].(string)
			*paths = append(*paths, p+"/"+n)
			if e["hlnkc"] != true {
				t.Errorf("ncdu file %s/%s: hlnkc %v, want true", p, n, e["hlnkc"])
			}
			key := fmt.Sprintf("%v:%v", e["dev"], e["ino"])
			as, _ := e["asize"].(float64)
			ds, _ := e["dsize"].(float64)
			inodes[key] = [2]float64{as, ds}
		default:
			t.Fatalf("ncdu entry under %s: %v is neither a folder nor a file", p, e)
		}
	}
}

// TestExportNcduAndJSONLines parses the ncdu export back: its files are
// the JSON lines' (repo folder/revision/path), and its totals, each inode
// once as ncdu counts hard links, are scan's total apparent and allocated
// bytes. --out writes the same bytes, leaving no temporary file.
func TestExportNcduAndJSONLines(t *testing.T) {
	c, err := cachetest.Parse(exportSpec)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	hub, db := filepath.Join(dir, "hub"), filepath.Join(dir, "index.db")
	if _, err := cachetest.Write(hub, c); err != nil {
		t.Fatal(err)
	}
	t.Setenv("XDG_STATE_HOME", filepath.Join(dir, "state"))
	g := []string{"--cache-dir", hub, "--db", db, "--no-progress"}
	cmd := func(args ...string) string {
		t.Helper()
		r := hfidx(append(g, args...)...)
		if r.code != 0 {
			t.Fatalf("%v: exit %d: %s", args, r.code, r.stderr)
		}
		return r.stdout
	}
	var scan struct {
		Size  int64 `json:"size_on_disk"`
		Repos []struct {
			Size  int64 `json:"size_on_disk"`
			Usage int64 `json:"usage"`
		} `json:"repos"`
	}
	if err := json.Unmarshal([]byte(cmd("scan", "--json")), &scan); err != nil {
		t.Fatal(err)
	}
	var wantUsage int64
	for _, r := range scan.Repos {
		wantUsage += r.Usage
	}

	// JSON lines: one object per snapshot entry.
	var lines, records []string
	sc := bufio.NewScanner(strings.NewReader(cmd("export", "--format", "jsonl", "--no-sync")))
	folder := map[string]string{"model/org/a": "models--org--a", "dataset/org/data": "datasets--org--data"}
	for sc.Scan() {
		var l struct {
			Repo, Revision, Path, Host string
			Size, Usage                int64
			Blob                       *string
			SyncedAt                   float64 `json:"synced_at"`
		}
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("jsonl line %q: %v", sc.Text(), err)
		}
		if l.Blob == nil || l.Size == 0 {
			t.Errorf("jsonl line %q: want a blob and a size", sc.Text())
		}
		lines = append(lines, hub+"/"+folder[l.Repo]+"/"+l.Revision+"/"+l.Path)
		records = append(records, fmt.Sprintf("%s %s %s %s %d %d %s %v", l.Host, l.Repo, l.Revision, l.Path, l.Size, l.Usage, *l.Blob, l.SyncedAt))
	}
	if len(lines) != 9 {
		t.Errorf("jsonl: %d lines, want 9 (one per snapshot entry)", len(lines))
	}

	// Parquet, read back with the library's reader: the JSON lines' rows.
	pq := filepath.Join(dir, "files.parquet")
	cmd("export", "--format", "parquet", "--no-sync", "--out", pq)
	f, err := os.Open(pq)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	type pqRow struct {
		Host     string  `parquet:"host"`
		SyncedAt float64 `parquet:"synced_at"`
		Repo     string  `parquet:"repo"`
		Revision string  `parquet:"revision"`
		Path     string  `parquet:"path"`
		Size     int64   `parquet:"size"`
		Usage    int64   `parquet:"usage"`
		Blob     *string `parquet:"blob,optional"`
	}
	rows, err := parquet.Read[pqRow](f, fi.Size())
	if err != nil {
		t.Fatalf("read parquet: %v", err)
	}
	var got []string
	for _, r := range rows {
		if r.Blob == nil {
			t.Fatalf("parquet row %+v: no blob", r)
		}
		got = append(got, fmt.Sprintf("%s %s %s %s %d %d %s %v", r.Host, r.Repo, r.Revision, r.Path, r.Size, r.Usage, *r.Blob, r.SyncedAt))
	}
	if strings.Join(got, "\n") != strings.Join(records, "\n") {
		t.Errorf("parquet rows\n%s\nwant the JSON lines'\n%s", strings.Join(got, "\n"), strings.Join(records, "\n"))
	}

	text := cmd("export", "--format", "ncdu", "--no-sync")
	var top []any
	if err := json.Unmarshal([]byte(text), &top); err != nil {
		t.Fatalf("ncdu export is not JSON: %v\n%s", err, text)
	}
	if len(top) != 4 || top[0] != 1.0 || top[1] != 2.0 {
		t.Fatalf("ncdu export: top level %.100v, want [1, 2, {metadata}, [root...]]", top)
	}
	root, ok := top[3].([]any)
	if !ok {
		t.Fatalf("ncdu export: root %v is not a folder", top[3])
	}
	var paths []string
	inodes := map[string][2]float64{}
	ncduWalk(t, root, "", &paths, inodes)
	sort.Strings(paths)
	sort.Strings(lines)
	if strings.Join(paths, "\n") != strings.Join(lines, "\n") {
		t.Errorf("ncdu files\n%s\nwant the JSON lines'\n%s", strings.Join(paths, "\n"), strings.Join(lines, "\n"))
	}
	var asize, dsize float64
	for _, s := range inodes {
		asize += s[0]
		dsize += s[1]
	}
	if asize != float64(scan.Size) || asize == 0 {
		t.Errorf("ncdu total asize (each inode once) = %v, want scan's size_on_disk %d", asize, scan.Size)
	}
	if dsize != float64(wantUsage) {
		t.Errorf("ncdu total dsize (each inode once) = %v, want the sum of scan's repo usage %d", dsize, wantUsage)
	}

	out := filepath.Join(dir, "out")
	if err := os.Mkdir(out, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(out, "cache.ncdu.json")
	cmd("export", "--format", "ncdu", "--no-sync", "--out", path)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// The timestamp is the only line that may differ (another second).
	if want, got := text[strings.Index(text, "\n"):], string(b[strings.Index(string(b), "\n"):]); got != want {
		t.Errorf("--out wrote\n%s\nwant what stdout had\n%s", got, want)
	}
	if ents, _ := os.ReadDir(out); len(ents) != 1 {
		t.Errorf("--out folder holds %d entries, want the export only", len(ents))
	}
	// The real ncdu, where installed (Debian's ncdu package): it imports
	// the file and exports it again entry for entry.
	if ncdu, err := exec.LookPath("ncdu"); err == nil {
		again := filepath.Join(dir, "again.json")
		if b, err := exec.Command(ncdu, "-f", path, "-o", again).CombinedOutput(); err != nil {
			t.Fatalf("ncdu -f: %v: %s", err, b)
		}
		b, err := os.ReadFile(again)
		if err != nil {
			t.Fatal(err)
		}
		// ncdu ends the file without a line feed.
		if want, got := strings.TrimSpace(text[strings.Index(text, "\n"):]), strings.TrimSpace(string(b[strings.Index(string(b), "\n"):])); got != want {
			t.Errorf("ncdu -f then -o wrote\n%s\nwant what hfidx wrote\n%s", got, want)
		}
	} else {
		t.Log("ncdu not installed: the export is not imported by the real ncdu")
	}
	if r := hfidx(append(g, "export", "--no-sync")...); r.code != exitUsage {
		t.Errorf("export without --format jsonl|ncdu: exit %d, want %d", r.code, exitUsage)
	}
}
