package cache

import (
	"io/fs"
	"os"
	"slices"
	"strings"
	"time"
)

// Stat is what hfidx keeps of one stat(2) result.
type Stat struct {
	Mode  fs.FileMode
	Size  int64 // apparent bytes (st_size)
	Usage int64 // allocated bytes (st_blocks*512)
	Atime Timespec
	Mtime Timespec
	Ctime Timespec
	Dev   uint64
	Ino   uint64
	Nlink uint64
}

// Timespec is a file time in whole seconds and nanoseconds, kept apart so
// that Float yields the same double as Python's st_mtime.
type Timespec struct {
	Sec  int64
	Nsec int64
}

// Float returns the time as Python's os.stat_result reports it:
// float(sec) + float(nsec)*1e-9.
func (t Timespec) Float() float64 {
	return float64(t.Sec) + float64(t.Nsec)*1e-9
}

// Nanos returns the time as nanoseconds since the epoch.
func (t Timespec) Nanos() int64 { return t.Sec*1e9 + t.Nsec }

// Time returns the time as a time.Time.
func (t Timespec) Time() time.Time { return time.Unix(t.Sec, t.Nsec) }

func statOf(fi fs.FileInfo) Stat {
	s := Stat{Mode: fi.Mode(), Size: fi.Size()}
	mt := fi.ModTime()
	s.Mtime = Timespec{mt.Unix(), int64(mt.Nanosecond())}
	s.Atime, s.Ctime = s.Mtime, s.Mtime
	fillSys(&s, fi)
	return s
}

// lstat returns the Stat of path without following a final symlink.
func lstat(path string) (Stat, error) {
	fi, err := os.Lstat(path)
	if err != nil {
		return Stat{}, err
	}
	return statOf(fi), nil
}

// readDir lists dir, never through a symlink, sorted by name, with the
// folder's own stat taken from the open folder before it is listed.
func readDir(dir string) ([]fs.DirEntry, Stat, error) {
	var out []fs.DirEntry
	st, err := readDirFunc(dir, 0, func(_ Stat, des []fs.DirEntry) error {
		out = des
		return nil
	})
	sortByName(out)
	return out, st, err
}

// sortByName sorts directory entries by name.
func sortByName(des []fs.DirEntry) {
	slices.SortFunc(des, func(a, b fs.DirEntry) int { return strings.Compare(a.Name(), b.Name()) })
}
