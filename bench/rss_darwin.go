package main

import (
	"os"
	"syscall"
)

// maxRSS returns the peak resident set of the finished process ps in KiB,
// or 0 if unknown: macOS gives ru_maxrss in bytes.
func maxRSS(ps *os.ProcessState) int64 {
	if ru, ok := ps.SysUsage().(*syscall.Rusage); ok {
		return ru.Maxrss / 1024
	}
	return 0
}
