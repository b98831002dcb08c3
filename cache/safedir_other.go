//go:build !unix

package cache

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
)

// safeDir is a folder of the cache reached from the root one name at a
// time. Systems without openat get this fallback: each name is checked
// with Lstat before it is used, which a concurrent writer can race; on
// Unix every operation goes through descriptors instead.
type safeDir struct {
	path string
}

func openSafeRoot(root string) (*safeDir, error) {
	fi, err := os.Lstat(root)
	if err != nil {
		return nil, err
	}
	if !fi.IsDir() {
		return nil, &fs.PathError{Op: "open", Path: root, Err: errNotRealDir}
	}
	return &safeDir{path: root}, nil
}

func (d *safeDir) close() {}

func (d *safeDir) child(name string) string { return filepath.Join(d.path, name) }

func (d *safeDir) sub(name string) (*safeDir, error) {
	if name == "." {
		return &safeDir{path: d.path}, nil
	}
	fi, err := os.Lstat(d.child(name))
	if err != nil {
		return nil, err
	}
	if !fi.IsDir() {
		return nil, &fs.PathError{Op: "open", Path: d.child(name), Err: errNotRealDir}
	}
	return &safeDir{path: d.child(name)}, nil
}

func (d *safeDir) walk(names []string) (*safeDir, error) {
	cur := d
	for _, n := range names {
		next, err := cur.sub(n)
		if err != nil {
			return nil, err
		}
		cur = next
	}
	return &safeDir{path: cur.path}, nil
}

type entryStat struct {
	mode     fs.FileMode
	size     int64
	dev, ino uint64 // unknown here: 0
}

func (s entryStat) isDir() bool  { return s.mode.IsDir() }
func (s entryStat) isLink() bool { return s.mode&fs.ModeSymlink != 0 }

func (d *safeDir) lstat(name string) (entryStat, error) {
	fi, err := os.Lstat(d.child(name))
	if err != nil {
		return entryStat{}, err
	}
	return entryStat{mode: fi.Mode().Type(), size: fi.Size()}, nil
}

func (d *safeDir) readlink(name string) (string, error) { return os.Readlink(d.child(name)) }

func (d *safeDir) unlink(name string) error {
	if st, err := d.lstat(name); err == nil && st.isDir() {
		return &fs.PathError{Op: "unlink", Path: d.child(name), Err: errors.New("a directory where a file or link was planned: left alone")}
	}
	return os.Remove(d.child(name))
}

func (d *safeDir) rmdir(name string) error { return os.Remove(d.child(name)) }

func (d *safeDir) rename(old, new string) error { return os.Rename(d.child(old), d.child(new)) }

func (d *safeDir) openFile(name string, flag int, perm uint32) (*os.File, error) {
	if st, err := d.lstat(name); err == nil && st.isLink() {
		return nil, &fs.PathError{Op: "open", Path: d.child(name), Err: errNotRealDir}
	}
	return os.OpenFile(d.child(name), flag, fs.FileMode(perm))
}

func (d *safeDir) names() ([]fs.DirEntry, error) {
	des, err := os.ReadDir(d.path)
	sort.Slice(des, func(i, j int) bool { return des[i].Name() < des[j].Name() })
	return des, err
}

func (d *safeDir) removeTree(name string) error {
	if _, err := d.sub(name); err != nil {
		return err
	}
	return os.RemoveAll(d.child(name))
}

func (d *safeDir) removeAny(name string) error { return os.RemoveAll(d.child(name)) }
