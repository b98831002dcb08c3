//go:build linux

package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/hfidx/hfidx/cache/cachetest"
)

// timesSpec has an entry of every kind a reading command opens: refs,
// revisions with nested files and copies, .no_exist markers, tree
// listings, the shared store and its manifests, an orphan, an interrupted
// download, a detached revision, the root's lock files (and those of a repo
// no longer cached) and a stray file.
const timesSpec = `
root-entries
store
payload "unreferenced payload" time=1500000000
repo model org/a time=1500000000
  rev 1111111111111111111111111111111111111111 time=1500000000
    file config.json "{\"a\": 1}" time=1500000000
    file model.bin "0123456789abcdef" lfs time=1500000000
    file sub/tok.json "tokens" time=1500000000
  rev 2222222222222222222222222222222222222222 time=1500000000
    file config.json "{\"a\": 0}" time=1500000000
  ref main 1111111111111111111111111111111111111111
  ref refs/pr/1 2222222222222222222222222222222222222222
  noexist 1111111111111111111111111111111111111111 missing.json
  tree 1111111111111111111111111111111111111111
  orphan "lost bytes" time=1500000000
  incomplete 0123456789abcdef0123456789abcdef01234567 size=10 time=1500000000
repo space org/s
  rev 3333333333333333333333333333333333333333
    copy app.py "print(1)\n"
  ref main 3333333333333333333333333333333333333333
  tree 3333333333333333333333333333333333333333
repo model org/shared-a
  rev 4444444444444444444444444444444444444444
    shared big.bin "shared payload bytes"
  ref main 4444444444444444444444444444444444444444
repo dataset org/shared-b
  rev 5555555555555555555555555555555555555555
    shared big.bin "shared payload bytes"
  rev 6666666666666666666666666666666666666666
    file old.txt "detached"
  ref main 5555555555555555555555555555555555555555
extra file stray.txt "x" time=1500000000
extra dir .locks/models--gone--x time=1500000000
extra file .locks/models--gone--x/0123.lock "" time=1500000000
`

// oldAtime is the access time every entry is given before a command runs:
// years ago, so that relatime records any read, as strictatime always does.
var oldAtime = unix.Timespec{Sec: 1000000000}

// entryTimes is what lstat reports of one entry.
type entryTimes struct {
	link                bool
	atime, mtime, ctime int64
}

// TestReadsKeepTimes runs every reading command through the CLI on a
// cache and checks after each that no entry of the cache (the root
// included) gained, lost, or changed an access, modification or change
// time. The only time the kernel moves whatever the opener asks is a
// symlink's own access time, set by readlink(2) and by every path lookup
// through the link; those are logged, never failed on.
func TestReadsKeepTimes(t *testing.T) {
	base := t.TempDir()
	top := filepath.Join(base, "top")
	if err := os.Mkdir(top, 0o755); err != nil {
		t.Fatal(err)
	}
	// A strictatime mount records every read; elsewhere (relatime) the old
	// access times make any read visible.
	if err := syscall.Mount("hfidx-times", top, "tmpfs", syscall.MS_NOSUID|syscall.MS_NODEV|syscall.MS_STRICTATIME, "size=64m,mode=755"); err != nil {
		t.Logf("no strictatime tmpfs (mount: %v): using old access times on the temp dir's mount", err)
	} else {
		t.Cleanup(func() { syscall.Unmount(top, syscall.MNT_DETACH) })
	}
	hub := filepath.Join(top, "hub")
	assets := filepath.Join(top, "assets")
	spec, err := cachetest.Parse(timesSpec)
	if err != nil {
		t.Fatal(err)
	}
	cachetest.Build(t, hub, spec)
	for _, f := range []string{"datasets/SQuAD/download/a.json", "datasets/SQuAD/extracted/b/c.txt", "lib/default/default/x"} {
		p := filepath.Join(assets, filepath.FromSlash(f))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("asset "+f), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// The index and everything else the commands write live outside top.
	db := filepath.Join(base, "index", "hfidx.db")
	t.Setenv("HOME", filepath.Join(base, "home"))
	t.Setenv("XDG_CACHE_HOME", filepath.Join(base, "xdg"))
	t.Setenv("HF_HUB_CACHE", hub)
	t.Setenv("HF_ASSETS_CACHE", assets)

	cmds := []struct {
		args []string
		code int
	}{
		{[]string{"sync"}, 0},
		{[]string{"sync"}, 0},
		{[]string{"sync", "--rebuild"}, 0},
		{[]string{"scan"}, 0},
		{[]string{"scan", "-v", "--format", "json"}, 0},
		{[]string{"ls"}, 0},
		{[]string{"ls", "--revisions"}, 0},
		{[]string{"query", "largest-repos"}, 0},
		{[]string{"verify", "--all"}, -1},
		{[]string{"verify", "--all", "--rehash"}, -1},
		{[]string{"lookup", "org/a", "config.json"}, 0},
		{[]string{"lookup", "org/a", "missing.json"}, 6},
		{[]string{"lookup", "org/a", "sub/tok.json", "--revision", "refs/pr/1"}, 5},
		{[]string{"delete", "--dry-run", "model/org/a"}, 0},
		{[]string{"prune", "--dry-run"}, 0},
		{[]string{"assets", "ls"}, 0},
		{[]string{"info"}, 0},
	}
	before := resetTimes(t, top)
	for _, c := range cmds {
		name := strings.Join(c.args, " ")
		var out, errOut bytes.Buffer
		args := append([]string{"--cache-dir", hub, "--db", db, "--no-progress"}, c.args...)
		code := run(args, strings.NewReader(""), &out, &errOut)
		if c.code >= 0 && code != c.code {
			t.Errorf("hfidx %s: exit %d, want %d; stderr:\n%s", name, code, c.code, errOut.String())
		}
		after := walkTimes(t, top)
		bad, links := diffTimes(before, after)
		if len(links) > 0 {
			t.Logf("hfidx %s: the access time of %d symlinks moved (readlink(2) sets it, whatever the flags): %s",
				name, len(links), strings.Join(links, ", "))
		}
		if len(bad) > 0 {
			t.Errorf("hfidx %s changed %d entries:\n\t%s", name, len(bad), strings.Join(bad, "\n\t"))
		}
		if len(bad)+len(links) > 0 {
			before = resetTimes(t, top)
		}
	}
}

// resetTimes sets every entry's access time under root to oldAtime
// (modification times kept) and returns the times that then hold.
func resetTimes(t *testing.T, root string) map[string]entryTimes {
	t.Helper()
	for p := range walkTimes(t, root) {
		ts := []unix.Timespec{oldAtime, {Nsec: unix.UTIME_OMIT}}
		if err := unix.UtimesNanoAt(unix.AT_FDCWD, filepath.Join(root, p), ts, unix.AT_SYMLINK_NOFOLLOW); err != nil {
			t.Fatal(err)
		}
	}
	return walkTimes(t, root)
}

// walkTimes returns the lstat times of root and of every entry under it,
// by path relative to root. It lists folders with O_NOATIME itself, so as
// not to move what it measures.
func walkTimes(t *testing.T, root string) map[string]entryTimes {
	t.Helper()
	out := map[string]entryTimes{}
	var walk func(rel string)
	walk = func(rel string) {
		p := filepath.Join(root, rel)
		var st unix.Stat_t
		if err := unix.Lstat(p, &st); err != nil {
			t.Fatal(err)
		}
		out[rel] = entryTimes{link: st.Mode&unix.S_IFMT == unix.S_IFLNK,
			atime: st.Atim.Nano(), mtime: st.Mtim.Nano(), ctime: st.Ctim.Nano()}
		if st.Mode&unix.S_IFMT != unix.S_IFDIR {
			return
		}
		fd, err := unix.Open(p, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC|unix.O_NOATIME, 0)
		if err != nil {
			t.Fatalf("open %s: %v", p, err)
		}
		f := os.NewFile(uintptr(fd), p)
		names, err := f.Readdirnames(-1)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range names {
			walk(filepath.Join(rel, n))
		}
	}
	walk(".")
	return out
}

// diffTimes describes the entries whose times differ between a and b:
// bad are the failures, links the symlinks whose access time alone moved.
func diffTimes(a, b map[string]entryTimes) (bad, links []string) {
	for p, x := range a {
		y, ok := b[p]
		if !ok {
			bad = append(bad, p+": removed")
			continue
		}
		var moved []string
		for _, f := range []struct {
			name string
			x, y int64
		}{{"atime", x.atime, y.atime}, {"mtime", x.mtime, y.mtime}, {"ctime", x.ctime, y.ctime}} {
			if f.x != f.y {
				moved = append(moved, fmt.Sprintf("%s %+.3fs", f.name, float64(f.y-f.x)/1e9))
			}
		}
		switch {
		case len(moved) == 0:
		case x.link && len(moved) == 1 && x.atime != y.atime:
			links = append(links, p)
		default:
			kind := ""
			if x.link {
				kind = " (symlink)"
			}
			bad = append(bad, p+kind+": "+strings.Join(moved, ", "))
		}
	}
	for p := range b {
		if _, ok := a[p]; !ok {
			bad = append(bad, p+": created")
		}
	}
	sort.Strings(bad)
	sort.Strings(links)
	return bad, links
}
