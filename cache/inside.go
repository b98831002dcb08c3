package cache

import (
	"io/fs"
	"os"
	"path/filepath"
)

// insideRoot reports whether p, once its links are followed, lies inside
// the cache root (resolved). A path that cannot be resolved is not.
func insideRoot(root, p string) bool {
	if fi, err := os.Lstat(p); err != nil {
		return false
	} else if fi.Mode()&fs.ModeSymlink != 0 {
		if p, err = filepath.EvalSymlinks(p); err != nil {
			return false
		}
	}
	_, inside := Under(root, p)
	return inside
}
