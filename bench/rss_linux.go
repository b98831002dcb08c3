package main

import (
	"os"
	"syscall"
)

// maxRSS returns the peak resident set of the finished process ps in KiB
// (getrusage's ru_maxrss, which Linux gives in KiB), or 0 if unknown.
func maxRSS(ps *os.ProcessState) int64 {
	if ru, ok := ps.SysUsage().(*syscall.Rusage); ok {
		return ru.Maxrss
	}
	return 0
}
