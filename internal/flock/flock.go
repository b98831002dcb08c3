// Package flock takes and releases exclusive advisory locks on open files,
// the kind huggingface_hub's filelock takes on its `.lock` files: flock(2)
// on Unix, LockFileEx on the file's first byte on Windows (where filelock
// locks that byte with msvcrt.locking).
//
// It locks a file the caller already opened, so a file reached through a
// directory descriptor without following links is locked as it was
// opened, never opened again by path.
package flock

import "syscall"

// ErrHeld is the error Lock returns, without waiting, for a lock another
// process holds. It is syscall.EWOULDBLOCK on every platform, so callers
// may test for either.
var ErrHeld error = syscall.EWOULDBLOCK
