package cache

import (
	"os"

	"golang.org/x/sys/unix"
)

// Reading the cache must not change the access times users decide by:
// getdents(2) and read(2) set a folder's or a file's atime (always under
// strictatime, once a day or when older than the mtime under relatime)
// unless it was opened with O_NOATIME. The kernel allows that flag only to
// the file's owner or with CAP_FOWNER and answers EPERM otherwise; the
// open is then made again without it, and such a read does record an
// access, as any other reader's would. O_NOATIME cannot help symlinks:
// readlink(2) and every path lookup through a link set the link's own
// atime whatever the flags.

// openRead opens path for reading with flags plus O_NOATIME and
// O_CLOEXEC, retrying without O_NOATIME when the kernel refuses it. It
// returns the descriptor, or the error of the last open(2).
func openRead(path string, flags int) (int, error) {
	noatime := unix.O_NOATIME
	for {
		fd, err := unix.Open(path, flags|noatime|unix.O_CLOEXEC, 0)
		switch {
		case err == nil:
			return fd, nil
		case err == unix.EINTR:
		case err == unix.EPERM && noatime != 0:
			noatime = 0
		default:
			return -1, err
		}
	}
}

// openatRead is openRead for name relative to the folder dirfd.
func openatRead(dirfd int, name string, flags int) (int, error) {
	noatime := unix.O_NOATIME
	for {
		fd, err := unix.Openat(dirfd, name, flags|noatime|unix.O_CLOEXEC, 0)
		switch {
		case err == nil:
			return fd, nil
		case err == unix.EINTR:
		case err == unix.EPERM && noatime != 0:
			noatime = 0
		default:
			return -1, err
		}
	}
}

// openFileRead opens path for reading like openRead, as an *os.File;
// the error is an *fs.PathError.
func openFileRead(path string, flags int) (*os.File, error) {
	fd, err := openRead(path, flags)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	return os.NewFile(uintptr(fd), path), nil
}
