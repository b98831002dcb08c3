//go:build !linux

package cache

import (
	"io"
	"io/fs"
	"os"
	"syscall"
)

// fillSys keeps the portable fields only: access times, inodes and
// allocated sizes are read on Linux.
func fillSys(s *Stat, fi fs.FileInfo) { s.Usage = s.Size }

// openDirFlags: other systems check the kind after opening.
const openDirFlags = 0

// statPath stats path, through a final symlink when follow is set.
func statPath(path string, follow bool) (Stat, error) {
	if follow {
		fi, err := os.Stat(path)
		if err != nil {
			return Stat{}, err
		}
		return statOf(fi), nil
	}
	return lstat(path)
}

// readDirFunc lists dir like readDir, in the order the file system gives,
// handing the folder's stat and its entries to fn in batches of at most batch (all at once when
// batch <= 0). An error of fn stops the listing and is returned.
func readDirFunc(dir string, batch int, fn func(Stat, []fs.DirEntry) error) (Stat, error) {
	f, err := os.OpenFile(dir, os.O_RDONLY|openDirFlags, 0)
	if err != nil {
		return Stat{}, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return Stat{}, err
	}
	if !fi.IsDir() {
		return Stat{}, syscall.ENOTDIR
	}
	n := batch
	if n <= 0 {
		n = -1
	}
	for {
		des, err := f.ReadDir(n)
		if len(des) > 0 {
			if ferr := fn(statOf(fi), des); ferr != nil {
				return statOf(fi), ferr
			}
		}
		if err == io.EOF || (n < 0 && err == nil) {
			return statOf(fi), nil
		}
		if err != nil {
			return statOf(fi), err
		}
	}
}

// openFileRead opens path for reading; other systems have no O_NOATIME.
func openFileRead(path string, flags int) (*os.File, error) {
	return os.OpenFile(path, flags, 0)
}

// readHead reads at most limit bytes from the start of the file at path.
func readHead(path string, limit int) ([]byte, error) {
	f, err := openFileRead(path, os.O_RDONLY)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, int64(limit)))
}

// dirHandle resolves paths from a folder.
type dirHandle struct{ path string }

func openDirHandle(path string) (*dirHandle, error) { return &dirHandle{path: path}, nil }

func (d *dirHandle) close() {}

// statAt stats rel under the folder ("" for the folder itself).
func (d *dirHandle) statAt(rel string, follow bool) (Stat, error) {
	p := d.path
	if rel != "" {
		p = d.path + string(os.PathSeparator) + rel
	}
	return statPath(p, follow)
}
