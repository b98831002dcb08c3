//go:build !unix

package cachetest

import (
	"errors"
	"os"
)

func mkfifo(p string) error {
	return &os.PathError{Op: "mkfifo", Path: p, Err: errors.New("named pipes are not supported on this system")}
}
