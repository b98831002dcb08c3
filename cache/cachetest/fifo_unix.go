//go:build unix

package cachetest

import (
	"os"
	"syscall"
)

func mkfifo(p string) error {
	if err := syscall.Mkfifo(p, 0o644); err != nil {
		return &os.PathError{Op: "mkfifo", Path: p, Err: err}
	}
	return nil
}
