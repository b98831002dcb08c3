//go:build unix

package cache

import "golang.org/x/sys/unix"

// FreeSpace returns the bytes available to an unprivileged user on the
// file system holding path, and its size, as df shows them. It returns
// the error of statfs.
func FreeSpace(path string) (free, total int64, err error) {
	var st unix.Statfs_t
	if err := unix.Statfs(path, &st); err != nil {
		return 0, 0, err
	}
	return int64(st.Bavail) * int64(st.Bsize), int64(st.Blocks) * int64(st.Bsize), nil
}
