package cache

import (
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestStateRoundTrip(t *testing.T) {
	st := State{
		Dirs:       []string{"", "snapshots/a b", "refs/\nodd\x00name\xff", "blobs"},
		DirSum:     1 << 63,
		Refs:       []RefStamp{{"main", "0123abcd"}, {"refs/pr/1", "x y\n"}, {"empty", ""}, {"sp ace", "\"q\""}},
		Blobs:      []BlobRef{{Rel: "blobs/aa"}, {Rel: "blobs/gone", Missing: true}, {Rel: "snapshots/c/file one"}, {Rel: "blobs/\"odd"}},
		BlobSum:    12345,
		Incomplete: []string{"blobs/x.incomplete"},
		IncSum:     7,
	}
	got, err := ParseState(st.Encode())
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, st) {
		t.Fatalf("round trip:\n got %+v\nwant %+v", got, st)
	}
	for _, bad := range []string{"x", "S 1 2\n", "S 1 2 zz\n", "r \"main\"\n", "r main unquoted\n", "q 1\n", "d a b\n", "b \n"} {
		if _, err := ParseState(bad); err == nil {
			t.Errorf("ParseState(%q) accepted", bad)
		}
	}
}

// TestCheckSeesChanges scans a repo, then changes it in each way Check
// must notice (or must refresh) and checks its answer.
func TestCheckSeesChanges(t *testing.T) {
	root := t.TempDir()
	repo := filepath.Join(root, "models--org--a")
	commit := strings.Repeat("1", 40)
	for _, d := range []string{"blobs", "refs", "snapshots/" + commit + "/sub"} {
		os.MkdirAll(filepath.Join(repo, d), 0o755)
	}
	os.WriteFile(filepath.Join(repo, "blobs", "aaaa"), []byte("hello"), 0o644)
	os.Symlink("../../../blobs/aaaa", filepath.Join(repo, "snapshots", commit, "sub", "f"))
	os.WriteFile(filepath.Join(repo, "refs", "main"), []byte(commit), 0o644)
	os.WriteFile(filepath.Join(repo, "blobs", "x.incomplete"), []byte("p"), 0o644)
	// The racy window is longer than any kernel's timestamp tick, and each
	// scan waits it out: the change that follows a scan then always moves
	// the times the scan recorded.
	const window = 50 * time.Millisecond
	w := NewWalker(root, Options{RacyWindow: window})
	scan := func() *State {
		time.Sleep(window + 10*time.Millisecond)
		des, _ := os.ReadDir(root)
		st := w.Entry(des[0]).Repo.State
		return &st
	}
	st := scan()
	if ref, ok := w.Check("models--org--a", st, false); !ok || ref.State != nil {
		t.Fatalf("unchanged repo: ok %v, refresh %+v", ok, ref)
	}
	changes := []struct {
		name    string
		change  func()
		changed bool // the repo must be listed again
		moved   bool // else its rows must be refreshed
	}{
		{"blob appended", func() { appendTo(filepath.Join(repo, "blobs", "aaaa")) }, false, true},
		{"download grew", func() { appendTo(filepath.Join(repo, "blobs", "x.incomplete")) }, false, true},
		{"ref rewritten in place", func() { os.WriteFile(filepath.Join(repo, "refs", "main"), []byte(strings.Repeat("2", 40)), 0o644) }, true, false},
		{"file added deep", func() { os.WriteFile(filepath.Join(repo, "snapshots", commit, "sub", "g"), nil, 0o644) }, true, false},
		{"folder chmod", func() { os.Chmod(filepath.Join(repo, "snapshots"), 0o700) }, true, false},
		{"blob removed", func() { os.Remove(filepath.Join(repo, "blobs", "aaaa")) }, true, false},
	}
	for _, c := range changes {
		st = scan()
		c.change()
		ref, ok := w.Check("models--org--a", st, false)
		if ok == c.changed {
			t.Errorf("%s: Check ok = %v, want %v", c.name, ok, !c.changed)
			continue
		}
		if ok && (ref.State != nil) != c.moved {
			t.Errorf("%s: refresh state %v, want moved %v", c.name, ref.State, c.moved)
		}
	}
	// A racy stamp is never trusted.
	w2 := NewWalker(root, Options{RacyWindow: time.Hour})
	des, _ := os.ReadDir(root)
	racy := w2.Entry(des[0]).Repo.State
	if _, ok := w2.Check("models--org--a", &racy, false); ok {
		t.Error("a racy state was trusted")
	}
}

func appendTo(p string) {
	f, err := os.OpenFile(p, os.O_APPEND|os.O_WRONLY, 0)
	if err == nil {
		f.WriteString("more")
		f.Close()
	}
}

func FuzzParseState(f *testing.F) {
	f.Add("S 1 2 3\nd \"\"\nr main \"abc\"\nb aaaa\nm blobs/x\nf \"snapshots/a b\"\ni blobs/x.incomplete\n")
	f.Add("S 0 0 0\nd snapshots\n")
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
	if err := mkfifo(t, fifo, 0o600); err != nil {
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
	h, err := openDirHandle(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer h.close()
	for _, name := range []string{"", "f", "l", "p"} {
		for _, follow := range []bool{false, true} {
			got, err := h.statAt(name, follow)
			want, err2 := statPath(filepath.Join(dir, name), follow)
			if err != nil || err2 != nil || got != want {
				t.Errorf("statAt(%q, %v) = %+v %v, want %+v", name, follow, got, err, want)
			}
		}
	}
	if _, err := h.statAt("missing", true); !os.IsNotExist(err) {
		t.Errorf("statAt of a missing file: %v, want not exist", err)
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
