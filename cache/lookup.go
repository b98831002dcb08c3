package cache

import (
	"fmt"
	"os"
	"strings"
	"unicode/utf8"
)

// LookupStatus is Lookup's answer.
type LookupStatus string

// The answers of Lookup, those of huggingface_hub's try_to_load_from_cache:
// a path, the _CACHED_NO_EXIST sentinel, or None.
const (
	LookupCached    LookupStatus = "cached"     // the file is in the snapshot
	LookupNoExist   LookupStatus = "no_exist"   // the Hub said the file does not exist at that commit
	LookupNotCached LookupStatus = "not_cached" // nothing is known locally
)

// LookupResult is what Lookup found. Path is set for LookupCached only.
type LookupResult struct {
	Status LookupStatus
	Path   string
}

// UnsafePathError is a filename or revision Lookup refuses: one with a
// ".." element or an absolute one, which would make huggingface_hub look
// outside the repo folder.
type UnsafePathError struct {
	What  string // "filename", "revision", or "ref <name>" for a ref's content
	Value string
}

func (e *UnsafePathError) Error() string {
	return fmt.Sprintf("%s %q leaves the repo folder (a \"..\" element or an absolute path)", e.What, e.Value)
}

func unsafePath(p string) bool {
	return strings.HasPrefix(p, "/") || hasDotDot(p)
}

// Lookup answers exactly as huggingface_hub's try_to_load_from_cache does
// (hf-cache.md §6.1), looking only at the file system under root, the
// cache directory as given (not resolved):
//
//  1. revision "" means "main";
//  2. no folder <root>/<type>s--<id> (symlinks followed): not cached;
//  3. when refs/ is a directory and refs/<revision> a file, the revision
//     becomes that file's content, verbatim (no strip; Python's text mode
//     turns "\r\n" and "\r" into "\n"), so nested names such as refs/pr/1
//     work and a branch is resolved to its commit;
//  4. a file .no_exist/<revision>/<filename>: no_exist, before the
//     snapshot is even looked at;
//  5. no snapshots/, or no entry of it named <revision> (no fallback to
//     other revisions, no short hashes): not cached;
//  6. snapshots/<revision>/<filename> if it is a file (symlinks followed),
//     returned as joined, not resolved; otherwise not cached.
//
// Unlike the library, a filename or revision with a ".." element, or an
// absolute one, is refused with an *UnsafePathError, and so is a ref whose
// content is one. It returns another error when a ref cannot be read or is
// not UTF-8, or snapshots/ cannot be listed, where the library raises.
func Lookup(root string, typ RepoType, repoID, filename, revision string) (LookupResult, error) {
	notCached := LookupResult{Status: LookupNotCached}
	if revision == "" {
		revision = "main"
	}
	if unsafePath(filename) {
		return notCached, &UnsafePathError{"filename", filename}
	}
	if unsafePath(revision) {
		return notCached, &UnsafePathError{"revision", revision}
	}
	repo := posixJoin(root, FolderName(typ, repoID))
	if !isDir(repo) {
		return notCached, nil
	}
	refs := posixJoin(repo, "refs")
	if isDir(refs) {
		if ref := posixJoin(refs, revision); isFile(ref) {
			b, err := readFile(ref)
			if err != nil {
				return notCached, fmt.Errorf("read ref %s: %w", ref, err)
			}
			if !utf8.Valid(b) {
				return notCached, fmt.Errorf("read ref %s: not valid UTF-8", ref)
			}
			s := strings.ReplaceAll(string(b), "\r\n", "\n")
			s = strings.ReplaceAll(s, "\r", "\n")
			if unsafePath(s) {
				return notCached, &UnsafePathError{"ref " + revision, s}
			}
			revision = s
		}
	}
	if isFile(posixJoin(posixJoin(posixJoin(repo, ".no_exist"), revision), filename)) {
		return LookupResult{Status: LookupNoExist}, nil
	}
	snapshots := posixJoin(repo, "snapshots")
	if _, err := os.Stat(snapshots); err != nil {
		return notCached, nil
	}
	f, err := openFileRead(snapshots, os.O_RDONLY)
	if err != nil {
		return notCached, fmt.Errorf("list %s: %w", snapshots, err)
	}
	names, err := f.Readdirnames(-1)
	f.Close()
	if err != nil {
		return notCached, fmt.Errorf("list %s: %w", snapshots, err)
	}
	found := false
	for _, n := range names {
		if n == revision {
			found = true
			break
		}
	}
	if !found {
		return notCached, nil
	}
	if p := posixJoin(posixJoin(snapshots, revision), filename); isFile(p) {
		return LookupResult{Status: LookupCached, Path: p}, nil
	}
	return notCached, nil
}

// isDir is Python's os.path.isdir: a directory, symlinks followed; any
// error is false.
func isDir(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.IsDir()
}

// isFile is Python's os.path.isfile: a regular file, symlinks followed;
// any error is false.
func isFile(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular()
}
