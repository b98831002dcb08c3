//go:build !linux

package cache

import "io/fs"

// fillSys keeps the portable fields only: access times, inodes and
// allocated sizes are read on Linux.
func fillSys(s *Stat, fi fs.FileInfo) { s.Usage = s.Size }

// openDirFlags: other systems check the kind after opening.
const openDirFlags = 0
