//go:build !unix

package query_test

import "testing"

// allocated skips the test: allocated sizes are read on Unix only.
func allocated(t *testing.T, p string) int64 {
	t.Helper()
	t.Skip("allocated sizes (st_blocks) are read on Unix only")
	return 0
}
