//go:build unix

package main

import (
	"syscall"
	"testing"
)

// mkfifo makes a FIFO at p.
func mkfifo(t testing.TB, p string) error { return syscall.Mkfifo(p, 0o644) }

// mksocket makes a socket node at p.
func mksocket(t testing.TB, p string) error { return syscall.Mknod(p, syscall.S_IFSOCK|0o644, 0) }
