package cache

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// Leftover is something an earlier deletion or an interrupted operation
// left in the cache, for prune.
type Leftover struct {
	Kind string // tree, ref_tmp, ref_dir or locks
	Path string
}

// LastChange returns the later of the modification and status-change
// times of path itself (a symlink is not followed), and false when path
// cannot be stat'ed. A rename updates the change time, so a blob renamed
// into place or a link just created looks new even with an old mtime.
func LastChange(path string) (time.Time, bool) {
	st, err := lstat(path)
	if err != nil {
		return time.Time{}, false
	}
	t := st.Mtime.Time()
	if c := st.Ctime.Time(); c.After(t) {
		t = c
	}
	return t, true
}

// PruneLeftovers lists, in the repo folders of cached (folder -> the
// commits its snapshots hold), the `trees/<commit>.json` listings of
// commits no longer cached, the stale `refs/**/*.<8 hex>.tmp` files of
// interrupted ref updates last changed before cutoff, and the folders
// under refs/ that are empty or hold only such files; and at the root, the
// `.locks/<folder>` of folders no longer in the cache whose locks no
// process holds. Folders come after their contents. Unreadable folders
// are skipped: nothing is listed that was not seen.
func PruneLeftovers(root string, cached map[string]map[string]bool, cutoff time.Time) []Leftover {
	var out []Leftover
	folders := make([]string, 0, len(cached))
	for f := range cached {
		folders = append(folders, f)
	}
	sort.Strings(folders)
	realDir := func(p string) bool {
		fi, err := os.Lstat(p)
		return err == nil && fi.IsDir()
	}
	for _, f := range folders {
		repo := filepath.Join(root, f)
		if !realDir(repo) {
			continue
		}
		trees := filepath.Join(repo, "trees")
		if realDir(trees) {
			if des, _, err := readDir(trees); err == nil {
				for _, e := range des {
					commit, ok := strings.CutSuffix(e.Name(), ".json")
					if ok && !e.IsDir() && !cached[f][commit] {
						out = append(out, Leftover{"tree", filepath.Join(trees, e.Name())})
					}
				}
			}
		}
		refs := filepath.Join(repo, "refs")
		if realDir(refs) {
			var walk func(dir string) bool
			walk = func(dir string) (empty bool) {
				des, _, err := readDir(dir)
				if err != nil {
					return false
				}
				empty = true
				for _, e := range des {
					p := filepath.Join(dir, e.Name())
					switch {
					case e.IsDir():
						if walk(p) {
							out = append(out, Leftover{"ref_dir", p})
						} else {
							empty = false
						}
					case e.Type().IsRegular() && refTmpRe.MatchString(e.Name()):
						if t, ok := LastChange(p); ok && t.Before(cutoff) {
							out = append(out, Leftover{"ref_tmp", p})
						} else {
							empty = false
						}
					default:
						empty = false
					}
				}
				return empty
			}
			walk(refs)
		}
	}
	locks := filepath.Join(root, ".locks")
	if realDir(locks) {
		if des, _, err := readDir(locks); err == nil {
			for _, e := range des {
				name := e.Name()
				if !e.IsDir() || strings.HasPrefix(name, ".") {
					continue
				}
				if _, err := os.Lstat(filepath.Join(root, name)); !errors.Is(err, fs.ErrNotExist) {
					continue
				}
				dir := filepath.Join(locks, name)
				if LocksHeld(dir) == "" {
					out = append(out, Leftover{"locks", dir})
				}
			}
		}
	}
	return out
}
