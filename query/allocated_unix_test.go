//go:build unix

package query_test

import (
	"syscall"
	"testing"
)

// allocated returns the bytes the file at p has on disk (st_blocks*512).
func allocated(t *testing.T, p string) int64 {
	t.Helper()
	var st syscall.Stat_t
	if err := syscall.Stat(p, &st); err != nil {
		t.Fatal(err)
	}
	return st.Blocks * 512
}
