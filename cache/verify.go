package cache

import (
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// FileID is the identity under which verify remembers the digest of a
// file's content: the file changed (and is read again) when any part
// differs. Files huggingface_hub writes are never modified in place (a
// download goes to a temporary file that is renamed), so a new content
// always comes with a new inode or a new mtime.
type FileID struct {
	Dev   uint64
	Ino   uint64
	Size  int64
	Mtime int64 // nanoseconds since the epoch
}

func idOf(st Stat) FileID {
	return FileID{Dev: st.Dev, Ino: st.Ino, Size: st.Size, Mtime: st.Mtime.Nanos()}
}

// DigestKey names one digest of one file content.
type DigestKey struct {
	FileID
	Algo Algo
}

// Digest is a digest Verify computed, for the caller to keep.
type Digest struct {
	Key DigestKey
	Hex string
}

// The kinds of Problem.
const (
	// ProblemMismatch: the content does not hash to the expected digest
	// (a corrupted file), or a snapshot links another blob than its tree
	// listing names.
	ProblemMismatch = "mismatch"
	// ProblemTruncated: the content does not hash to the expected digest
	// and is shorter than the size a tree listing gives for it, or empty.
	ProblemTruncated = "truncated"
	// ProblemUnreadable: the file could not be read to the end.
	ProblemUnreadable = "unreadable"
	// ProblemBroken: a blob entry or snapshot link leads nowhere.
	ProblemBroken = "broken"
	// ProblemMissing: a file of the commit's tree listing is not in its
	// snapshot (normal after a download with allow_patterns).
	ProblemMissing = "missing"
	// ProblemExtra: a snapshot file the commit's tree listing lacks.
	ProblemExtra = "extra"
)

// Problem is one thing Verify found wrong.
type Problem struct {
	Kind     string `json:"kind"`
	Repo     string `json:"repo"`               // the repo's cache id
	Revision string `json:"revision,omitempty"` // the commit, for tree checks
	File     string `json:"file,omitempty"`     // the path in the repo, for tree checks
	Path     string `json:"path"`               // absolute path of the entry concerned
	Algo     Algo   `json:"algo,omitempty"`
	Expected string `json:"expected,omitempty"`
	Actual   string `json:"actual,omitempty"`
	// Size is the size of the content read; ExpectedSize the size a tree
	// listing gives for it.
	Size         *int64 `json:"size,omitempty"`
	ExpectedSize *int64 `json:"expected_size,omitempty"`
	Message      string `json:"message"`
}

// Unverifiable is a file Verify has nothing to check against.
type Unverifiable struct {
	Repo   string `json:"repo"`
	Path   string `json:"path"`
	Reason string `json:"reason"`
}

// VerifyTarget is one repo to verify: every blob (orphans included) and
// every revision when Revisions is nil, else only those revisions (commit
// hashes) and the blobs their files use.
type VerifyTarget struct {
	Repo      *Repo
	Revisions []string
}

// VerifyProgress counts what Verify has read so far; a caller may read it
// from another goroutine while Verify runs.
type VerifyProgress struct {
	TotalBytes, DoneBytes atomic.Int64
	TotalFiles, DoneFiles atomic.Int64
}

// VerifyOptions tunes Verify.
type VerifyOptions struct {
	// Jobs is how many files are hashed in parallel; 0 means the number of
	// CPUs.
	Jobs int
	// Known are digests of earlier runs: a file whose identity is there is
	// not read again.
	Known map[DigestKey]string
	// Progress, when non-nil, is updated as files are read.
	Progress *VerifyProgress
	// Root, when set, is the resolved cache root: content whose path
	// leads outside it (a hostile link) is never read.
	Root string
}

// VerifyReport is what Verify found.
type VerifyReport struct {
	Repos     int `json:"repos"`
	Revisions int `json:"revisions"`
	Trees     int `json:"trees"` // tree listings compared with their snapshot
	// Checked counts the distinct file contents compared with a digest:
	// Hashed of them read now (HashedBytes in all), Reused unchanged since
	// an earlier run hashed them; the rest were refused on their size alone.
	Checked      int            `json:"checked"`
	Hashed       int            `json:"hashed"`
	HashedBytes  int64          `json:"hashed_bytes"`
	Reused       int            `json:"reused"`
	Seconds      float64        `json:"seconds"`
	Problems     []Problem      `json:"problems"`
	Unverifiable []Unverifiable `json:"unverifiable"`
	Warnings     []string       `json:"warnings"`
	// Digests are the digests computed in this run, for the caller to keep.
	Digests []Digest `json:"-"`
	// Seen are the identities of every file whose digest was wanted, read
	// or not.
	Seen map[DigestKey]bool `json:"-"`
}

// Failed reports whether any problem is of a kind in fatal.
func (r *VerifyReport) Failed(fatal map[string]bool) bool {
	for _, p := range r.Problems {
		if fatal[p.Kind] {
			return true
		}
	}
	return false
}

// check is one expectation about a file's content.
type check struct {
	repo, rev, file string
	path            string // reported path
	algo            Algo
	expected        string
	expectedSize    int64 // -1 when unknown
}

// hashJob is one file content to hash once with one algorithm, and the
// expectations that need it.
type hashJob struct {
	key    DigestKey
	open   string // path read (symlinks followed)
	checks []check

	digest string
	size   int64 // size of the content read
	err    error
	reused bool
}

type jobKey struct {
	DigestKey
	path string // set when the platform gives no inode
}

type verifier struct {
	opts   VerifyOptions
	report *VerifyReport
	jobs   map[jobKey]*hashJob
	order  []*hashJob
}

// Verify checks the contents of the targets offline (hf-cache.md §4.6):
//
//   - every entry of a repo's blobs/ named by 64 hex digits must hash
//     (SHA-256) to its name, one named by 40 to its git blob SHA-1; the
//     content is read through the entry, so a shared-store payload is
//     checked through the repo entries that link it;
//   - where `trees/<commit>.json` exists, the files it lists must be in
//     the snapshot and no other, each linking the blob it names; a real
//     file (no-symlink mode) must hash to the listing's digest;
//   - a content shorter than the size a listing gives for it, or empty, is
//     reported as truncated, without reading it when the size alone tells.
//
// Each distinct file (device and inode) is read once per algorithm, Jobs
// at a time; a file whose identity is in Known is not read at all. Verify
// never fails: unreadable files and unusable listings become problems and
// warnings of the report.
func Verify(targets []VerifyTarget, opts VerifyOptions) *VerifyReport {
	start := time.Now()
	v := &verifier{
		opts:   opts,
		report: &VerifyReport{Problems: []Problem{}, Unverifiable: []Unverifiable{}, Warnings: []string{}, Seen: map[DigestKey]bool{}},
		jobs:   map[jobKey]*hashJob{},
	}
	for _, t := range targets {
		v.plan(t)
	}
	v.run()
	v.judge()
	rep := v.report
	sort.SliceStable(rep.Problems, func(i, j int) bool {
		a, b := rep.Problems[i], rep.Problems[j]
		if a.Repo != b.Repo {
			return a.Repo < b.Repo
		}
		if a.Path != b.Path {
			return a.Path < b.Path
		}
		return a.Kind < b.Kind
	})
	sort.SliceStable(rep.Unverifiable, func(i, j int) bool {
		a, b := rep.Unverifiable[i], rep.Unverifiable[j]
		if a.Repo != b.Repo {
			return a.Repo < b.Repo
		}
		return a.Path < b.Path
	})
	rep.Seconds = time.Since(start).Seconds()
	return rep
}

func (v *verifier) problem(p Problem) { v.report.Problems = append(v.report.Problems, p) }

func (v *verifier) unverifiable(repo, path, reason string) {
	v.report.Unverifiable = append(v.report.Unverifiable, Unverifiable{Repo: repo, Path: path, Reason: reason})
}

func int64p(n int64) *int64 { return &n }

// plan turns one target into problems found from names and sizes alone,
// and hash jobs.
func (v *verifier) plan(t VerifyTarget) {
	r := t.Repo
	id := r.CacheID()
	if r.Link != "" {
		v.report.Warnings = append(v.report.Warnings, fmt.Sprintf("%s: the repo folder is a symlink to %s; not followed, verify its target", r.Path, r.Link))
		return
	}
	v.report.Repos++
	blobAt := map[string]int{}
	for i, b := range r.Blobs {
		blobAt[b.Path] = i
	}

	// Tree listings: every one of the repo gives sizes; the selected
	// revisions' are compared with their snapshots.
	listings := map[string]*TreeListing{}
	sizes := map[string]int64{} // blob name -> size the Hub gives
	if des, err := listDir(filepath.Join(r.Path, "trees")); err == nil {
		for _, d := range des {
			commit, ok := strings.CutSuffix(d.Name(), ".json")
			if !ok {
				continue
			}
			tl, err := ReadTreeListing(r.Path, commit)
			if err != nil {
				v.report.Warnings = append(v.report.Warnings, fmt.Sprintf("%s: ignored: %v", id, errText(err)))
				continue
			}
			listings[commit] = tl
			for _, e := range tl.Files {
				if _, digest, size := e.Expect(); digest != "" {
					sizes[digest] = size
				}
			}
		}
	}

	var revs []*Revision
	want := map[string]bool{}
	for _, h := range t.Revisions {
		want[h] = true
	}
	for i := range r.Revisions {
		if t.Revisions == nil || want[r.Revisions[i].Hash] {
			revs = append(revs, &r.Revisions[i])
		}
	}
	v.report.Revisions += len(revs)

	// Blob entries: all of them for a whole repo, else those the chosen
	// revisions use (through their first hop).
	var blobs []int
	if t.Revisions == nil {
		for i := range r.Blobs {
			blobs = append(blobs, i)
		}
	} else {
		seen := map[int]bool{}
		for _, rev := range revs {
			for _, f := range rev.Files {
				i := f.Blob
				if i < 0 && f.Kind == FileLink {
					i = v.hopBlob(f, blobAt)
				}
				if i >= 0 && !seen[i] {
					seen[i] = true
					blobs = append(blobs, i)
				}
			}
		}
		sort.Ints(blobs)
	}
	for _, i := range blobs {
		b := r.Blobs[i]
		if b.Kind != BlobEntry {
			continue
		}
		if b.Missing {
			v.problem(Problem{Kind: ProblemBroken, Repo: id, Path: b.Path,
				Message: "blob entry is a dangling link" + linkText(b.Path)})
			continue
		}
		name := filepath.Base(b.Path)
		algo := NameAlgo(name)
		if algo == "" {
			v.unverifiable(id, b.Path, "blob name is neither a SHA-256 nor a git SHA-1")
			continue
		}
		size := int64(-1)
		if s, ok := sizes[name]; ok {
			size = s
		}
		v.add(b, check{repo: id, path: b.Path, algo: algo, expected: name, expectedSize: size})
	}

	for _, rev := range revs {
		for _, f := range rev.Files {
			if f.Kind == FileLink && f.Blob < 0 && v.hopBlob(f, blobAt) < 0 {
				v.problem(Problem{Kind: ProblemBroken, Repo: id, Revision: rev.Hash, File: f.RelPath, Path: f.Path,
					Message: "snapshot link leads nowhere (-> " + f.Target + ")"})
			}
		}
		if rev.Link != "" {
			continue
		}
		tl := listings[rev.Hash]
		if tl == nil {
			for _, f := range rev.Files {
				switch {
				case f.Kind == FileCopy:
					v.unverifiable(id, f.Path, "a real file, and the commit has no tree listing")
				case f.Kind == FileLink && f.Blob >= 0 && r.Blobs[f.Blob].Kind == BlobExternal:
					v.unverifiable(id, f.Path, "links outside the repo's blobs, and the commit has no tree listing")
				}
			}
			continue
		}
		v.report.Trees++
		v.compareTree(r, rev, tl, blobAt)
	}
}

// compareTree checks one snapshot against the tree listing of its commit.
func (v *verifier) compareTree(r *Repo, rev *Revision, tl *TreeListing, blobAt map[string]int) {
	id := r.CacheID()
	files := map[string]*File{}
	for i := range rev.Files {
		files[rev.Files[i].RelPath] = &rev.Files[i]
	}
	names := make([]string, 0, len(tl.Files))
	for name := range tl.Files {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		e := tl.Files[name]
		algo, digest, size := e.Expect()
		f := files[name]
		if f == nil {
			v.problem(Problem{Kind: ProblemMissing, Repo: id, Revision: rev.Hash, File: name,
				Path: filepath.Join(rev.Path, filepath.FromSlash(name)), Message: "listed in the commit's tree, not in the snapshot"})
			continue
		}
		if f.Kind == FileLink && f.Blob < 0 {
			continue // reported as broken
		}
		if f.Kind == FileSpecial {
			v.unverifiable(id, f.Path, "not a regular file; never read")
			continue
		}
		if algo == "" {
			v.unverifiable(id, f.Path, "the tree listing gives no usable digest")
			continue
		}
		b := r.Blobs[f.Blob]
		if b.Kind == BlobEntry && NameAlgo(filepath.Base(b.Path)) != "" {
			// The blob's own name is checked against its content; here
			// only that the snapshot links the blob the commit has.
			if bn := filepath.Base(b.Path); bn != digest {
				v.problem(Problem{Kind: ProblemMismatch, Repo: id, Revision: rev.Hash, File: name, Path: f.Path,
					Algo: algo, Expected: digest, Actual: bn,
					Message: "links blob " + bn + ", the commit's tree lists " + digest})
			}
			continue
		}
		v.add(b, check{repo: id, rev: rev.Hash, file: name, path: f.Path, algo: algo, expected: digest, expectedSize: size})
	}
	for _, f := range rev.Files {
		if _, ok := tl.Files[f.RelPath]; !ok {
			v.problem(Problem{Kind: ProblemExtra, Repo: id, Revision: rev.Hash, File: f.RelPath, Path: f.Path,
				Message: "in the snapshot, not in the commit's tree"})
		}
	}
}

// hopBlob returns the index of the blob entry a broken snapshot link's
// first hop names, or -1.
func (v *verifier) hopBlob(f File, blobAt map[string]int) int {
	if f.Target == "" {
		return -1
	}
	hop := f.Target
	if !filepath.IsAbs(hop) {
		hop = filepath.Join(filepath.Dir(f.Path), hop)
	}
	if i, ok := blobAt[filepath.Clean(hop)]; ok {
		return i
	}
	return -1
}

// add records an expectation about blob b's content: refused on its size
// when a listing gives another, else attached to the hash job of that
// content.
func (v *verifier) add(b Blob, c check) {
	st := b.Stat
	if !st.Mode.IsRegular() {
		// A FIFO would block the read; a device is not content.
		v.unverifiable(c.repo, c.path, "not a regular file ("+kindName(st.Mode)+"); never read")
		return
	}
	if v.opts.Root != "" && !insideRoot(v.opts.Root, b.Path) {
		v.unverifiable(c.repo, c.path, "leads outside the cache; never read")
		return
	}
	if c.expectedSize >= 0 && st.Size != c.expectedSize {
		kind, what := ProblemMismatch, "longer"
		if st.Size < c.expectedSize {
			kind, what = ProblemTruncated, "shorter"
		}
		v.report.Checked++
		v.problem(Problem{Kind: kind, Repo: c.repo, Revision: c.rev, File: c.file, Path: c.path, Algo: c.algo,
			Expected: c.expected, Size: int64p(st.Size), ExpectedSize: int64p(c.expectedSize),
			Message: fmt.Sprintf("%d bytes, %s than the %d the tree listing gives", st.Size, what, c.expectedSize)})
		return
	}
	key := jobKey{DigestKey: DigestKey{FileID: idOf(st), Algo: c.algo}}
	if st.Ino == 0 {
		key.path = b.Path
	}
	j := v.jobs[key]
	if j == nil {
		j = &hashJob{key: key.DigestKey, open: b.Path}
		v.jobs[key] = j
		v.order = append(v.order, j)
	}
	j.checks = append(j.checks, c)
}

// run hashes every job, largest first, Jobs at a time.
func (v *verifier) run() {
	opts := v.opts
	var todo []*hashJob
	for _, j := range v.order {
		v.report.Seen[j.key] = true
		if d, ok := opts.Known[j.key]; ok && j.key.Ino != 0 {
			j.digest, j.size, j.reused = d, j.key.Size, true
			continue
		}
		todo = append(todo, j)
	}
	sort.SliceStable(todo, func(a, b int) bool { return todo[a].key.Size > todo[b].key.Size })
	if p := opts.Progress; p != nil {
		var total int64
		for _, j := range todo {
			total += j.key.Size
		}
		p.TotalBytes.Store(total)
		p.TotalFiles.Store(int64(len(todo)))
	}
	n := opts.Jobs
	if n <= 0 {
		n = runtime.NumCPU()
	}
	work := make(chan *hashJob)
	var wg sync.WaitGroup
	for range min(n, len(todo)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, 1<<20)
			for j := range work {
				j.digest, j.size, j.err = hashFile(j.open, j.key, buf, opts.Progress)
				if p := opts.Progress; p != nil {
					p.DoneFiles.Add(1)
				}
			}
		}()
	}
	for _, j := range todo {
		work <- j
	}
	close(work)
	wg.Wait()
}

// errChanged is returned for a file that changed while it was read.
var errChanged = errors.New("the file changed while it was read")

// hashFile hashes the content at path (symlinks followed) with the
// algorithm of key. It returns the digest and the size read.
func hashFile(path string, key DigestKey, buf []byte, p *VerifyProgress) (string, int64, error) {
	// O_NONBLOCK: a file swapped for a FIFO since the scan must not hang
	// the run; it is refused below. O_NOATIME (openFileRead): hashing
	// every blob must not make each look used today.
	f, err := openFileRead(path, os.O_RDONLY|syscall.O_NONBLOCK)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	before, err := f.Stat()
	if err != nil {
		return "", 0, err
	}
	if !before.Mode().IsRegular() {
		return "", 0, fmt.Errorf("not a regular file (%s)", kindName(before.Mode()))
	}
	var h hash.Hash
	switch key.Algo {
	case SHA256:
		h = sha256.New()
	case GitSHA1:
		h = sha1.New()
		h.Write([]byte("blob " + strconv.FormatInt(before.Size(), 10) + "\x00"))
	default:
		return "", 0, fmt.Errorf("unknown hash %q", key.Algo)
	}
	var n int64
	for {
		m, err := f.Read(buf)
		if m > 0 {
			h.Write(buf[:m])
			n += int64(m)
			if p != nil {
				p.DoneBytes.Add(int64(m))
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return "", n, err
		}
	}
	after, err := f.Stat()
	if err != nil {
		return "", n, err
	}
	if n != before.Size() || after.Size() != before.Size() || !after.ModTime().Equal(before.ModTime()) {
		return "", n, errChanged
	}
	if idOf(statOf(after)) != key.FileID && key.Ino != 0 {
		// Replaced since the scan: the digest is of another file, not to
		// be kept under the scanned identity.
		return hex.EncodeToString(h.Sum(nil)), n, errChanged
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}

// judge compares every job's digest with its expectations.
func (v *verifier) judge() {
	rep := v.report
	now := v.order
	for _, j := range now {
		rep.Checked++
		switch {
		case j.reused:
			rep.Reused++
		case j.err == nil:
			rep.Hashed++
			rep.HashedBytes += j.size
			if j.key.Ino != 0 {
				rep.Digests = append(rep.Digests, Digest{Key: j.key, Hex: j.digest})
			}
		default:
			rep.HashedBytes += j.size
		}
		for _, c := range j.checks {
			p := Problem{Repo: c.repo, Revision: c.rev, File: c.file, Path: c.path, Algo: c.algo, Expected: c.expected}
			if c.expectedSize >= 0 {
				p.ExpectedSize = int64p(c.expectedSize)
			}
			if j.err != nil {
				p.Kind, p.Message = ProblemUnreadable, "cannot read: "+errText(j.err)
				v.problem(p)
				continue
			}
			if j.digest == c.expected {
				continue
			}
			p.Actual, p.Size = j.digest, int64p(j.size)
			switch {
			case j.size == 0:
				p.Kind, p.Message = ProblemTruncated, "empty; its content should hash to "+c.expected
			case c.expectedSize >= 0 && j.size < c.expectedSize:
				p.Kind, p.Message = ProblemTruncated, fmt.Sprintf("%d of %d bytes", j.size, c.expectedSize)
			default:
				p.Kind, p.Message = ProblemMismatch, fmt.Sprintf("%s is %s, expected %s", c.algo, j.digest, c.expected)
			}
			v.problem(p)
		}
	}
}

// linkText returns " to <target>" for a symlink, "" otherwise.
func linkText(p string) string {
	if t, err := os.Readlink(p); err == nil {
		return " to " + t
	}
	return ""
}

// ScanRepo scans the single repo folder named folder in the cache at root
// (absolute and resolved), as Scan would. It returns an error wrapping
// fs.ErrNotExist when there is no such folder, and a *Repo with Problems
// for a folder that exists but is damaged.
func ScanRepo(root, folder string) (*Repo, error) {
	typ, id, err := ParseFolderName(folder)
	if err != nil {
		return nil, err
	}
	path := filepath.Join(root, folder)
	fi, err := os.Lstat(path)
	if err != nil {
		return nil, err
	}
	s := NewWalker(root, Options{}).s
	if fi.Mode()&fs.ModeSymlink != 0 {
		r, _, _ := s.linkedRepo(fs.FileInfoToDirEntry(fi), path, typ, id, nil)
		if r == nil {
			return nil, fmt.Errorf("%s: unreadable symlink", path)
		}
		return r, nil
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("%s: not a directory", path)
	}
	r := s.repo(folder, path, typ, id)
	return r, nil
}
