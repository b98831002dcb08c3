package cache

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// Algo names a content hash that verify computes.
type Algo string

// The hashes blob names stand for (hf-cache.md §1.3).
const (
	// SHA256 is the SHA-256 of the content: the etag of LFS and Xet files.
	SHA256 Algo = "sha256"
	// GitSHA1 is the git blob SHA-1, sha1("blob <size>\x00" + content):
	// the etag of regular (git) files.
	GitSHA1 Algo = "git-sha1"
)

var (
	sha1Name = regexp.MustCompile(`^[0-9a-f]{40}$`)
	xetAny   = regexp.MustCompile(`^[0-9a-fA-F]{64}$`)
)

// NameAlgo returns the hash a blob name stands for: SHA256 for 64 lowercase
// hex digits, GitSHA1 for 40. Any other name (old etag formats, "W/"
// leftovers, upper case) cannot be checked from the name alone: it returns
// "".
func NameAlgo(name string) Algo {
	switch {
	case storeHash.MatchString(name):
		return SHA256
	case sha1Name.MatchString(name):
		return GitSHA1
	}
	return ""
}

// TreeListing is `<repo>/trees/<commit>.json`, the full file listing of one
// commit as the Hub gave it to snapshot_download (shared-blobs.md §5.1).
// Keyed by an immutable commit, it is an authoritative, offline stand-in
// for the remote listing that `hf cache verify` downloads.
type TreeListing struct {
	Commit string
	Path   string
	Files  map[string]TreeEntry // by repo-relative POSIX path
}

// TreeEntry is one file of a TreeListing.
type TreeEntry struct {
	Size      int64  `json:"size"`
	BlobID    string `json:"blob_id"`
	LFSSHA256 string `json:"lfs_sha256,omitempty"`
	LFSSize   *int64 `json:"lfs_size,omitempty"`
	XetHash   string `json:"xet_hash,omitempty"`
}

// Expect returns the hash the file's content must have, its hex digest
// and its size: the LFS SHA-256 when the entry has one (its blob_id is
// then the hash of the LFS pointer, not of the content), else the git blob
// SHA-1. It returns "" when neither is a well-formed digest.
func (e TreeEntry) Expect() (algo Algo, digest string, size int64) {
	if lfs := strings.ToLower(e.LFSSHA256); storeHash.MatchString(lfs) {
		size = e.Size
		if e.LFSSize != nil {
			size = *e.LFSSize
		}
		return SHA256, lfs, size
	}
	if id := strings.ToLower(e.BlobID); sha1Name.MatchString(id) {
		return GitSHA1, id, e.Size
	}
	return "", "", e.Size
}

// ReadTreeListing reads `<repoPath>/trees/<commit>.json` as
// huggingface_hub's reader does: an unknown format_version, corrupt JSON or
// an entry whose xet_hash is not 64 hex digits (a redacted listing of a
// gated repo) make the whole listing unusable. It returns an error wrapping
// fs.ErrNotExist when there is no listing, and a one-line error saying why
// the listing is ignored otherwise.
func ReadTreeListing(repoPath, commit string) (*TreeListing, error) {
	p := filepath.Join(repoPath, "trees", commit+".json")
	fi, err := os.Stat(p)
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: not a regular file", p)
	}
	b, err := readFile(p)
	if err != nil {
		return nil, err
	}
	files, err := parseTreeListing(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", p, err)
	}
	return &TreeListing{Commit: commit, Path: p, Files: files}, nil
}

// parseTreeListing parses the content of a tree listing; see
// ReadTreeListing.
func parseTreeListing(b []byte) (map[string]TreeEntry, error) {
	var raw struct {
		FormatVersion *int                 `json:"format_version"`
		Files         map[string]TreeEntry `json:"files"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, fmt.Errorf("corrupt listing: %v", err)
	}
	if raw.FormatVersion == nil || *raw.FormatVersion != 1 {
		return nil, errors.New("unknown format_version")
	}
	if raw.Files == nil {
		return nil, errors.New("no files")
	}
	for name, e := range raw.Files {
		if e.XetHash != "" && !xetAny.MatchString(e.XetHash) {
			return nil, fmt.Errorf("invalid xet_hash for %s (a redacted listing)", name)
		}
		if name == "" || strings.HasPrefix(name, "/") || hasDotDot(name) {
			return nil, fmt.Errorf("invalid path %q", name)
		}
	}
	return raw.Files, nil
}

// hasDotDot reports whether the slash-separated path p has a ".." element.
func hasDotDot(p string) bool {
	for seg := range strings.SplitSeq(p, "/") {
		if seg == ".." {
			return true
		}
	}
	return false
}
