package cache

import (
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// LostLink is a snapshot entry that links a blob a deletion removed. The
// executor re-checks every blob just before unlinking it, so such a link
// was created after that re-check: huggingface_hub links a blob it finds
// in the cache without taking any lock, so a download running beside a
// delete can link a blob in the instant between the re-check and the
// unlink. The file is lost until downloaded again.
type LostLink struct {
	Folder  string   `json:"folder"` // the repo folder
	Type    RepoType `json:"repo_type"`
	RepoID  string   `json:"repo_id"`
	Commit  string   `json:"revision"`  // the snapshot folder holding the link
	RelPath string   `json:"file"`      // the file's path in the repo, / separated
	Path    string   `json:"path"`      // absolute path of the link
	Blob    string   `json:"blob_path"` // the removed blob it names
}

// Restore returns the command that downloads the file again into the
// cache at root: `hf download <repo_id> <file> --revision <commit>`, with
// --repo-type for repos other than models. Words are quoted for a POSIX
// shell when needed.
func (l LostLink) Restore(root string) string {
	args := []string{"hf", "download", l.RepoID, l.RelPath, "--revision", l.Commit}
	if l.Type != Model {
		args = append(args, "--repo-type", string(l.Type))
	}
	args = append(args, "--cache-dir", root)
	for i, a := range args {
		args[i] = shellQuote(a)
	}
	return strings.Join(args, " ")
}

func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:@+,") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// Dangling returns the snapshot entries, in the repos of the removed blobs,
// that link one of those blobs directly (the first hop of the link) while
// it no longer exists, sorted by path. removed are absolute blob paths
// `<root>/<folder>/blobs/<name>`, as a Deletion's Removed list gives them.
// It never follows a symlinked folder, and reads nothing but folder
// listings and links; a folder it cannot list is skipped.
func Dangling(root string, removed []string) []LostLink {
	gone := map[string]bool{}
	folders := map[string]bool{}
	for _, p := range removed {
		parts, ok := Under(root, filepath.Clean(p))
		if !ok || len(parts) != 3 || parts[1] != "blobs" {
			continue
		}
		gone[filepath.Clean(p)] = true
		folders[parts[0]] = true
	}
	var out []LostLink
	for folder := range folders {
		typ, id, err := ParseFolderName(folder)
		if err != nil {
			continue
		}
		snaps := filepath.Join(root, folder, "snapshots")
		if fi, err := os.Lstat(snaps); err != nil || !fi.IsDir() {
			continue
		}
		commits, _, err := readDir(snaps)
		if err != nil {
			continue
		}
		for _, c := range commits {
			if !c.IsDir() {
				continue
			}
			top := filepath.Join(snaps, c.Name())
			walkDir(top, func(p string, d fs.DirEntry, err error) error {
				if err != nil || d.Type()&fs.ModeSymlink == 0 {
					return nil
				}
				t := linkTarget(p)
				if t == "" || !gone[t] {
					return nil
				}
				if _, err := os.Lstat(t); err == nil {
					return nil // downloaded again since
				}
				rel, _ := filepath.Rel(top, p)
				out = append(out, LostLink{Folder: folder, Type: typ, RepoID: id, Commit: c.Name(),
					RelPath: filepath.ToSlash(rel), Path: p, Blob: t})
				return nil
			})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out
}
