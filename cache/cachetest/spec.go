package cachetest

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Cache declares a whole hub cache: the tree Build writes under its root and
// the input Expect reads. The zero value is an empty cache.
type Cache struct {
	// Repos are the repo folders, written in this order.
	Repos []Repo
	// Store, when non-nil, writes the cache-wide shared blob store
	// `<cache>/blobs/`. A Shared file creates a default (marked) store even
	// when Store is nil.
	Store *Store
	// Extra are arbitrary entries written last, relative to the cache root:
	// stray files, invalid folder names, a repo folder that is a symlink to
	// another one, a directory named `*.incomplete`.
	Extra []Entry
	// RootEntries writes `CACHEDIR.TAG` and one `.locks/<folder>/<etag>.lock`
	// per repo blob, as real downloads leave them.
	RootEntries bool
}

// Repo declares one repo folder `<type>s--<id with / replaced by -->`.
type Repo struct {
	// Type is "model", "dataset", "space" or "kernel" (any string is
	// accepted: it only names the folder).
	Type string
	// ID is the repo id, "org/name" or a legacy "name".
	ID string
	// Folder overrides the folder name, for odd names such as `modelx--foo`
	// or `models--`; the oracle then parses it as huggingface_hub does.
	Folder string
	// Revisions are the folders of `snapshots/`.
	Revisions []Revision
	// Refs maps a ref name ("main", "v1.0", "refs/pr/1") to the content of
	// its file, written verbatim (no newline is added, so "abc\n" is a ref
	// with a trailing newline).
	Refs map[string]string
	// Incomplete are interrupted downloads in `blobs/`.
	Incomplete []Incomplete
	// OrphanBlobs are blobs no snapshot links to.
	OrphanBlobs []Blob
	// NoExist maps a commit to the repo paths of its `.no_exist/<commit>/`
	// markers (empty files).
	NoExist map[string][]string
	// Trees lists commits whose `trees/<commit>.json` listing is written;
	// the listing describes the revision with that hash, or is empty.
	Trees []string
	// FolderTime is set on the repo folder after everything in it.
	FolderTime Time
	// Corrupt damages the repo; see CorruptionKind.
	Corrupt []Corruption
}

// Revision declares one snapshot folder.
type Revision struct {
	// Hash names the folder; normally 40 lowercase hex digits, but any
	// single path element is accepted.
	Hash string
	// Files are the entries of the snapshot.
	Files []File
	// FolderTime is set on the snapshot folder after its entries.
	FolderTime Time
}

// File declares one snapshot entry.
//
// The content is Content, or, when Size is non-zero, Size zero bytes
// (written sparse with Truncate when Sparse is set). A link-mode file becomes
// a relative symlink `../../blobs/<etag>` (one more `../` per sub-directory)
// and its repo blob `blobs/<etag>`; two files of one repo with the same
// content and LFS-ness share that blob. The etag is the git blob SHA-1 of the
// content, or its SHA-256 when the file is LFS (LFS or Shared set, or at
// least LFSThreshold bytes).
type File struct {
	// Path is the posix path inside the revision ("a/b/c.txt").
	Path    string
	Content []byte
	Size    int64
	Sparse  bool
	// LFS names the blob by the content's SHA-256 instead of its git SHA-1.
	LFS bool
	// Copy writes a real file in the snapshot (no-symlink mode) and no blob.
	Copy bool
	// Shared makes the repo blob a symlink `../../blobs/<xx>/<xet hash>`
	// into the cache-wide store, whose payload holds the content. If any
	// link-mode file of a repo with the same etag is Shared, the blob is.
	Shared bool
	// Time is set on the blob (the first non-zero Time among the files of a
	// blob wins; for a shared blob, on the payload), or on the copy.
	Time Time
}

// Blob declares a repo blob that no snapshot links to.
type Blob struct {
	Content []byte
	Size    int64
	Sparse  bool
	LFS     bool
	Time    Time
}

// Incomplete declares an interrupted download `blobs/<Name>` of Size zero
// bytes (always written sparse). ".incomplete" is appended to Name unless it
// already ends with it.
type Incomplete struct {
	Name string
	Size int64
	Time Time
}

// Time is a pair of timestamps set with os.Chtimes; a zero field leaves that
// timestamp as the filesystem sets it, and the oracle then reports NaN.
type Time struct {
	Atime, Mtime time.Time
}

// At returns a Time whose access and modification times are both t.
func At(t time.Time) Time { return Time{Atime: t, Mtime: t} }

// Unix returns the UTC time sec seconds and nsec nanoseconds after the Unix
// epoch, in the form Parse and Random produce (so reflect.DeepEqual works).
func Unix(sec, nsec int64) time.Time { return time.Unix(sec, nsec).UTC() }

// Store declares the cache-wide shared blob store of huggingface_hub 2026
// (`<cache>/blobs/`).
type Store struct {
	// Marker is the content of `blobs/.huggingface-shared-blobs`; "" means
	// the valid "1\n". Any other content leaves the store unmarked.
	Marker string
	// NoMarker omits the marker file: `blobs/` is then an ordinary
	// top-level folder that the scanner warns about.
	NoMarker bool
	// Payloads are extra store entries that no Shared file creates: orphan
	// payloads, payloads with stale or missing manifests.
	Payloads []Payload
}

// Payload declares a store entry `blobs/<xx>/<hash>` with its `.refs`
// manifest and `.lock` file.
type Payload struct {
	// Hash is the Xet hash naming the payload; "" derives one from the
	// content. It is written as given, so an invalid hash is possible.
	Hash    string
	Content []byte
	Size    int64
	Sparse  bool
	// Refs are the manifest lines (a "\n" is appended to each).
	Refs []string
	// NoManifest omits the `.refs` file.
	NoManifest bool
	Time       Time
}

// EntryKind is the kind of an Extra entry.
type EntryKind int

// The kinds of Extra entries.
const (
	EntryFile EntryKind = iota
	EntryDir
	EntrySymlink
	EntryFIFO
)

// Entry declares one arbitrary entry. Missing parent directories are
// created.
type Entry struct {
	// Path is relative to the cache root, posix.
	Path string
	Kind EntryKind
	// Content is the content of a file.
	Content []byte
	// Target is the symlink target, written verbatim. The oracle models
	// relative targets only; an absolute one counts as dangling.
	Target string
	Time   Time
}

// CorruptionKind selects how a Corruption damages a repo. Unless noted, the
// entry goes into the revision named by Corruption.Rev (default: the first
// revision; when the repo has none, a revision with a derived hash is
// created) under the name Corruption.Path (default given per kind).
type CorruptionKind int

// The corruption kinds (hf-cache.md §2.2, §2.3, §7.7). The oracle computes
// what huggingface_hub does with each; the comment says what that is.
const (
	// BrokenLink adds a snapshot link ("missing.bin") to a blob that does
	// not exist: the repo is warned about.
	BrokenLink CorruptionKind = iota + 1
	// DanglingRef adds a ref (Path, default "dangling") holding Rev or a
	// derived hash with no snapshot: warned.
	DanglingRef
	// RefsIsFile replaces `refs/` with a regular file (Content, default
	// "main\n"); Repo.Refs are not written: warned.
	RefsIsFile
	// NoSnapshots leaves out `snapshots/`: warned.
	NoSnapshots
	// FileInSnapshots adds a regular file (Path, default "stray.txt") in
	// `snapshots/`: warned.
	FileInSnapshots
	// RefTrailingNewline rewrites ref Path (default "main"; added when
	// absent, pointing at Rev or the first revision) with a trailing
	// newline: warned.
	RefTrailingNewline
	// RefTmpLeftover adds `refs/<Path>.1a2b3c4d.tmp` (Path default "main")
	// holding the target of that ref (or Rev, or the first revision): a
	// ref named `main.1a2b3c4d.tmp`, warned only if it dangles.
	RefTmpLeftover
	// SymlinkLoop adds a link x -> x ("loop"): Python ≤ 3.12 aborts the
	// whole scan (Expected.Aborted); the repo is also in Warned.
	SymlinkLoop
	// LinkOutsideCache adds a link ("outside.bin") with an absolute target
	// in a sibling directory of the cache holding Content: counted as a
	// file of the repo whose blob is outside (path "$OUTSIDE/...").
	LinkOutsideCache
	// DirSymlinkInSnapshot adds a link ("linked-dir") to "." inside a
	// revision: skipped like a directory, the repo is healthy.
	DirSymlinkInSnapshot
	// DSStoreInRevision adds a regular `.DS_Store` file (Content) in a
	// revision: counted as an ordinary file.
	DSStoreInRevision
	// RevisionIsSymlink adds `snapshots/<Path>` (default a derived hash) as
	// a symlink to the revision Rev (default the first; when the repo has
	// none, to a new empty folder `<repo>/linked-revision`): an ordinary
	// revision whose files have paths under the link.
	RevisionIsSymlink
	// DanglingRevisionSymlink adds `snapshots/<Path>` (default a derived
	// hash) as a symlink to a missing folder: Python aborts the scan.
	DanglingRevisionSymlink
	// FIFOInSnapshot adds a named pipe ("fifo") in a revision: counted as a
	// file of size 0 that is its own blob.
	FIFOInSnapshot
)

var corruptionNames = map[CorruptionKind]string{
	BrokenLink:              "broken-link",
	DanglingRef:             "dangling-ref",
	RefsIsFile:              "refs-is-file",
	NoSnapshots:             "no-snapshots",
	FileInSnapshots:         "file-in-snapshots",
	RefTrailingNewline:      "ref-trailing-newline",
	RefTmpLeftover:          "ref-tmp-leftover",
	SymlinkLoop:             "symlink-loop",
	LinkOutsideCache:        "link-outside-cache",
	DirSymlinkInSnapshot:    "dir-symlink-in-snapshot",
	DSStoreInRevision:       "ds-store-in-revision",
	RevisionIsSymlink:       "revision-is-symlink",
	DanglingRevisionSymlink: "dangling-revision-symlink",
	FIFOInSnapshot:          "fifo-in-snapshot",
}

// String returns the kebab-case name used by the text format, or
// "corruption(N)" for an unknown kind.
func (k CorruptionKind) String() string {
	if s, ok := corruptionNames[k]; ok {
		return s
	}
	return fmt.Sprintf("corruption(%d)", int(k))
}

// ParseCorruptionKind returns the kind named s (as String spells it) and
// false when s names none.
func ParseCorruptionKind(s string) (CorruptionKind, bool) {
	for k, name := range corruptionNames {
		if name == s {
			return k, true
		}
	}
	return 0, false
}

// Corruption damages a repo; see CorruptionKind for what each field means
// for each kind. Zero fields take the kind's defaults.
type Corruption struct {
	Kind    CorruptionKind
	Rev     string
	Path    string
	Content []byte
	// Time is set on the entry the corruption writes (and on a revision
	// folder it had to create).
	Time Time
}

// FolderName returns the folder huggingface_hub names a repo by:
// "<type>s--" followed by the repo id with every "/" replaced by "--".
func FolderName(repoType, id string) string {
	return repoType + "s--" + strings.ReplaceAll(id, "/", "--")
}

// folder returns the repo's folder name.
func (r *Repo) folder() string {
	if r.Folder != "" {
		return r.Folder
	}
	return FolderName(r.Type, r.ID)
}

// Built describes a cache written by Build or Write.
type Built struct {
	// Root is the cache root as given to Build.
	Root string
	// Outside is the sibling directory holding the targets of
	// LinkOutsideCache links, or "" when none was needed.
	Outside string
}

// OutsidePrefix starts the Expected paths of files that lie outside the
// cache, in Built.Outside.
const OutsidePrefix = "$OUTSIDE/"

// Abs returns the absolute path of an Expected path: a path relative to the
// cache root, or one starting with OutsidePrefix.
func (b *Built) Abs(rel string) string {
	if rest, ok := strings.CutPrefix(rel, OutsidePrefix); ok {
		return filepath.Join(b.Outside, filepath.FromSlash(rest))
	}
	return filepath.Join(b.Root, filepath.FromSlash(rel))
}

// Rel returns the Expected form of an absolute path under Root or Outside
// (resolved or not), and false for any other path.
func (b *Built) Rel(abs string) (string, bool) {
	try := func(base, prefix string) (string, bool) {
		if base == "" {
			return "", false
		}
		bases := []string{base}
		if r, err := filepath.EvalSymlinks(base); err == nil && r != base {
			bases = append(bases, r)
		}
		for _, b := range bases {
			rel, err := filepath.Rel(b, abs)
			if err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
				return prefix + filepath.ToSlash(rel), true
			}
		}
		return "", false
	}
	if r, ok := try(b.Outside, OutsidePrefix); ok {
		return r, true
	}
	return try(b.Root, "")
}

// Build writes c under root (the hub cache directory, created if missing,
// which must be empty) and returns what it built. It fails t on any error
// and removes the outside directory at the end of the test.
func Build(t testing.TB, root string, c Cache) *Built {
	t.Helper()
	b, err := Write(root, c)
	if b != nil && b.Outside != "" {
		outside := b.Outside
		t.Cleanup(func() { os.RemoveAll(outside) })
	}
	if err != nil {
		t.Fatalf("cachetest.Build: %v", err)
	}
	return b
}

// Write writes c under root (the hub cache directory, created if missing,
// which must be empty). It returns an error for an inconsistent spec (a
// duplicate folder, revision or path, an invalid path) or a failed write;
// the tree is then partial, and the returned Built, when non-nil, still
// names the directories created.
func Write(root string, c Cache) (*Built, error) {
	p, err := plan(c)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(root, 0o755); err != nil {
		return nil, err
	}
	ents, err := os.ReadDir(root)
	if err != nil {
		return nil, err
	}
	if len(ents) > 0 {
		return nil, fmt.Errorf("cache root %s is not empty", root)
	}
	b := &Built{Root: root}
	if p.outside() != nil {
		abs, err := filepath.Abs(root)
		if err != nil {
			return nil, err
		}
		b.Outside, err = os.MkdirTemp(filepath.Dir(abs), "cachetest-outside-")
		if err != nil {
			return nil, err
		}
	}
	if err := p.write(b); err != nil {
		return b, err
	}
	return b, nil
}
