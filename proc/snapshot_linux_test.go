//go:build linux

package proc

import (
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// testCache lays out a small cache in a temp folder: one blob reached by a
// snapshot link, a blob to map, a blob to open directly, and a file outside
// the cache. Paths are resolved, as the kernel reports them.
type testCache struct {
	root, blob, link, mapped, plain, outside string
}

func newTestCache(t *testing.T) testCache {
	t.Helper()
	dir, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	repo := filepath.Join(dir, "hub", "models--org--m")
	c := testCache{
		root:    filepath.Join(dir, "hub"),
		blob:    filepath.Join(repo, "blobs", "aaaa"),
		link:    filepath.Join(repo, "snapshots", "0123", "model.bin"),
		mapped:  filepath.Join(repo, "blobs", "bbbb"),
		plain:   filepath.Join(repo, "blobs", "cccc"),
		outside: filepath.Join(dir, "hubby", "x"), // shares the root's prefix, not its folder
	}
	writeFile(t, c.blob, "weights")
	writeFile(t, c.mapped, strings.Repeat("m", 8192))
	writeFile(t, c.plain, "config")
	writeFile(t, c.outside, "outside")
	if err := os.MkdirAll(filepath.Dir(c.link), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../../blobs/aaaa", c.link); err != nil {
		t.Fatal(err)
	}
	return c
}

func TestSnapshot(t *testing.T) {
	c := newTestCache(t)
	h := startHelper(t, "", nil, "PROC_TEST_HELPER=hold",
		"PROC_TEST_OPEN="+strings.Join([]string{c.link, c.plain, c.outside}, "\n"),
		"PROC_TEST_MAP="+c.mapped)

	// Reading must change no access time: set them into the past (older
	// than the mtime, so relatime would update them on a read) after the
	// helper opened and mapped the files.
	past := []unix.Timespec{{Sec: 1_000_000_000}, {Nsec: unix.UTIME_OMIT}}
	for _, p := range []string{c.blob, c.mapped, c.plain, c.link} {
		if err := unix.UtimesNanoAt(unix.AT_FDCWD, p, past, unix.AT_SYMLINK_NOFOLLOW); err != nil {
			t.Fatal(err)
		}
	}

	ps, err := Snapshot(Options{Under: []string{c.root}})
	if err != nil {
		t.Fatal(err)
	}
	p, ok := process(ps, h.pid())
	if !ok {
		t.Fatalf("Snapshot: no process %d; errors %v", h.pid(), ps.Errors)
	}
	if p.Comm != "proc.test" || len(p.Args) != 1 || p.Args[0] != os.Args[0] || p.Command() != "proc.test" {
		t.Errorf("process %d: Comm %q, Args %q, Command %q, want proc.test, [%s], proc.test", p.PID, p.Comm, p.Args, p.Command(), os.Args[0])
	}
	if p.PPID != os.Getpid() || p.UID != uint32(os.Geteuid()) {
		t.Errorf("process %d: PPID %d, UID %d, want %d, %d", p.PID, p.PPID, p.UID, os.Getpid(), os.Geteuid())
	}
	want := []struct {
		path   string
		fd     bool
		mapped bool
	}{
		{c.blob, true, false}, // opened through the snapshot link
		{c.mapped, false, true},
		{c.plain, true, false},
	}
	if len(p.Files) != len(want) {
		t.Errorf("process %d: files %+v, want %d", p.PID, p.Files, len(want))
	}
	for _, w := range want {
		f, ok := fileOf(ps, h.pid(), w.path)
		if !ok {
			t.Errorf("Snapshot: %s not held by %d; files %+v", w.path, h.pid(), p.Files)
			continue
		}
		if k := keyOf(t, w.path); f.Key != k {
			t.Errorf("%s: key %+v, want %+v", w.path, f.Key, k)
		}
		if (f.FD >= 0) != w.fd || f.Mapped != w.mapped || f.Deleted {
			t.Errorf("%s: FD %d, Mapped %v, Deleted %v; want fd %v, mapped %v, not deleted", w.path, f.FD, f.Mapped, f.Deleted, w.fd, w.mapped)
		}
		k := keyOf(t, w.path)
		if hs := ps.InUse(k.Dev, k.Ino); !slices.ContainsFunc(hs, func(x Holder) bool { return x.PID == h.pid() }) {
			t.Errorf("InUse(%s) = %v, want %d among them", w.path, hs, h.pid())
		}
		if hs := ps.Holding(w.path); !slices.ContainsFunc(hs, func(x Holder) bool {
			return x.PID == h.pid() && x.Command == "proc.test" && x.Mapped == w.mapped
		}) {
			t.Errorf("Holding(%q) = %v, want %d (proc.test)", w.path, hs, h.pid())
		}
	}
	for _, p := range ps.List {
		for _, f := range p.Files {
			if !strings.HasPrefix(f.Path, c.root+"/") {
				t.Errorf("process %d: %s is outside %s", p.PID, f.Path, c.root)
			}
		}
	}
	if hs := ps.Holding(c.outside); hs != nil {
		t.Errorf("Holding(%q) = %v, want none: outside Under", c.outside, hs)
	}
	if hs := ps.Holding(c.link); hs != nil {
		t.Errorf("Holding(%q) = %v, want none: the kernel names the blob", c.link, hs)
	}
	if _, ok := process(ps, os.Getpid()); ok {
		t.Errorf("Snapshot without Self lists the caller %d", os.Getpid())
	}

	for _, p := range []string{c.blob, c.mapped, c.plain, c.link} {
		var st unix.Stat_t
		if err := unix.Lstat(p, &st); err != nil {
			t.Fatal(err)
		}
		if st.Atim.Sec != past[0].Sec {
			t.Errorf("%s: atime %d after Snapshot, want %d (unchanged)", p, st.Atim.Sec, past[0].Sec)
		}
	}

	if ps.Checked < len(ps.List) || ps.Checked < 2 {
		t.Errorf("Snapshot: Checked %d, with %d holders listed", ps.Checked, len(ps.List))
	}

	// Without Under every file is kept, the one outside too; a PID named
	// twice is read once, and the caller only with Self.
	all, err := Snapshot(Options{PIDs: []int{h.pid(), os.Getpid(), h.pid()}})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := fileOf(all, h.pid(), c.outside); !ok || len(all.List) != 1 {
		t.Errorf("Snapshot(PIDs: [%d, self, %[1]d]) = %+v, want that process once, holding %s", h.pid(), all.List, c.outside)
	}
	self, err := Snapshot(Options{PIDs: []int{os.Getpid()}, Self: true})
	if err != nil {
		t.Fatal(err)
	}
	if p, ok := process(self, os.Getpid()); !ok || len(p.Files) == 0 {
		t.Errorf("Snapshot(Self) = %+v, want the caller with its files (the test binary is mapped)", self.List)
	}
}

func TestSnapshotDeleted(t *testing.T) {
	c := newTestCache(t)
	h := startHelper(t, "", nil, "PROC_TEST_HELPER=hold", "PROC_TEST_OPEN="+c.plain, "PROC_TEST_MAP="+c.mapped)
	kPlain, kMapped := keyOf(t, c.plain), keyOf(t, c.mapped)
	for _, p := range []string{c.plain, c.mapped} {
		if err := os.Remove(p); err != nil {
			t.Fatal(err)
		}
	}
	ps, err := Snapshot(Options{Under: []string{c.root}, PIDs: []int{h.pid()}})
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []struct {
		path string
		key  Key
	}{{c.plain, kPlain}, {c.mapped, kMapped}} {
		f, ok := fileOf(ps, h.pid(), w.path)
		if !ok {
			t.Errorf("Snapshot: deleted %s not held by %d; list %+v", w.path, h.pid(), ps.List)
			continue
		}
		if !f.Deleted || f.Key != w.key {
			t.Errorf("%s: Deleted %v, key %+v; want true, %+v", w.path, f.Deleted, f.Key, w.key)
		}
		if hs := ps.InUse(w.key.Dev, w.key.Ino); len(hs) != 1 || hs[0].PID != h.pid() {
			t.Errorf("InUse(deleted %s) = %v, want %d", w.path, hs, h.pid())
		}
	}
}

// A file whose real name ends in " (deleted)" is not taken for an unlinked
// one.
func TestSnapshotDeletedName(t *testing.T) {
	c := newTestCache(t)
	odd := filepath.Join(filepath.Dir(c.plain), "x (deleted)")
	writeFile(t, odd, "odd")
	h := startHelper(t, "", nil, "PROC_TEST_HELPER=hold", "PROC_TEST_OPEN="+odd)
	ps, err := Snapshot(Options{Under: []string{c.root}, PIDs: []int{h.pid()}})
	if err != nil {
		t.Fatal(err)
	}
	if f, ok := fileOf(ps, h.pid(), odd); !ok || f.Deleted {
		t.Errorf("Snapshot: %q held %v, Deleted %v; want held, not deleted (list %+v)", odd, ok, f.Deleted, ps.List)
	}
}

func TestSnapshotPython(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("no python3")
	}
	c := newTestCache(t)
	const script = "import mmap,sys; f=open(sys.argv[1],'rb'); g=open(sys.argv[2],'rb'); m=mmap.mmap(g.fileno(),0,access=mmap.ACCESS_READ); g.close(); print('ready',flush=True); sys.stdin.read()"
	h := start(t, exec.Command(py, "-c", script, c.link, c.mapped))
	ps, err := Snapshot(Options{Under: []string{c.root}})
	if err != nil {
		t.Fatal(err)
	}
	wantCmd := "python3 -c " + script + " " + c.link + " " + c.mapped
	for _, path := range []string{c.blob, c.mapped} {
		k := keyOf(t, path)
		hs := ps.InUse(k.Dev, k.Ino)
		if len(hs) != 1 || hs[0].PID != h.pid() || hs[0].Command != wantCmd {
			t.Errorf("InUse(%s) = %v, want [%d (%s)]", path, hs, h.pid(), wantCmd)
		}
	}
	if p, ok := process(ps, h.pid()); !ok || !strings.HasPrefix(p.Comm, "python3") {
		t.Errorf("process %d: %+v, want comm python3", h.pid(), p)
	}
}

func TestTree(t *testing.T) {
	c := newTestCache(t)
	h := startHelper(t, "", nil, "PROC_TEST_HELPER=hold", "PROC_TEST_OPEN="+c.plain, "PROC_TEST_CHILD_OPEN="+c.blob)
	grand, err := strconv.Atoi(h.said)
	if err != nil {
		t.Fatalf("helper said %q, want the grandchild's PID", h.said)
	}
	for name, tree := range map[string]func(int) ([]int, error){
		"children": Tree,
		"parent":   func(pid int) ([]int, error) { return treeByParent(newReader(nil), pid) },
	} {
		pids, err := tree(h.pid())
		if err != nil {
			t.Fatalf("%s: Tree(%d): %v", name, h.pid(), err)
		}
		if len(pids) != 2 || pids[0] != h.pid() || pids[1] != grand {
			t.Errorf("%s: Tree(%d) = %v, want [%d %d]", name, h.pid(), pids, h.pid(), grand)
		}
		if _, err := tree(os.Getpid()); err != nil {
			t.Errorf("%s: Tree(self): %v", name, err)
		}
		ps, err := Snapshot(Options{Under: []string{c.root}, PIDs: pids})
		if err != nil {
			t.Fatal(err)
		}
		k := keyOf(t, c.blob)
		if hs := ps.InUse(k.Dev, k.Ino); len(hs) != 1 || hs[0].PID != grand {
			t.Errorf("%s: InUse(%s) over the tree = %v, want the grandchild %d", name, c.blob, hs, grand)
		}
		if hs := ps.Holding(c.plain); len(hs) != 1 || hs[0].PID != h.pid() {
			t.Errorf("%s: Holding(%s) over the tree = %v, want the child %d", name, c.plain, hs, h.pid())
		}
	}
	// The tree of the test process holds the helper and its child.
	pids, err := Tree(os.Getpid())
	if err != nil || !slices.Contains(pids, h.pid()) || !slices.Contains(pids, grand) {
		t.Errorf("Tree(self) = %v, %v; want %d and %d in it", pids, err, h.pid(), grand)
	}
	if _, err := Tree(1 << 30); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Tree(no such process) error = %v, want fs.ErrNotExist", err)
	}
}

// As another user without privileges, the root's processes cannot be read:
// they are counted in Denied, under uid 0, and the caller's own are read.
func TestSnapshotDenied(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to run a part as uid 65534")
	}
	c := newTestCache(t)
	// Both users need the cache and the test binary.
	for d := c.root; d != "/"; d = filepath.Dir(d) {
		if strings.HasPrefix(d, os.TempDir()) && len(d) > len(os.TempDir()) {
			os.Chmod(d, 0o755)
		}
	}
	filepath.WalkDir(c.root, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			os.Chmod(p, 0o755)
		}
		return nil
	})
	bin := filepath.Join(filepath.Dir(c.root), "bin", "proc.test")
	src, err := os.ReadFile(os.Args[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(bin), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, src, 0o755); err != nil {
		t.Fatal(err)
	}
	nobody := &syscall.Credential{Uid: 65534, Gid: 65534}

	rootHolder := startHelper(t, bin, nil, "PROC_TEST_HELPER=hold", "PROC_TEST_OPEN="+c.plain)
	ownHolder := startHelper(t, bin, nobody, "PROC_TEST_HELPER=hold", "PROC_TEST_OPEN="+c.blob)

	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), "PROC_TEST_HELPER=snapshot", "PROC_TEST_UNDER="+c.root)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: nobody}
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("snapshot as uid 65534: %v", err)
	}
	var r snapshotReport
	if err := json.Unmarshal(out, &r); err != nil {
		t.Fatalf("snapshot as uid 65534 printed %q: %v", out, err)
	}
	t.Logf("as uid 65534: %s", r.Summary)
	if slices.Contains(r.PIDs, rootHolder.pid()) {
		t.Errorf("as uid 65534: the root's process %d was read", rootHolder.pid())
	}
	if !slices.Contains(r.PIDs, ownHolder.pid()) || !slices.Contains(r.Files, c.blob) || slices.Contains(r.Files, c.plain) {
		t.Errorf("as uid 65534: processes %v, files %v; want %d holding %s, not %s", r.PIDs, r.Files, ownHolder.pid(), c.blob, c.plain)
	}
	i := slices.IndexFunc(r.Denied, func(d Denied) bool { return d.UID == 0 })
	if i < 0 || r.Denied[i].Processes < 1 || r.Denied[i].User != "root" {
		t.Errorf("as uid 65534: Denied = %+v, want root's processes", r.Denied)
	}
	if !strings.Contains(r.Summary, "could not be checked: root (") {
		t.Errorf("as uid 65534: Summary = %q, want root named", r.Summary)
	}
	if len(r.Errors) > 0 {
		t.Errorf("as uid 65534: Errors = %q, want none", r.Errors)
	}
}

func TestSnapshotRelative(t *testing.T) {
	if _, err := Snapshot(Options{Under: []string{"hub"}}); err == nil || !strings.Contains(err.Error(), `"hub" is not an absolute path`) {
		t.Errorf("Snapshot(Under: hub) error = %v, want a relative path refused", err)
	}
}

// The processes of the whole machine are read without errors (as root every
// one; otherwise the others are counted).
func TestSnapshotAll(t *testing.T) {
	start := time.Now()
	ps, err := Snapshot(Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d processes, %v; %s", len(ps.List), time.Since(start), ps.Summary())
	for _, e := range ps.Errors {
		t.Errorf("Snapshot: %v", e)
	}
	if len(ps.List) == 0 {
		t.Errorf("Snapshot listed no process")
	}
}

func TestParseMapsLine(t *testing.T) {
	tests := []struct {
		line string
		key  Key
		path string
		ok   bool
	}{
		{"7f2c4a000000-7f2c4b000000 r--s 00000000 fd:01 1234567                    /data/hub/blobs/ab", Key{unix.Mkdev(0xfd, 1), 1234567}, "/data/hub/blobs/ab", true},
		{"00400000-00452000 r-xp 00000000 08:02 173521      /usr/bin/dbus-daemon", Key{unix.Mkdev(8, 2), 173521}, "/usr/bin/dbus-daemon", true},
		{"7f00-7f01 r--p 00000000 103:0a 42 /a b/c d (deleted)", Key{unix.Mkdev(0x103, 0xa), 42}, "/a b/c d (deleted)", true},
		{"7f00-7f01 rw-s 00000000 00:01 2048 /memfd:x (deleted)", Key{unix.Mkdev(0, 1), 2048}, "/memfd:x (deleted)", true},
		{"7f00-7f01 r--p 00000000 fd:01 18446744073709551615 /big", Key{unix.Mkdev(0xfd, 1), 1<<64 - 1}, "/big", true},
		{"7f00-7f01 rw-p 00000000 00:00 0 ", Key{}, "", false},
		{"7f00-7f01 rw-p 00000000 00:00 0                          [heap]", Key{}, "", false},
		{"7fff-8000 r-xp 00000000 00:00 0                  [vdso]", Key{}, "", false},
		{"7f00-7f01 rw-p 00000000 00:00 0 /no-inode", Key{}, "", false},
		{"7f00-7f01 rw-p 00000000 zz:01 5 /bad-dev", Key{}, "", false},
		{"7f00-7f01 rw-p 00000000 fd:01 5x /bad-ino", Key{}, "", false},
		{"", Key{}, "", false},
	}
	for _, tt := range tests {
		k, p, ok := parseMapsLine([]byte(tt.line))
		if k != tt.key || string(p) != tt.path || ok != tt.ok {
			t.Errorf("parseMapsLine(%q) = %+v, %q, %v, want %+v, %q, %v", tt.line, k, p, ok, tt.key, tt.path, tt.ok)
		}
	}
	if got := string(unescapeMaps([]byte(`/a\012b`))); got != "/a\nb" {
		t.Errorf("unescapeMaps(%q) = %q, want %q", `/a\012b`, got, "/a\nb")
	}
}

func TestParseStat(t *testing.T) {
	tests := []struct {
		text  string
		comm  string
		ppid  int
		flags uint64
		ok    bool
	}{
		{"4711 (python3) S 1 4711 4711 0 -1 4194560 2034 0 0 0", "python3", 1, 4194560, true},
		{"12 (a) b (c)) R 7 12 12 0 -1 2097216 0", "a) b (c)", 7, 2097216, true},
		{"2 (kthreadd) S 0 0 0 0 -1 2129984 0 0", "kthreadd", 0, 2129984, true},
		{"12 (x) S 1 2", "", 0, 0, false},
		{"12 x S 1 2 3 4 5 6", "", 0, 0, false},
		{"12 (x) S p 1 1 0 -1 5", "", 0, 0, false},
	}
	for _, tt := range tests {
		comm, ppid, flags, ok := parseStat([]byte(tt.text))
		if string(comm) != tt.comm || ppid != tt.ppid || flags != tt.flags || ok != tt.ok {
			t.Errorf("parseStat(%q) = %q, %d, %d, %v, want %q, %d, %d, %v", tt.text, comm, ppid, flags, ok, tt.comm, tt.ppid, tt.flags, tt.ok)
		}
	}
}

func FuzzParseMapsLine(f *testing.F) {
	f.Add("7f2c4a000000-7f2c4b000000 r--s 00000000 fd:01 1234567   /data/hub/blobs/ab (deleted)")
	f.Add("7f00-7f01 rw-p 00000000 00:00 0 [heap]")
	f.Fuzz(func(t *testing.T, line string) {
		k, p, ok := parseMapsLine([]byte(line))
		if ok && (k.Ino == 0 || len(p) == 0 || p[0] != '/' || !strings.HasSuffix(line, string(p))) {
			t.Errorf("parseMapsLine(%q) = %+v, %q, true", line, k, p)
		}
	})
}

func FuzzParseStat(f *testing.F) {
	f.Add("4711 (py) thon) S 1 4711 4711 0 -1 4194560 2034")
	f.Fuzz(func(t *testing.T, text string) {
		comm, _, _, ok := parseStat([]byte(text))
		if ok && !strings.Contains(text, "("+string(comm)+")") {
			t.Errorf("parseStat(%q) = comm %q", text, comm)
		}
	})
}
