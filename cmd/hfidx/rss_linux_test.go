package main

import (
	"os"
	"syscall"
	"testing"
)

// maxRSS returns the peak resident set of the finished process ps in KiB
// (Linux gives ru_maxrss in KiB).
func maxRSS(t *testing.T, ps *os.ProcessState) int64 {
	return ps.SysUsage().(*syscall.Rusage).Maxrss
}
