//go:build unix

package cache

import (
	"syscall"
	"testing"
)

// mkfifo makes a FIFO at p.
func mkfifo(t *testing.T, p string, mode uint32) error {
	return syscall.Mkfifo(p, mode)
}

// mknod makes a socket or device node at p.
func mknod(t *testing.T, p string, mode uint32, dev int) error {
	return syscall.Mknod(p, mode, dev)
}
