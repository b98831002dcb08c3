package cache

import (
	"io"
	"io/fs"
	"os"
	"path/filepath"
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

// readFile is os.ReadFile through openFileRead (symlinks followed), so
// that reading leaves the file's access time as it was where the kernel
// allows.
func readFile(path string) ([]byte, error) {
	f, err := openFileRead(path, os.O_RDONLY)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(f)
}

// listDir is os.ReadDir through openFileRead: symlinks followed, entries
// sorted by name. Inside the cache, where links are never followed, use
// readDir.
func listDir(dir string) ([]fs.DirEntry, error) {
	f, err := openFileRead(dir, os.O_RDONLY)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	des, err := f.ReadDir(-1)
	sortByName(des)
	return des, err
}

// walkDir is filepath.WalkDir listing each folder with readDir: never
// through a symlink (root included), and leaving access times as they
// were where the kernel allows.
func walkDir(root string, fn fs.WalkDirFunc) error {
	info, err := os.Lstat(root)
	if err != nil {
		err = fn(root, nil, err)
	} else {
		err = walkDirFrom(root, fs.FileInfoToDirEntry(info), fn)
	}
	if err == filepath.SkipDir || err == filepath.SkipAll {
		return nil
	}
	return err
}

func walkDirFrom(path string, d fs.DirEntry, fn fs.WalkDirFunc) error {
	if err := fn(path, d, nil); err != nil || !d.IsDir() {
		if err == filepath.SkipDir && d.IsDir() {
			err = nil
		}
		return err
	}
	des, _, err := readDir(path)
	if err != nil {
		if err = fn(path, d, err); err != nil {
			if err == filepath.SkipDir {
				err = nil
			}
			return err
		}
	}
	for _, e := range des {
		if err := walkDirFrom(filepath.Join(path, e.Name()), e, fn); err != nil {
			if err == filepath.SkipDir {
				break
			}
			return err
		}
	}
	return nil
}
