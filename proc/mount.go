package proc

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"
)

// AtimeMode is how a mount updates a file's access time on a read.
type AtimeMode int

const (
	// Relatime (the Linux default since 2.6.30) updates the atime only when
	// it is not later than the file's mtime or ctime, or is more than 24
	// hours old: an atime is then good to about a day, and a file read
	// every hour still shows only one read a day.
	Relatime AtimeMode = iota
	// Strictatime updates the atime on every read, to the file system's
	// time resolution (nanoseconds on ext4, xfs, btrfs).
	Strictatime
	// Noatime never updates the atime on a read: it says when the file
	// was written or its atime set, nothing about use.
	Noatime
)

// String returns the mount option's name: "relatime", "strictatime" or
// "noatime".
func (m AtimeMode) String() string {
	switch m {
	case Strictatime:
		return "strictatime"
	case Noatime:
		return "noatime"
	default:
		return "relatime"
	}
}

// Atime is a mount's whole access-time behaviour.
type Atime struct {
	// Mode is the rule for files.
	Mode AtimeMode
	// NoDir (nodiratime) is true when folders' atimes are never updated,
	// whatever Mode says for files.
	NoDir bool
	// Lazy (lazytime, an option of the file system rather than of the
	// mount) keeps atime updates in memory and writes them to disk at most
	// 24 hours later, or on sync or when the inode leaves memory: stat
	// shows them at once, a crash loses them.
	Lazy bool
}

// String returns the options as a mount would list them: "relatime",
// "noatime,nodiratime", "strictatime,lazytime".
func (a Atime) String() string {
	s := a.Mode.String()
	if a.NoDir {
		s += ",nodiratime"
	}
	if a.Lazy {
		s += ",lazytime"
	}
	return s
}

// Mount is one line of /proc/<pid>/mountinfo (see proc_pid_mountinfo(5)).
type Mount struct {
	ID, Parent int
	// Major and Minor are the device numbers of st_dev of files on it.
	Major, Minor uint32
	// Root is the folder of the file system mounted at Point ("/" unless
	// a bind mount of a subfolder).
	Root string
	// Point is the mount point, relative to the reading process's root.
	Point string
	// Options are the per-mount options ("rw", "nosuid", "relatime").
	Options []string
	// FSType is the file system type ("ext4", "fuse.sshfs").
	FSType string
	// Source is the mounted device or "none".
	Source string
	// Super are the file system's options ("rw", "lazytime", "errors=...").
	Super []string
}

// Atime returns the mount's access-time behaviour. The kernel lists
// "noatime" or "relatime" among the mount options and nothing for
// strictatime; "nodiratime" is a mount option and "lazytime" a file system
// one.
func (m Mount) Atime() Atime {
	a := Atime{Mode: Strictatime}
	for _, o := range m.Options {
		switch o {
		case "noatime":
			a.Mode = Noatime
		case "relatime":
			if a.Mode != Noatime {
				a.Mode = Relatime
			}
		case "nodiratime":
			a.NoDir = true
		case "lazytime":
			a.Lazy = true
		}
	}
	for _, o := range m.Super {
		if o == "lazytime" {
			a.Lazy = true
		}
	}
	return a
}

// ParseMountinfo parses the text of /proc/<pid>/mountinfo, undoing the
// kernel's octal escapes (\040 for a space, \011 tab, \012 newline, \134
// backslash). It returns the mounts in the order read (a later mount on the
// same point hides an earlier one), or an error naming the first line that
// is not of the form, with the mounts parsed before it.
func ParseMountinfo(r io.Reader) ([]Mount, error) {
	var out []Mount
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := sc.Bytes()
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		m, err := parseMountLine(line)
		if err != nil {
			return out, fmt.Errorf("mountinfo line %d: %w", n, err)
		}
		out = append(out, m)
	}
	if err := sc.Err(); err != nil {
		return out, fmt.Errorf("read mountinfo: %w", err)
	}
	return out, nil
}

// parseMountLine parses one line:
//
//	36 35 98:0 /mnt1 /mnt/parent rw,noatime master:1 - ext3 /dev/root rw,errors=continue
func parseMountLine(line []byte) (Mount, error) {
	f := strings.Fields(string(line))
	sep := -1
	for i := 6; i < len(f); i++ {
		if f[i] == "-" {
			sep = i
			break
		}
	}
	if sep < 0 || len(f) < sep+3 {
		return Mount{}, fmt.Errorf("want 6 fields, optional ones, \"-\" and 3 more, got %q", line)
	}
	var m Mount
	var err error
	if m.ID, err = strconv.Atoi(f[0]); err != nil {
		return Mount{}, fmt.Errorf("mount id %q: not a number", f[0])
	}
	if m.Parent, err = strconv.Atoi(f[1]); err != nil {
		return Mount{}, fmt.Errorf("parent id %q: not a number", f[1])
	}
	maj, min, ok := strings.Cut(f[2], ":")
	ma, err1 := strconv.ParseUint(maj, 10, 32)
	mi, err2 := strconv.ParseUint(min, 10, 32)
	if !ok || err1 != nil || err2 != nil {
		return Mount{}, fmt.Errorf("device %q: want major:minor", f[2])
	}
	m.Major, m.Minor = uint32(ma), uint32(mi)
	m.Root = unescape(f[3])
	m.Point = unescape(f[4])
	m.Options = strings.Split(f[5], ",")
	m.FSType = unescape(f[sep+1])
	m.Source = unescape(f[sep+2])
	if len(f) > sep+3 {
		m.Super = strings.Split(unescape(strings.Join(f[sep+3:], " ")), ",")
	}
	return m, nil
}

// unescape undoes the kernel's mangle(): a backslash and three octal digits
// stand for that byte. Anything else is kept as it is.
func unescape(s string) string {
	i := strings.IndexByte(s, '\\')
	if i < 0 {
		return s
	}
	b := make([]byte, 0, len(s))
	for ; i >= 0; i = strings.IndexByte(s, '\\') {
		b = append(b, s[:i]...)
		s = s[i:]
		if len(s) >= 4 && isOctal(s[1]) && isOctal(s[2]) && isOctal(s[3]) && s[1] <= '3' {
			b = append(b, (s[1]-'0')<<6|(s[2]-'0')<<3|(s[3]-'0'))
			s = s[4:]
		} else {
			b = append(b, '\\')
			s = s[1:]
		}
	}
	return string(append(b, s...))
}

func isOctal(c byte) bool { return '0' <= c && c <= '7' }

// Containing returns the mount that holds path: the one whose mount point is
// the longest prefix of path (cleaned, absolute, and resolved by the caller:
// a symlink is not followed here), the last one listed when several share
// that point. It returns false when path is relative or no mount holds it.
func Containing(mounts []Mount, path string) (Mount, bool) {
	if !strings.HasPrefix(path, "/") {
		return Mount{}, false
	}
	path = filepath.Clean(path)
	best, found := -1, false
	for i, m := range mounts {
		p := m.Point
		if !underAny([]byte(path), []string{p}) {
			continue
		}
		if !found || len(p) >= len(mounts[best].Point) {
			best, found = i, true
		}
	}
	if !found {
		return Mount{}, false
	}
	return mounts[best], true
}
