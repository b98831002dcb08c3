package cache

import (
	"errors"
	"path/filepath"
	"strings"
)

// Under returns the components of p below root: p must be a clean
// absolute path strictly inside root, and no component may be empty, "."
// or "..". It is the one lexical test of "inside the cache" in hfidx: a
// name such as "..x" is an ordinary name, inside, while "../x" never is.
// It follows no link; what is on disk is checked when the path is walked
// (see dir.walk). It returns nil and false when p is not under root.
func Under(root, p string) ([]string, bool) {
	if !filepath.IsAbs(p) || filepath.Clean(p) != p || filepath.Clean(root) != root {
		return nil, false
	}
	prefix := root
	if !strings.HasSuffix(prefix, string(filepath.Separator)) {
		prefix += string(filepath.Separator)
	}
	if !strings.HasPrefix(p, prefix) {
		return nil, false
	}
	parts := strings.Split(p[len(prefix):], string(filepath.Separator))
	for _, c := range parts {
		if c == "" || c == "." || c == ".." {
			return nil, false
		}
	}
	return parts, true
}

// errNotRealDir is what walking a path through a symlink or a file gives.
var errNotRealDir = errors.New("not a real directory (a symlink or a file): left alone")
