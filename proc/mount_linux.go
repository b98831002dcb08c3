//go:build linux

package proc

import (
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// Mounts returns the mounts of the calling process's mount namespace, from
// /proc/self/mountinfo, or the error of reading or parsing it.
func Mounts() ([]Mount, error) {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return nil, fmt.Errorf("read mounts: %w", err)
	}
	defer f.Close()
	m, err := ParseMountinfo(f)
	if err != nil {
		return nil, fmt.Errorf("read mounts: %w", err)
	}
	return m, nil
}

// MountOf returns the mount that holds path. It asks the kernel which mount
// the file is on (statx STATX_MNT_ID, Linux 5.8 and later, following
// symlinks) and, where the kernel cannot say, takes the mount point that is
// the longest prefix of the absolute path (see Containing). It returns the
// error of reading the mounts or of statx, or one saying that no mount
// holds path.
func MountOf(path string) (Mount, error) {
	mounts, err := Mounts()
	if err != nil {
		return Mount{}, err
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return Mount{}, fmt.Errorf("mount of %s: %w", path, err)
	}
	var sx unix.Statx_t
	if err := unix.Statx(unix.AT_FDCWD, abs, 0, unix.STATX_MNT_ID, &sx); err != nil && err != unix.ENOSYS {
		return Mount{}, fmt.Errorf("mount of %s: %w", path, &os.PathError{Op: "statx", Path: abs, Err: err})
	} else if err == nil && sx.Mask&unix.STATX_MNT_ID != 0 {
		// The last line with the ID: the same ID is not listed twice, but
		// a later line is the newer one should it be.
		for i := len(mounts) - 1; i >= 0; i-- {
			if uint64(mounts[i].ID) == sx.Mnt_id {
				return mounts[i], nil
			}
		}
	}
	if m, ok := Containing(mounts, abs); ok {
		return m, nil
	}
	return Mount{}, fmt.Errorf("mount of %s: no mount point holds it", path)
}
