//go:build linux

package cache

import (
	"io/fs"
	"syscall"
)

func fillSys(s *Stat, fi fs.FileInfo) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return
	}
	s.Atime = Timespec{st.Atim.Sec, st.Atim.Nsec}
	s.Mtime = Timespec{st.Mtim.Sec, st.Mtim.Nsec}
	s.Ctime = Timespec{st.Ctim.Sec, st.Ctim.Nsec}
	s.Dev = uint64(st.Dev)
	s.Ino = st.Ino
	s.Nlink = uint64(st.Nlink)
	s.Usage = st.Blocks * 512
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
	s := Stat{Size: st.Size, Usage: st.Blocks * 512, Dev: uint64(st.Dev), Ino: st.Ino, Nlink: uint64(st.Nlink),
		Atime: Timespec{st.Atim.Sec, st.Atim.Nsec}, Mtime: Timespec{st.Mtim.Sec, st.Mtim.Nsec},
		Ctime: Timespec{st.Ctim.Sec, st.Ctim.Nsec}}
	s.Mode = fs.FileMode(st.Mode & 0o777)
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
	return s, nil
}
