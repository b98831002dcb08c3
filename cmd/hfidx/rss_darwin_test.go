package main

import (
	"os"
	"syscall"
	"testing"
)

// maxRSS returns the peak resident set of the finished process ps in KiB
// (macOS gives ru_maxrss in bytes).
func maxRSS(t *testing.T, ps *os.ProcessState) int64 {
	return ps.SysUsage().(*syscall.Rusage).Maxrss / 1024
}
