//go:build unix

package flock

import (
	"os"

	"golang.org/x/sys/unix"
)

// Lock takes an exclusive lock on f, waiting for another process to
// release it when wait is set. Without wait it returns ErrHeld when another
// process holds the lock, and flock(2)'s error otherwise.
func Lock(f *os.File, wait bool) error {
	how := unix.LOCK_EX
	if !wait {
		how |= unix.LOCK_NB
	}
	for {
		err := unix.Flock(int(f.Fd()), how)
		if err != unix.EINTR {
			return err
		}
	}
}

// Unlock releases the lock Lock took on f; closing f releases it too. It
// returns flock(2)'s error.
func Unlock(f *os.File) error {
	return unix.Flock(int(f.Fd()), unix.LOCK_UN)
}
