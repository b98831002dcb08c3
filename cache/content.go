package cache

import (
	"path/filepath"
	"strings"
)

// ContentFile returns the path relative to root of a file whose content a
// model or data set is read from: <folder>/blobs/<name> (not an
// interrupted download), blobs/<xx>/<hash> of the shared store, or a real
// file in a snapshot; false for anything else (refs, locks, manifests).
func ContentFile(root, path string) (string, bool) {
	parts, ok := Under(root, path)
	if !ok || len(parts) < 3 {
		return "", false
	}
	name := parts[len(parts)-1]
	switch {
	case parts[0] == "blobs" && len(parts) == 3:
		if strings.HasSuffix(name, ".lock") || strings.HasSuffix(name, ".refs") || strings.HasSuffix(name, ".tmp") || strings.HasPrefix(name, ".") {
			return "", false
		}
	case parts[1] == "blobs" && len(parts) == 3:
		if strings.HasSuffix(name, ".incomplete") {
			return "", false
		}
	case parts[1] == "snapshots" && len(parts) >= 4:
	default:
		return "", false
	}
	return strings.Join(parts, "/"), true
}

// ContentDirs lists the folders that hold the files a model is read from:
// every <folder>/blobs and the shared store's blobs/<xx>.
func ContentDirs(root string) []string {
	var dirs []string
	des, _, err := readDir(root)
	if err != nil {
		return nil
	}
	for _, e := range des {
		if !e.IsDir() {
			continue
		}
		if e.Name() == "blobs" {
			if sub, _, err := readDir(filepath.Join(root, "blobs")); err == nil {
				for _, x := range sub {
					if x.IsDir() {
						dirs = append(dirs, filepath.Join(root, "blobs", x.Name()))
					}
				}
			}
			continue
		}
		dirs = append(dirs, filepath.Join(root, e.Name(), "blobs"))
	}
	return dirs
}
