//go:build unix

package cache

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sort"

	"golang.org/x/sys/unix"
)

// safeDir is a folder of the cache reached from the root one name at a
// time, each opened with O_NOFOLLOW|O_DIRECTORY relative to its parent's
// descriptor. Everything the executor removes, renames or creates goes
// through one: a folder another process swaps for a symlink at any moment
// makes that one operation fail, and nothing outside the cache is ever
// reached (the bug class of CVE-2022-21658, where a path is checked and
// then removed by name).
type safeDir struct {
	fd   int
	path string // for messages only: never opened by name
}

// openSafeRoot opens the cache root. The root itself is taken as given
// (callers resolved it); only its last component may not be a link.
func openSafeRoot(root string) (*safeDir, error) {
	fd, err := retryEINTR(func() (int, error) {
		return unix.Open(root, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	})
	if err != nil {
		return nil, dirError("open", root, err)
	}
	return &safeDir{fd: fd, path: root}, nil
}

func retryEINTR(f func() (int, error)) (int, error) {
	for {
		n, err := f()
		if err != unix.EINTR {
			return n, err
		}
	}
}

func retry(f func() error) error {
	for {
		if err := f(); err != unix.EINTR {
			return err
		}
	}
}

// dirError wraps the error of opening path as a folder: a symlink or a
// file in its place becomes errNotRealDir.
func dirError(op, path string, err error) error {
	if errors.Is(err, unix.ELOOP) || errors.Is(err, unix.ENOTDIR) || errors.Is(err, unix.EMLINK) {
		err = errNotRealDir
	}
	return &fs.PathError{Op: op, Path: path, Err: err}
}

func (d *safeDir) close() { unix.Close(d.fd) }

func (d *safeDir) child(name string) string { return d.path + string(filepath.Separator) + name }

// sub opens the folder name of d, never through a link.
func (d *safeDir) sub(name string) (*safeDir, error) {
	fd, err := retryEINTR(func() (int, error) {
		return unix.Openat(d.fd, name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC|oNoatime, 0)
	})
	if err == unix.EPERM && oNoatime != 0 {
		fd, err = retryEINTR(func() (int, error) {
			return unix.Openat(d.fd, name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		})
	}
	path := d.path
	if name != "." {
		path = d.child(name)
	}
	if err != nil {
		return nil, dirError("open", path, err)
	}
	return &safeDir{fd: fd, path: path}, nil
}

// walk opens the folder names[0]/names[1]/... under d, each component
// without following a link; an empty names gives a new handle on d.
func (d *safeDir) walk(names []string) (*safeDir, error) {
	cur := d
	if len(names) == 0 {
		return d.sub(".")
	}
	for i, n := range names {
		next, err := cur.sub(n)
		if i > 0 {
			cur.close()
		}
		if err != nil {
			return nil, err
		}
		cur = next
	}
	return cur, nil
}

// entryStat is what lstat tells of an entry of a safeDir.
type entryStat struct {
	mode fs.FileMode // type bits only
	size int64
	dev  uint64
	ino  uint64
}

func (s entryStat) isDir() bool  { return s.mode.IsDir() }
func (s entryStat) isLink() bool { return s.mode&fs.ModeSymlink != 0 }

// lstat stats the entry name of d without following it.
func (d *safeDir) lstat(name string) (entryStat, error) {
	var st unix.Stat_t
	if err := retry(func() error { return unix.Fstatat(d.fd, name, &st, unix.AT_SYMLINK_NOFOLLOW) }); err != nil {
		return entryStat{}, &fs.PathError{Op: "lstat", Path: d.child(name), Err: err}
	}
	return entryStatOf(&st), nil
}

func entryStatOf(st *unix.Stat_t) entryStat {
	var m fs.FileMode
	switch uint32(st.Mode) & unix.S_IFMT {
	case unix.S_IFDIR:
		m = fs.ModeDir
	case unix.S_IFLNK:
		m = fs.ModeSymlink
	case unix.S_IFREG:
	case unix.S_IFIFO:
		m = fs.ModeNamedPipe
	case unix.S_IFSOCK:
		m = fs.ModeSocket
	default:
		m = fs.ModeDevice
	}
	return entryStat{mode: m, size: st.Size, dev: uint64(st.Dev), ino: uint64(st.Ino)}
}

// readlink returns the target of the link name of d, as written.
func (d *safeDir) readlink(name string) (string, error) {
	buf := make([]byte, 256)
	for {
		n, err := unix.Readlinkat(d.fd, name, buf)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return "", &fs.PathError{Op: "readlink", Path: d.child(name), Err: err}
		}
		if n < len(buf) {
			return string(buf[:n]), nil
		}
		buf = make([]byte, 2*len(buf))
	}
}

// unlink removes the entry name of d, which must not be a folder (a link
// is removed as a link). An entry already gone is fs.ErrNotExist.
func (d *safeDir) unlink(name string) error {
	err := retry(func() error { return unix.Unlinkat(d.fd, name, 0) })
	if err == unix.EISDIR || (err == unix.EPERM && d.isDirEntry(name)) {
		return &fs.PathError{Op: "unlink", Path: d.child(name), Err: errors.New("a directory where a file or link was planned: left alone")}
	}
	if err != nil {
		return &fs.PathError{Op: "unlink", Path: d.child(name), Err: err}
	}
	return nil
}

// isDirEntry reports whether name is a real folder now (some systems
// answer EPERM, not EISDIR, to unlinking one).
func (d *safeDir) isDirEntry(name string) bool {
	st, err := d.lstat(name)
	return err == nil && st.isDir()
}

// rmdir removes the empty folder name of d.
func (d *safeDir) rmdir(name string) error {
	if err := retry(func() error { return unix.Unlinkat(d.fd, name, unix.AT_REMOVEDIR) }); err != nil {
		return &fs.PathError{Op: "rmdir", Path: d.child(name), Err: err}
	}
	return nil
}

// rename renames the entry old of d to new in d.
func (d *safeDir) rename(old, new string) error {
	if err := retry(func() error { return unix.Renameat(d.fd, old, d.fd, new) }); err != nil {
		return &os.LinkError{Op: "rename", Old: d.child(old), New: d.child(new), Err: err}
	}
	return nil
}

// openFile opens the file name of d with flag (O_NOFOLLOW is always
// added: a link in its place fails) and perm for a new file.
func (d *safeDir) openFile(name string, flag int, perm uint32) (*os.File, error) {
	flag |= unix.O_NOFOLLOW | unix.O_CLOEXEC
	fd, err := retryEINTR(func() (int, error) { return unix.Openat(d.fd, name, flag|oNoatime, perm) })
	if err == unix.EPERM && oNoatime != 0 {
		fd, err = retryEINTR(func() (int, error) { return unix.Openat(d.fd, name, flag, perm) })
	}
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: d.child(name), Err: err}
	}
	return os.NewFile(uintptr(fd), d.child(name)), nil
}

// names lists the entries of d, sorted by name.
func (d *safeDir) names() ([]fs.DirEntry, error) {
	again, err := d.sub(".")
	if err != nil {
		return nil, err
	}
	f := os.NewFile(uintptr(again.fd), d.path)
	defer f.Close()
	des, err := f.ReadDir(-1)
	sort.Slice(des, func(i, j int) bool { return des[i].Name() < des[j].Name() })
	if err != nil {
		return des, &fs.PathError{Op: "readdir", Path: d.path, Err: err}
	}
	return des, nil
}

// removeTree removes the folder name of d and everything in it, through
// descriptors only: name must be a real folder now (a link or a file in
// its place is errNotRealDir, left alone); inside it, links are removed as
// links and sub-folders are opened the same way. Entries that vanish
// meanwhile were removed by someone else; a folder that keeps being
// refilled fails after a few tries.
func (d *safeDir) removeTree(name string) error {
	sub, err := d.sub(name)
	if err != nil {
		return err
	}
	err = sub.empty()
	sub.close()
	if err != nil {
		return err
	}
	for try := 0; ; try++ {
		err := d.rmdir(name)
		if err == nil || errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if !errors.Is(err, unix.ENOTEMPTY) && !errors.Is(err, unix.EEXIST) || try == 3 {
			return err
		}
		// Refilled since it was emptied: empty it again, if it is still
		// the same real folder.
		if sub, err = d.sub(name); err != nil {
			return err
		}
		err = sub.empty()
		sub.close()
		if err != nil {
			return err
		}
	}
}

// empty removes everything in d.
func (d *safeDir) empty() error {
	des, err := d.names()
	if err != nil {
		return err
	}
	for _, e := range des {
		if err := d.removeAny(e.Name()); err != nil {
			return err
		}
	}
	return nil
}

// removeAny removes the entry name of d whatever it is: a folder with
// everything in it (see removeTree), anything else by unlink. An entry
// already gone is not an error.
func (d *safeDir) removeAny(name string) error {
	for try := 0; ; try++ {
		err := retry(func() error { return unix.Unlinkat(d.fd, name, 0) })
		if err == nil || err == unix.ENOENT {
			return nil
		}
		if err != unix.EISDIR && (err != unix.EPERM || !d.isDirEntry(name)) {
			return &fs.PathError{Op: "unlink", Path: d.child(name), Err: err}
		}
		err = d.removeTree(name)
		if err == nil || errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		// A folder that turned into a link or a file since the unlink
		// was tried: unlink that instead (it is inside the folder being
		// removed), a few times at most.
		if !errors.Is(err, errNotRealDir) || try == 3 {
			return err
		}
	}
}
