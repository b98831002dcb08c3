package cache

import (
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

func TestStateRoundTrip(t *testing.T) {
	st := State{
		Dirs: []DirStamp{{"", 1, 2}, {"snapshots/a b", -1, -1}, {"refs/\nodd\x00name\xff", 5, 6}},
		Refs: []RefStamp{{"main", "0123abcd"}, {"refs/pr/1", "x y\n"}, {"empty", ""}},
		Blobs: []FileStamp{{Rel: "blobs/aa", Dev: 1, Ino: 1 << 40, Size: 5 << 30, Usage: 4096, Atime: -5, Mtime: 1e18, Nlink: 2},
			{Rel: "blobs/gone", Missing: true}},
		Incomplete: []FileStamp{{Rel: "blobs/x.incomplete", Size: 7, Mtime: 9}},
	}
	got, err := ParseState(st.Encode())
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, st) {
		t.Fatalf("round trip:\n got %+v\nwant %+v", got, st)
	}
	for _, bad := range []string{"x", "d 1 2\n", "d a 2 \"\"\n", "r \"main\"\n", "b 0 1 2 3 4 5 6 \"p\"\n", "q 1\n", "d 1 2 unquoted\n"} {
		if _, err := ParseState(bad); err == nil {
			t.Errorf("ParseState(%q) accepted", bad)
		}
	}
}

func FuzzParseState(f *testing.F) {
	f.Add("d 1 2 \"\"\nr \"main\" \"abc\"\nb 0 1 2 3 4 5 6 7 \"blobs/a\"\ni 0 0 0 1 0 0 2 0 \"blobs/x.incomplete\"\n")
	f.Add("d -1 -1 \"snapshots\"\n")
	f.Fuzz(func(t *testing.T, text string) {
		st, err := ParseState(text)
		if err != nil {
			return
		}
		again, err := ParseState(st.Encode())
		if err != nil || !reflect.DeepEqual(again, st) {
			t.Fatalf("re-encoding %q does not round trip: %v", text, err)
		}
	})
}

// TestStatPath holds the allocation-free stat against os.Lstat and os.Stat.
func TestStatPath(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "f")
	os.WriteFile(file, []byte("hello"), 0o640)
	link := filepath.Join(dir, "l")
	os.Symlink("f", link)
	fifo := filepath.Join(dir, "p")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("no FIFOs here: %v", err)
	}
	for _, p := range []string{dir, file, link, fifo} {
		for _, follow := range []bool{false, true} {
			got, err := statPath(p, follow)
			if err != nil {
				t.Fatal(err)
			}
			fi, err := os.Lstat(p)
			if follow {
				fi, err = os.Stat(p)
			}
			if err != nil {
				t.Fatal(err)
			}
			if want := statOf(fi); got != want {
				t.Errorf("statPath(%s, %v) = %+v, want %+v", p, follow, got, want)
			}
		}
	}
	if _, err := statPath(filepath.Join(dir, "missing"), true); !os.IsNotExist(err) {
		t.Errorf("missing file: %v, want not exist", err)
	}
}

// TestReadDir holds the raw listing against os.ReadDir: the same names in
// the same order with the same types, and the folder's own stat.
func TestReadDir(t *testing.T) {
	dir := t.TempDir()
	for i := 0; i < 3000; i++ { // more than one getdents buffer
		os.WriteFile(filepath.Join(dir, strings.Repeat("f", i%200+1)+strconv.Itoa(i)), nil, 0o644)
	}
	os.Mkdir(filepath.Join(dir, "sub"), 0o755)
	os.Symlink("sub", filepath.Join(dir, "link"))
	os.WriteFile(filepath.Join(dir, "caf\xe9\n"), nil, 0o644)
	got, st, err := readDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("%d entries, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i].Name() != want[i].Name() || got[i].Type() != want[i].Type() || got[i].IsDir() != want[i].IsDir() {
			t.Fatalf("entry %d: %q %v, want %q %v", i, got[i].Name(), got[i].Type(), want[i].Name(), want[i].Type())
		}
	}
	if fi, err := got[0].Info(); err != nil || fi.Name() != want[0].Name() {
		t.Errorf("Info: %v %v", fi, err)
	}
	self, _ := lstat(dir)
	if st.Ino != self.Ino || st.Mtime != self.Mtime || !st.Mode.IsDir() {
		t.Errorf("folder stat %+v, want %+v", st, self)
	}
	if _, _, err := readDir(filepath.Join(dir, "link")); err == nil {
		t.Error("readDir followed a symlink")
	}
	if _, _, err := readDir(filepath.Join(dir, "f0")); err == nil {
		t.Error("readDir listed a file")
	}
}
