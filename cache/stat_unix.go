//go:build linux

package cache

import (
	"io/fs"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// fillSys completes what os.Stat gives with the raw stat(2) fields; the
// mode and size stay as the os package reported them.
func fillSys(s *Stat, fi fs.FileInfo) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return
	}
	raw := statOfSys(st)
	raw.Mode, raw.Size = s.Mode, s.Size
	*s = raw
}

// openDirFlags make opening a folder fail on a symlink or a non-folder.
const openDirFlags = syscall.O_DIRECTORY | syscall.O_NOFOLLOW | syscall.O_CLOEXEC

// statPath stats path (through a final symlink when follow is set)
// without the allocations of os.Stat: incremental syncs call it for every
// folder and blob of the cache.
func statPath(path string, follow bool) (Stat, error) {
	var st syscall.Stat_t
	var err error
	for {
		if follow {
			err = syscall.Stat(path, &st)
		} else {
			err = syscall.Lstat(path, &st)
		}
		if err != syscall.EINTR {
			break
		}
	}
	if err != nil {
		return Stat{}, &fs.PathError{Op: "stat", Path: path, Err: err}
	}
	return statOfSys(&st), nil
}

// statOfSys converts a raw stat(2) result.
func statOfSys(st *syscall.Stat_t) Stat {
	s := Stat{Size: st.Size, Usage: st.Blocks * 512, Dev: uint64(st.Dev), Ino: st.Ino, Nlink: uint64(st.Nlink),
		Atime: Timespec{st.Atim.Sec, st.Atim.Nsec}, Mtime: Timespec{st.Mtim.Sec, st.Mtim.Nsec},
		Ctime: Timespec{st.Ctim.Sec, st.Ctim.Nsec}}
	s.Mode = fs.FileMode(st.Mode & 0o777)
	if st.Mode&syscall.S_ISUID != 0 {
		s.Mode |= fs.ModeSetuid
	}
	if st.Mode&syscall.S_ISGID != 0 {
		s.Mode |= fs.ModeSetgid
	}
	if st.Mode&syscall.S_ISVTX != 0 {
		s.Mode |= fs.ModeSticky
	}
	switch st.Mode & syscall.S_IFMT {
	case syscall.S_IFDIR:
		s.Mode |= fs.ModeDir
	case syscall.S_IFLNK:
		s.Mode |= fs.ModeSymlink
	case syscall.S_IFIFO:
		s.Mode |= fs.ModeNamedPipe
	case syscall.S_IFSOCK:
		s.Mode |= fs.ModeSocket
	case syscall.S_IFBLK:
		s.Mode |= fs.ModeDevice
	case syscall.S_IFCHR:
		s.Mode |= fs.ModeDevice | fs.ModeCharDevice
	}
	return s
}

// lstatInfo is os.Lstat, for DirEntry.Info.
func lstatInfo(path string) (fs.FileInfo, error) { return os.Lstat(path) }

// readHead reads at most limit bytes from the start of the file at path
// (through symlinks), with plain system calls and O_NOATIME (openRead): a
// sync reads every ref file.
func readHead(path string, limit int) ([]byte, error) {
	// O_NONBLOCK: a ref that is (or links to) a FIFO must not block the
	// scan; it reads as empty.
	fd, err := openRead(path, syscall.O_RDONLY|syscall.O_NONBLOCK)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: path, Err: err}
	}
	defer syscall.Close(fd)
	buf := make([]byte, limit)
	n := 0
	for n < limit {
		m, err := syscall.Read(fd, buf[n:])
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return nil, &fs.PathError{Op: "read", Path: path, Err: err}
		}
		if m <= 0 {
			break
		}
		n += m
	}
	return buf[:n], nil
}

// dirHandle is an open folder that stats resolve relative paths from: a
// path walk of two components instead of the whole cache path.
type dirHandle struct {
	fd   int
	path string
}

// openDirHandle opens path (a folder, never through a symlink) for
// statAt.
func openDirHandle(path string) (*dirHandle, error) {
	fd, err := syscall.Open(path, syscall.O_RDONLY|syscall.O_CLOEXEC|syscall.O_DIRECTORY|syscall.O_NOFOLLOW|oPath, 0)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: path, Err: err}
	}
	return &dirHandle{fd: fd, path: path}, nil
}

// oPath opens a folder only to resolve paths from it.
const oPath = unix.O_PATH

func (d *dirHandle) close() { syscall.Close(d.fd) }

// statAt stats rel under the folder ("" for the folder itself), through a
// final symlink when follow is set.
func (d *dirHandle) statAt(rel string, follow bool) (Stat, error) {
	var st unix.Stat_t
	var err error
	flags := 0
	if !follow {
		flags = unix.AT_SYMLINK_NOFOLLOW
	}
	if rel == "" {
		flags |= unix.AT_EMPTY_PATH
	}
	for {
		err = unix.Fstatat(d.fd, rel, &st, flags)
		if err != syscall.EINTR {
			break
		}
	}
	if err != nil {
		return Stat{}, &fs.PathError{Op: "stat", Path: d.path + "/" + rel, Err: err}
	}
	return statOfSys(&syscall.Stat_t{Dev: st.Dev, Ino: st.Ino, Nlink: st.Nlink, Mode: st.Mode, Size: st.Size,
		Blocks: st.Blocks, Atim: syscall.Timespec(st.Atim), Mtim: syscall.Timespec(st.Mtim), Ctim: syscall.Timespec(st.Ctim)}), nil
}
