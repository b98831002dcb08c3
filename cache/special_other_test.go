//go:build !unix

package cache

import "testing"

// mkfifo skips the test: there are no FIFOs in the file system here.
func mkfifo(t *testing.T, p string, mode uint32) error {
	t.Skip("no FIFOs in this system's file system")
	return nil
}

// mknod skips the test: there are no device nodes or sockets to make here.
func mknod(t *testing.T, p string, mode uint32, dev int) error {
	t.Skip("no mknod on this system")
	return nil
}
