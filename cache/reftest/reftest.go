// Package reftest unpacks the reference caches of testdata/reference (two
// Hugging Face Hub caches with huggingface_hub's own answers about them)
// for tests that hold hfidx against the library.
package reftest

import (
	"archive/tar"
	"compress/gzip"
	"encoding/json"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"testing"
	"time"
)

// Names of the reference caches.
var Names = []string{"client-written", "generated"}

// Reference is huggingface_hub's answers about one cache; paths are
// relative to the hub folder.
type Reference struct {
	SizeOnDisk    int64    `json:"size_on_disk"`
	Repos         []Repo   `json:"repos"`
	Warnings      []string `json:"warnings"`
	WarnedEntries []string `json:"warned_entries"`
	Incomplete    [][2]any `json:"incomplete"`
	Deletes       []Delete `json:"deletes"`
	Lookups       []Lookup `json:"lookups"`
}

// Repo is scan_cache_dir's CachedRepoInfo.
type Repo struct {
	RepoID       string            `json:"repo_id"`
	RepoType     string            `json:"repo_type"`
	RepoPath     string            `json:"repo_path"`
	SizeOnDisk   int64             `json:"size_on_disk"`
	NbFiles      int64             `json:"nb_files"`
	LastAccessed float64           `json:"last_accessed"`
	LastModified float64           `json:"last_modified"`
	Refs         map[string]string `json:"refs"`
	Revisions    []Revision        `json:"revisions"`
}

// Revision is CachedRevisionInfo.
type Revision struct {
	CommitHash   string   `json:"commit_hash"`
	SnapshotPath string   `json:"snapshot_path"`
	SizeOnDisk   int64    `json:"size_on_disk"`
	NbFiles      int64    `json:"nb_files"`
	LastModified float64  `json:"last_modified"`
	Refs         []string `json:"refs"`
	Files        []File   `json:"files"`
}

// File is CachedFileInfo.
type File struct {
	FileName         string  `json:"file_name"`
	FilePath         string  `json:"file_path"`
	BlobPath         string  `json:"blob_path"`
	SizeOnDisk       int64   `json:"size_on_disk"`
	BlobLastAccessed float64 `json:"blob_last_accessed"`
	BlobLastModified float64 `json:"blob_last_modified"`
}

// Delete is delete_revisions()'s plan for a set of revisions and, for some
// sets, every path left after executing it.
type Delete struct {
	Revisions          []string `json:"revisions"`
	ExpectedFreedSize  int64    `json:"expected_freed_size"`
	Blobs              []string `json:"blobs"`
	Refs               []string `json:"refs"`
	Repos              []string `json:"repos"`
	Snapshots          []string `json:"snapshots"`
	RemainingAfterExec []string `json:"remaining_after_execute"`
}

// Lookup is one try_to_load_from_cache answer: a path, "NO_EXIST" or nil.
type Lookup struct {
	RepoID   string  `json:"repo_id"`
	Filename string  `json:"filename"`
	Revision *string `json:"revision"`
	RepoType *string `json:"repo_type"`
	Result   *string `json:"result"`
}

func dataDir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "testdata", "reference")
}

// Load unpacks the reference cache name into a temporary folder, sets
// every file's and folder's access time to its modification time (as the
// answers were recorded), and returns the hub folder and the answers.
func Load(t testing.TB, name string) (string, *Reference) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dataDir(), name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	var ref Reference
	if err := json.Unmarshal(b, &ref); err != nil {
		t.Fatal(err)
	}
	hub := filepath.Join(t.TempDir(), "hub")
	if err := Unpack(name, hub); err != nil {
		t.Fatal(err)
	}
	return hub, &ref
}

// Unpack unpacks the reference cache name so that dst is its hub folder,
// with access times set to modification times. It returns any I/O error.
func Unpack(name, dst string) error {
	tmp := dst + ".unpack"
	if err := os.MkdirAll(tmp, 0o755); err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	if err := extract(filepath.Join(dataDir(), name+".tar.gz"), tmp); err != nil {
		return err
	}
	if err := os.Rename(filepath.Join(tmp, "hub"), dst); err != nil {
		return err
	}
	return AtimeFromMtime(dst)
}

// AtimeFromMtime sets the access time of every regular file and folder
// under root (root included) to its modification time, deepest first so
// that listing a folder does not bump it again afterwards.
func AtimeFromMtime(root string) error {
	var paths []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type()&fs.ModeSymlink == 0 {
			paths = append(paths, p)
		}
		return nil
	})
	if err != nil {
		return err
	}
	sort.Slice(paths, func(i, j int) bool { return len(paths[i]) > len(paths[j]) })
	for _, p := range paths {
		fi, err := os.Lstat(p)
		if err != nil {
			return err
		}
		if err := os.Chtimes(p, fi.ModTime(), fi.ModTime()); err != nil {
			return err
		}
	}
	return nil
}

func extract(archive, dst string) error {
	f, err := os.Open(archive)
	if err != nil {
		return err
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		return err
	}
	tr := tar.NewReader(gz)
	type dirTime struct {
		path string
		t    time.Time
	}
	var dirs []dirTime
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		name := filepath.Clean(h.Name)
		if strings.HasPrefix(name, "..") || filepath.IsAbs(name) {
			continue
		}
		p := filepath.Join(dst, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		switch h.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(p, 0o755); err != nil {
				return err
			}
			dirs = append(dirs, dirTime{p, h.ModTime})
		case tar.TypeSymlink:
			if err := os.Symlink(h.Linkname, p); err != nil {
				return err
			}
		case tar.TypeReg:
			out, err := os.OpenFile(p, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
			if err != nil {
				return err
			}
			if _, err := io.Copy(out, tr); err != nil {
				out.Close()
				return err
			}
			if err := out.Close(); err != nil {
				return err
			}
			if err := os.Chtimes(p, h.ModTime, h.ModTime); err != nil {
				return err
			}
		}
	}
	// Folder times last: creating their entries changed them.
	for i := len(dirs) - 1; i >= 0; i-- {
		if err := os.Chtimes(dirs[i].path, dirs[i].t, dirs[i].t); err != nil {
			return err
		}
	}
	return nil
}
