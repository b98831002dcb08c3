//go:build !unix

package main

import "testing"

// mkfifo skips the test: there are no FIFOs in the file system here.
func mkfifo(t testing.TB, p string) error {
	t.Skip("no FIFOs in this system's file system")
	return nil
}

// mksocket skips the test: there are no socket nodes to make here.
func mksocket(t testing.TB, p string) error {
	t.Skip("no mknod on this system")
	return nil
}
