package cache

// Repo is one top-level folder of the cache that parses as a repo folder,
// with everything the scan found in it. A repo with Problems is damaged:
// huggingface_hub would drop it, hfidx still reports what is present.
type Repo struct {
	Folder string // the top-level entry name, e.g. models--org--name
	Path   string // absolute path of the folder
	Type   RepoType
	ID     string
	// Link is the target of the folder when it is a symlink; such a folder
	// is listed but never walked, so its bytes are not counted twice.
	Link       string
	Stat       Stat
	Refs       []Ref
	Revisions  []Revision
	Blobs      []Blob // distinct blobs: entries of blobs/ and files' targets
	Incomplete []Incomplete
	// NoExist are the `.no_exist/<commit>/<path>` markers: huggingface_hub
	// recorded that the file does not exist at that commit.
	NoExist  []NoExist
	Problems []Warning // damaging problems
	Notes    []Warning // warnings that do not damage the repo
	// State is what the next incremental sync compares to tell, without
	// listing the repo again, whether it changed.
	State State
}

// CacheID returns `<type>/<repo id>`, the id huggingface_hub's CLI uses.
func (r *Repo) CacheID() string { return string(r.Type) + "/" + r.ID }

// Damaged reports whether huggingface_hub would drop the repo from a scan
// (or hfidx found it unsafe to walk).
func (r *Repo) Damaged() bool { return len(r.Problems) > 0 }

// Ref is a file under `<repo>/refs/`.
type Ref struct {
	Name   string // path relative to refs/, with '/' separators
	Path   string
	Target string // the commit it names (one trailing newline removed)
	// Revision is the index in Repo.Revisions of the target, -1 when no
	// snapshot folder has that name (a dangling ref).
	Revision int
}

// Revision is a folder of `<repo>/snapshots/`.
type Revision struct {
	Hash  string // the folder name, normally a 40-hex commit hash
	Path  string
	Link  string // target when the folder is a symlink (not walked)
	Stat  Stat
	Files []File
	id    int64 // a streaming scan's sink id
}

// FileKind says what a snapshot entry is on disk.
type FileKind string

// File kinds.
const (
	FileLink    FileKind = "link"    // a symlink, normally to ../../blobs/<etag>
	FileCopy    FileKind = "file"    // a regular file (no-symlink mode)
	FileSpecial FileKind = "special" // a FIFO, socket or device
)

// File is one non-directory entry of a revision.
type File struct {
	RelPath string // path inside the snapshot, '/' separated
	Path    string
	Kind    FileKind
	Target  string // readlink of a link
	// Blob is the index in Repo.Blobs of the blob the file stands for, -1
	// when the link is broken, loops or leads nowhere readable.
	Blob int
}

// BlobKind says where a blob lives.
type BlobKind string

// Blob kinds.
const (
	BlobEntry    BlobKind = "blob"     // an entry of <repo>/blobs
	BlobCopy     BlobKind = "copy"     // a real file inside a snapshot
	BlobExternal BlobKind = "external" // a link target outside <repo>/blobs
)

// Blob is a distinct blob path of a repo.
type Blob struct {
	Path string
	Kind BlobKind
	// Stat is the stat of the final target (symlinks followed), what
	// huggingface_hub reports for the file.
	Stat Stat
	// Payload is the shared-store payload the blob path leads to, if any.
	Payload string
	// Missing is set for an entry of blobs/ that is a dangling link.
	Missing bool
}

// NoExist is one `.no_exist/<commit>/<path>` marker.
type NoExist struct {
	Commit  string
	RelPath string // '/' separated
	Path    string
}

// Incomplete is an interrupted download: `<entry>/blobs/*.incomplete`.
type Incomplete struct {
	Entry string // the top-level entry it was found in
	Path  string
	Stat  Stat
}

// Payload is a file of the shared blob store, `<cache>/blobs/<xx>/<hash>`.
type Payload struct {
	Hash     string
	Path     string
	Stat     Stat
	Manifest bool // a regular `<hash>.refs` file sits beside it
}

// Warning is a problem found in the cache. Entry is the top-level entry it
// concerns, Path the exact file or folder.
type Warning struct {
	Entry   string
	Path    string
	Message string
}

// String renders the warning as one line naming the entry.
func (w Warning) String() string {
	return w.Path + ": " + w.Message
}
