//go:build linux

package proc

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// The live table holds the temp folder: its mount point is a prefix of the
// folder, its device the folder's, and its atime mode the one its options
// name.
func TestMountOfLive(t *testing.T) {
	dir, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	mounts, err := Mounts()
	if err != nil {
		t.Fatal(err)
	}
	if len(mounts) == 0 {
		t.Fatal("Mounts() = none")
	}
	m, err := MountOf(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !underAny([]byte(dir), []string{m.Point}) {
		t.Errorf("MountOf(%q) = %q, not a prefix", dir, m.Point)
	}
	if c, ok := Containing(mounts, dir); !ok || c.ID != m.ID {
		t.Errorf("Containing(%q) = %q (id %d), MountOf = %q (id %d); want the same", dir, c.Point, c.ID, m.Point, m.ID)
	}
	var st syscall.Stat_t
	if err := syscall.Stat(dir, &st); err != nil {
		t.Fatal(err)
	}
	if uint64(st.Dev) != unix.Mkdev(m.Major, m.Minor) && m.FSType != "btrfs" && m.FSType != "overlay" {
		t.Errorf("MountOf(%q): device %d:%d, the folder's %d:%d", dir, m.Major, m.Minor, unix.Major(uint64(st.Dev)), unix.Minor(uint64(st.Dev)))
	}
	opts := "," + strings.Join(m.Options, ",") + ","
	want := "strictatime"
	switch {
	case strings.Contains(opts, ",noatime,"):
		want = "noatime"
	case strings.Contains(opts, ",relatime,"):
		want = "relatime"
	}
	if got := m.Atime().Mode.String(); got != want {
		t.Errorf("MountOf(%q).Atime() = %s, options %q", dir, got, m.Options)
	}
	t.Logf("%s is on %s (%s, %s): %s", dir, m.Point, m.FSType, m.Source, m.Atime())

	// A path through a link is the link's target's mount.
	link := filepath.Join(dir, "proc-link")
	if err := os.Symlink("/proc/self", link); err != nil {
		t.Fatal(err)
	}
	if m, err := MountOf(link); err != nil || m.FSType != "proc" {
		t.Errorf("MountOf(link to /proc/self) = %+v, %v, want the proc mount", m, err)
	}
	if _, err := MountOf(filepath.Join(dir, "missing")); err == nil {
		t.Errorf("MountOf(missing) error = nil, want the statx error")
	}
}
