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
