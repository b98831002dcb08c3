//go:build !linux && !darwin

package main

import (
	"os"
	"testing"
)

// maxRSS skips the test: the peak resident set of a child is read on
// Linux and macOS only.
func maxRSS(t *testing.T, ps *os.ProcessState) int64 {
	t.Skip("the peak RSS of a child process is read on Linux and macOS only")
	return 0
}
