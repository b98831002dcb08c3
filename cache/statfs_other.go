//go:build !unix

package cache

import "errors"

// FreeSpace is not implemented on this system: it returns an error.
func FreeSpace(path string) (free, total int64, err error) {
	return 0, 0, errors.New("free space is known on Unix systems only")
}
