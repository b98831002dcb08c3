//go:build !linux

package cache

import (
	"io/fs"
	"os"
)

// fillSys keeps the portable fields only: access times, inodes and
// allocated sizes are read on Linux.
func fillSys(s *Stat, fi fs.FileInfo) { s.Usage = s.Size }

// openDirFlags: other systems check the kind after opening.
const openDirFlags = 0

// statPath stats path, through a final symlink when follow is set.
func statPath(path string, follow bool) (Stat, error) {
	if follow {
		fi, err := os.Stat(path)
		if err != nil {
			return Stat{}, err
		}
		return statOf(fi), nil
	}
	return lstat(path)
}
