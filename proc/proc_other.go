//go:build !linux

package proc

import "fmt"

// errOther is returned by every function that reads processes or mounts.
var errOther = fmt.Errorf("reading open files of processes and mount options is supported on Linux only: %w", ErrUnsupported)

// Snapshot would read every process's open and mapped files; on this system
// it returns an error wrapping ErrUnsupported.
func Snapshot(opts Options) (*Processes, error) {
	return nil, errOther
}

// Tree would return pid and its descendants; on this system it returns an
// error wrapping ErrUnsupported.
func Tree(pid int) ([]int, error) {
	return nil, errOther
}

// Mounts would return the mount table; on this system it returns an error
// wrapping ErrUnsupported.
func Mounts() ([]Mount, error) {
	return nil, errOther
}

// MountOf would return the mount that holds path; on this system it returns
// an error wrapping ErrUnsupported.
func MountOf(path string) (Mount, error) {
	return Mount{}, errOther
}
