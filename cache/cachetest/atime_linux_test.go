//go:build linux

package cachetest

import (
	"os"
	"syscall"
	"time"
)

// haveAtime reports whether atime works here.
const haveAtime = true

// atime returns the access time of fi, and false where it is not known.
func atime(fi os.FileInfo) (time.Time, bool) {
	st := fi.Sys().(*syscall.Stat_t)
	return time.Unix(st.Atim.Sec, st.Atim.Nsec), true
}
