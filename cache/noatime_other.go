//go:build unix && !linux

package cache

import "golang.org/x/sys/unix"

// openRead opens path for reading with flags plus O_CLOEXEC: O_NOATIME is
// Linux's alone. It returns the descriptor, or the error of open(2).
func openRead(path string, flags int) (int, error) {
	for {
		fd, err := unix.Open(path, flags|unix.O_CLOEXEC, 0)
		if err != unix.EINTR {
			return fd, err
		}
	}
}

// openatRead is openRead for name relative to the folder dirfd.
func openatRead(dirfd int, name string, flags int) (int, error) {
	for {
		fd, err := unix.Openat(dirfd, name, flags|unix.O_CLOEXEC, 0)
		if err != unix.EINTR {
			return fd, err
		}
	}
}
