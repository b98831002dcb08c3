//go:build windows

package flock

import (
	"os"

	"golang.org/x/sys/windows"
)

// Lock takes an exclusive lock on f, waiting for another process to
// release it when wait is set. Without wait it returns ErrHeld when another
// process holds the lock, and LockFileEx's error otherwise.
func Lock(f *os.File, wait bool) error {
	flags := uint32(windows.LOCKFILE_EXCLUSIVE_LOCK)
	if !wait {
		flags |= windows.LOCKFILE_FAIL_IMMEDIATELY
	}
	err := windows.LockFileEx(windows.Handle(f.Fd()), flags, 0, 1, 0, new(windows.Overlapped))
	if err == windows.ERROR_LOCK_VIOLATION {
		return ErrHeld
	}
	return err
}

// Unlock releases the lock Lock took on f; closing f releases it too. It
// returns UnlockFileEx's error.
func Unlock(f *os.File) error {
	return windows.UnlockFileEx(windows.Handle(f.Fd()), 0, 1, 0, new(windows.Overlapped))
}
