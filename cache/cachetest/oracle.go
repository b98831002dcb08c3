package cachetest

import (
	"fmt"
	"math"
	"path"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Expected is what huggingface_hub's scan_cache_dir() reports for a cache,
// as computed by Expect. Paths are relative to the cache root, posix, and
// start with OutsidePrefix for files outside it. A time the spec leaves
// unset is NaN, and a size nobody can know (a directory's) is -1; Diff
// treats both as "anything".
type Expected struct {
	// SizeOnDisk is HFCacheInfo.size_on_disk: the sizes of the distinct
	// blob paths of the healthy repos (paths, not inodes: a symlinked repo
	// folder counts its blobs again) and, when the store is marked, every
	// valid payload once instead of the repo entries that link to one
	// (shared-blobs.md §2.3).
	SizeOnDisk int64
	// LogicalSize is the plain sum of the repos' SizeOnDisk: the 1.29 total
	// and the `hf cache ls` footer.
	LogicalSize int64
	// StoreMarked reports whether `<cache>/blobs` is a marked shared store.
	StoreMarked bool
	// Repos are the healthy repos, sorted by Folder.
	Repos []ExpectedRepo
	// Warned are the top-level entries the library warns about, sorted.
	Warned []string
	// Aborted are the top-level entries on which huggingface_hub (Python ≤
	// 3.12) raises and aborts the whole scan (symlink loops, dangling
	// revision symlinks, unreadable or undecodable refs). They are in
	// Warned too, which is what a scanner that does not abort reports.
	Aborted []string
	// Incomplete are the `*/blobs/*.incomplete` entries, sorted by Path.
	Incomplete []ExpectedIncomplete
}

// ExpectedRepo is a CachedRepoInfo.
type ExpectedRepo struct {
	Folder, RepoID, RepoType   string
	SizeOnDisk                 int64
	NbFiles                    int
	LastAccessed, LastModified float64
	// Refs maps each ref name to its commit.
	Refs map[string]string
	// Revisions are sorted by CommitHash.
	Revisions []ExpectedRevision
}

// ExpectedRevision is a CachedRevisionInfo.
type ExpectedRevision struct {
	CommitHash   string
	SizeOnDisk   int64
	NbFiles      int
	LastModified float64
	// Refs are sorted.
	Refs []string
	// Files are sorted by FilePath.
	Files []ExpectedFile
}

// ExpectedFile is a CachedFileInfo.
type ExpectedFile struct {
	// FileName is the base name.
	FileName string
	// FilePath is the snapshot entry, e.g.
	// "models--org--x/snapshots/<hash>/sub/f.txt".
	FilePath string
	// BlobPath is the first hop "<folder>/blobs/<etag>" for a link into the
	// repo's blobs (even when that entry links on into the store), the
	// fully resolved target for any other link, and FilePath for a file.
	BlobPath                           string
	SizeOnDisk                         int64
	BlobLastAccessed, BlobLastModified float64
}

// ExpectedIncomplete is a CachedIncompleteFileInfo.
type ExpectedIncomplete struct {
	Path string
	Size int64
}

// ExpectOptions selects the huggingface_hub version Expect reproduces.
type ExpectOptions struct {
	// RejectKernels reproduces the scanner before huggingface_hub #4905
	// (1.29 and older), which warns about `kernels--` folders.
	RejectKernels bool
}

// Expect returns what huggingface_hub's scan_cache_dir() reports for the
// cache Build writes from c (current version, kernels accepted). It never
// looks at the disk. It panics if c is inconsistent, which Build reports as
// an error.
func Expect(c Cache) Expected { return ExpectWith(c, ExpectOptions{}) }

// ExpectWith is Expect for the huggingface_hub version o selects.
func ExpectWith(c Cache, o ExpectOptions) Expected {
	v, err := plan(c)
	if err != nil {
		panic("cachetest.Expect: " + err.Error())
	}
	s := &scanner{v: v, o: o}
	return s.scan()
}

// filesToIgnore is FILES_TO_IGNORE, the OS helper files.
var filesToIgnore = []string{".DS_Store", "Thumbs.db", "desktop.ini"}

var (
	xetHashRE = regexp.MustCompile(`^[0-9a-f]{64}$`)
	prefixRE  = regexp.MustCompile(`^[0-9a-f]{2}$`)
	repoDirRE = regexp.MustCompile(`^(?:models|datasets|spaces)--.+$`)
)

type outcome int

const (
	healthy outcome = iota
	warned
	aborted
)

type scanner struct {
	v *vfs
	o ExpectOptions
}

func (s *scanner) isDir(p string) bool {
	n, err := s.v.stat(p)
	return err == nil && n.kind == kDir
}

func (s *scanner) isFile(p string) bool {
	n, err := s.v.stat(p)
	return err == nil && n.kind == kFile
}

func (s *scanner) exists(p string) bool {
	_, err := s.v.stat(p)
	return err == nil
}

func (s *scanner) isSymlink(p string) bool {
	n, err := s.v.lstat(p)
	return err == nil && n.kind == kLink
}

func (s *scanner) lstatKind(p string) (nodeKind, bool) {
	n, err := s.v.lstat(p)
	if err != nil {
		return 0, false
	}
	return n.kind, true
}

// list returns the sorted names in directory p (following symlinks).
func (s *scanner) list(p string) []string {
	n, err := s.v.stat(p)
	if err != nil || n.kind != kDir {
		return nil
	}
	names := make([]string, 0, len(n.kids))
	for name := range n.kids {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

// globAll is pathlib's Path.glob("**/*") (Python 3.11): every entry below p,
// hidden ones included, without descending into symlinked directories; no
// entry when p is not a directory.
func (s *scanner) globAll(p string) []string {
	var out []string
	var walk func(dir string)
	walk = func(dir string) {
		names := s.list(dir)
		for _, name := range names {
			out = append(out, dir+"/"+name)
		}
		for _, name := range names {
			c := dir + "/" + name
			if k, _ := s.lstatKind(c); k == kDir {
				walk(c)
			}
		}
	}
	if s.isDir(p) {
		walk(p)
	}
	return out
}

// realpath is Path.resolve() (Python 3.11, strict=False): symlinks are
// resolved, missing components kept lexically; loop reports a symlink loop,
// on which Python raises RuntimeError.
func (s *scanner) realpath(p string) (string, bool) {
	seen := map[string]*string{}
	var join func(base, rest string) (string, bool, bool)
	// join returns the resolved path, whether it resolved, and whether a
	// loop was met.
	join = func(base, rest string) (string, bool, bool) {
		if strings.HasPrefix(rest, "/") {
			base = "/"
		}
		for _, name := range strings.Split(rest, "/") {
			switch name {
			case "", ".":
				continue
			case "..":
				base = path.Dir(base)
				continue
			}
			np := path.Join(base, name)
			n := s.v.get(np)
			if n == nil || n.kind != kLink {
				base = np
				continue
			}
			if r, ok := seen[np]; ok {
				if r != nil {
					base = *r
					continue
				}
				return np, false, true
			}
			seen[np] = nil
			res, ok, loop := join(base, n.target)
			if !ok {
				return res, false, loop
			}
			seen[np] = &res
			base = res
		}
		return base, true, false
	}
	r, _, loop := join("/", p)
	if loop {
		return r, true
	}
	// Python stats the result to turn ELOOP into RuntimeError.
	if _, err := s.v.stat(r); err == errLoop {
		return r, true
	}
	return r, false
}

// readText is Path.read_text(): the content decoded as UTF-8 with universal
// newlines; ok is false when decoding fails (Python raises).
func readText(n *node) (string, bool) {
	var b []byte
	if n.content.zeros {
		b = make([]byte, n.content.size)
	} else {
		b = n.content.data
	}
	if !utf8.Valid(b) {
		return "", false
	}
	t := strings.ReplaceAll(string(b), "\r\n", "\n")
	return strings.ReplaceAll(t, "\r", "\n"), true
}

func seconds(t time.Time) float64 {
	if t.IsZero() {
		return math.NaN()
	}
	return float64(t.Unix()) + float64(t.Nanosecond())*1e-9
}

func size(n *node) int64 {
	switch n.kind {
	case kFile:
		return n.content.size
	case kFIFO:
		return 0
	}
	return -1
}

// rel is the Expected form of a vfs path.
func rel(p string) string { return show(p) }

// isSharedBlobsDir is is_shared_blobs_dir; abort reports a marker Python
// fails to decode.
func (s *scanner) isSharedBlobsDir(p string) (marked, abort bool) {
	if k, ok := s.lstatKind(p); !ok || k != kDir {
		return false, false
	}
	m, err := s.v.lstat(p + "/.huggingface-shared-blobs")
	if err != nil || m.kind != kFile {
		return false, false
	}
	t, ok := readText(m)
	if !ok {
		return false, true
	}
	return t == "1\n", false
}

func (s *scanner) scan() Expected {
	var e Expected
	root := vCache
	storeDir := root + "/blobs"
	marked, markerAbort := s.isSharedBlobsDir(storeDir)
	e.StoreMarked = marked
	blobPaths := map[string]bool{}
	for _, name := range s.list(root) {
		if slices.Contains(filesToIgnore, name) || name == ".locks" || name == "CACHEDIR.TAG" {
			continue
		}
		if name == "blobs" {
			if markerAbort {
				e.Warned = append(e.Warned, name)
				e.Aborted = append(e.Aborted, name)
				continue
			}
			if marked {
				continue
			}
		}
		r, blobs, out := s.repo(root + "/" + name)
		switch out {
		case healthy:
			e.Repos = append(e.Repos, r)
			e.LogicalSize += r.SizeOnDisk
			for _, b := range blobs {
				if !marked || s.sharedTarget(b) == "" {
					blobPaths[b] = true
				}
			}
		case warned:
			e.Warned = append(e.Warned, name)
		case aborted:
			e.Warned = append(e.Warned, name)
			e.Aborted = append(e.Aborted, name)
		}
	}
	if marked {
		for _, p := range s.storePayloads(storeDir) {
			blobPaths[p] = true
		}
	}
	for p := range blobPaths {
		if n, err := s.v.stat(p); err == nil {
			e.SizeOnDisk += size(n)
		}
	}
	e.Incomplete = s.incomplete(root)
	return e
}

// repo is _scan_cached_repo; it returns the repo, its blob paths and the
// outcome.
func (s *scanner) repo(repo string) (ExpectedRepo, []string, outcome) {
	var r ExpectedRepo
	name := path.Base(repo)
	r.Folder = name
	if !s.isDir(repo) {
		return r, nil, warned
	}
	typ, id, ok := strings.Cut(name, "--")
	if !ok {
		return r, nil, warned
	}
	// Python drops the last code point; a byte that is not UTF-8 is one
	// code point under surrogateescape, as DecodeLastRune counts it.
	_, n := utf8.DecodeLastRuneInString(typ)
	typ = typ[:len(typ)-n]
	r.RepoType, r.RepoID = typ, strings.ReplaceAll(id, "--", "/")
	switch typ {
	case "model", "dataset", "space":
	case "kernel":
		if s.o.RejectKernels {
			return r, nil, warned
		}
	default:
		return r, nil, warned
	}

	snaps, refsDir := repo+"/snapshots", repo+"/refs"
	if !s.exists(snaps) || !s.isDir(snaps) {
		return r, nil, warned
	}

	refsByHash := map[string][]string{}
	if s.exists(refsDir) {
		if s.isFile(refsDir) {
			return r, nil, warned
		}
		for _, rp := range s.globAll(refsDir) {
			if s.isDir(rp) || slices.Contains(filesToIgnore, path.Base(rp)) {
				continue
			}
			n, err := s.v.stat(rp)
			if err != nil || n.kind != kFile {
				// A dangling or looping link raises; reading a FIFO
				// blocks forever.
				return r, nil, aborted
			}
			hash, ok := readText(n)
			if !ok {
				return r, nil, aborted
			}
			refsByHash[hash] = append(refsByHash[hash], strings.TrimPrefix(rp, refsDir+"/"))
		}
	}

	type fileRec struct {
		file ExpectedFile
		blob string
	}
	stats := map[string]*node{}
	var blobOrder []string
	r.Refs = map[string]string{}
	for _, revName := range s.list(snaps) {
		if slices.Contains(filesToIgnore, revName) {
			continue
		}
		rp := snaps + "/" + revName
		if s.isFile(rp) {
			return r, nil, warned
		}
		var files []fileRec
		for _, fp := range s.globAll(rp) {
			if s.isDir(fp) {
				continue
			}
			blob := fp
			if s.isSymlink(fp) {
				ln, _ := s.v.lstat(fp)
				first := ln.target
				if !strings.HasPrefix(first, "/") {
					first = path.Dir(fp) + "/" + first
				}
				first = path.Clean(first)
				if path.Dir(first) == repo+"/blobs" {
					blob = first
				} else {
					var loop bool
					blob, loop = s.realpath(fp)
					if loop {
						return r, nil, aborted
					}
				}
			}
			n, err := s.v.stat(blob)
			if err != nil {
				return r, nil, warned // Blob missing (broken symlink)
			}
			if _, ok := stats[blob]; !ok {
				stats[blob] = n
				blobOrder = append(blobOrder, blob)
			}
			files = append(files, fileRec{
				file: ExpectedFile{
					FileName:         path.Base(fp),
					FilePath:         rel(fp),
					BlobPath:         rel(blob),
					SizeOnDisk:       size(n),
					BlobLastAccessed: seconds(n.times.Atime),
					BlobLastModified: seconds(n.times.Mtime),
				},
				blob: blob,
			})
		}
		rev := ExpectedRevision{CommitHash: revName, NbFiles: len(files)}
		if len(files) == 0 {
			n, err := s.v.stat(rp)
			if err != nil {
				return r, nil, aborted
			}
			rev.LastModified = seconds(n.times.Mtime)
		} else {
			rev.LastModified = math.Inf(-1)
			distinct := map[string]bool{}
			for _, f := range files {
				rev.LastModified = math.Max(rev.LastModified, f.file.BlobLastModified)
				if !distinct[f.blob] {
					distinct[f.blob] = true
					rev.SizeOnDisk += f.file.SizeOnDisk
				}
				rev.Files = append(rev.Files, f.file)
			}
		}
		slices.SortFunc(rev.Files, func(a, b ExpectedFile) int { return strings.Compare(a.FilePath, b.FilePath) })
		rev.Refs = refsByHash[revName]
		delete(refsByHash, revName)
		slices.Sort(rev.Refs)
		for _, ref := range rev.Refs {
			r.Refs[ref] = revName
		}
		r.Revisions = append(r.Revisions, rev)
	}
	if len(refsByHash) > 0 {
		return r, nil, warned
	}

	if len(stats) > 0 {
		r.LastAccessed, r.LastModified = math.Inf(-1), math.Inf(-1)
		for _, n := range stats {
			r.SizeOnDisk += size(n)
			r.LastAccessed = math.Max(r.LastAccessed, seconds(n.times.Atime))
			r.LastModified = math.Max(r.LastModified, seconds(n.times.Mtime))
		}
	} else {
		n, _ := s.v.stat(repo)
		r.LastAccessed, r.LastModified = seconds(n.times.Atime), seconds(n.times.Mtime)
	}
	r.NbFiles = len(stats)
	slices.SortFunc(r.Revisions, func(a, b ExpectedRevision) int { return strings.Compare(a.CommitHash, b.CommitHash) })
	return r, blobOrder, healthy
}

// sharedTarget is shared_blob_target: the payload a repo blob entry links
// to, or "".
func (s *scanner) sharedTarget(blob string) string {
	relPath, ok := strings.CutPrefix(blob, vCache+"/")
	if !ok {
		return ""
	}
	parts := strings.Split(relPath, "/")
	if len(parts) != 3 || !repoDirRE.MatchString(parts[0]) || parts[1] != "blobs" || parts[2] == "" ||
		strings.ContainsAny(relPath, "\n\r") {
		return ""
	}
	ln, err := s.v.lstat(blob)
	if err != nil || ln.kind != kLink {
		return ""
	}
	t := ln.target
	if !strings.HasPrefix(t, "/") {
		t = path.Dir(blob) + "/" + t
	}
	t = path.Clean(t)
	inStore, ok := strings.CutPrefix(t, vCache+"/blobs/")
	if !ok {
		return ""
	}
	parts = strings.Split(inStore, "/")
	if len(parts) != 2 || !xetHashRE.MatchString(parts[1]) || parts[0] != parts[1][:2] {
		return ""
	}
	if k, ok := s.lstatKind(t); !ok || k != kFile {
		return ""
	}
	return t
}

// storePayloads is shared_store_blob_paths.
func (s *scanner) storePayloads(store string) []string {
	var out []string
	for _, prefix := range s.list(store) {
		pd := store + "/" + prefix
		if k, ok := s.lstatKind(pd); !prefixRE.MatchString(prefix) || !ok || k != kDir {
			continue
		}
		for _, name := range s.list(pd) {
			p := pd + "/" + name
			if k, ok := s.lstatKind(p); xetHashRE.MatchString(name) && strings.HasPrefix(name, prefix) && ok && k == kFile {
				out = append(out, p)
			}
		}
	}
	return out
}

// incomplete is _scan_incomplete_files: glob("*/blobs/*.incomplete").
func (s *scanner) incomplete(root string) []ExpectedIncomplete {
	var out []ExpectedIncomplete
	for _, top := range s.list(root) {
		blobs := root + "/" + top + "/blobs"
		if !s.isDir(root+"/"+top) || !s.isDir(blobs) {
			continue
		}
		for _, name := range s.list(blobs) {
			if !strings.HasSuffix(name, ".incomplete") {
				continue
			}
			p := blobs + "/" + name
			if n, err := s.v.stat(p); err == nil {
				out = append(out, ExpectedIncomplete{Path: rel(p), Size: size(n)})
			}
		}
	}
	slices.SortFunc(out, func(a, b ExpectedIncomplete) int { return strings.Compare(a.Path, b.Path) })
	return out
}

// Diff compares what a scanner reported (got, converted to Expected form,
// e.g. with Built.Rel) with what Expect predicted (want) and returns one line
// per difference, none when they agree. NaN times and -1 sizes in want match
// anything; LogicalSize (a sum of the repos), Aborted and StoreMarked are
// not compared.
func Diff(want, got Expected) []string {
	var d []string
	add := func(format string, args ...any) { d = append(d, fmt.Sprintf(format, args...)) }
	if want.SizeOnDisk != got.SizeOnDisk {
		add("size_on_disk = %d, want %d", got.SizeOnDisk, want.SizeOnDisk)
	}
	if !slices.Equal(want.Warned, got.Warned) {
		add("warned = %q, want %q", got.Warned, want.Warned)
	}
	diffSlice(&d, "incomplete", want.Incomplete, got.Incomplete,
		func(x ExpectedIncomplete) string { return x.Path },
		func(p string, w, g ExpectedIncomplete) {
			if w.Size != -1 && w.Size != g.Size {
				add("%s: size = %d, want %d", p, g.Size, w.Size)
			}
		})
	diffSlice(&d, "repo", want.Repos, got.Repos,
		func(x ExpectedRepo) string { return x.Folder },
		func(p string, w, g ExpectedRepo) {
			if w.RepoID != g.RepoID || w.RepoType != g.RepoType {
				add("%s: id = %s/%q, want %s/%q", p, g.RepoType, g.RepoID, w.RepoType, w.RepoID)
			}
			if w.SizeOnDisk != g.SizeOnDisk {
				add("%s: size_on_disk = %d, want %d", p, g.SizeOnDisk, w.SizeOnDisk)
			}
			if w.NbFiles != g.NbFiles {
				add("%s: nb_files = %d, want %d", p, g.NbFiles, w.NbFiles)
			}
			diffTime(&d, p+": last_accessed", w.LastAccessed, g.LastAccessed)
			diffTime(&d, p+": last_modified", w.LastModified, g.LastModified)
			if !mapsEqual(w.Refs, g.Refs) {
				add("%s: refs = %v, want %v", p, g.Refs, w.Refs)
			}
			diffSlice(&d, p+": revision", w.Revisions, g.Revisions,
				func(x ExpectedRevision) string { return x.CommitHash },
				func(p string, w, g ExpectedRevision) {
					if w.SizeOnDisk != g.SizeOnDisk {
						add("%s: size_on_disk = %d, want %d", p, g.SizeOnDisk, w.SizeOnDisk)
					}
					if w.NbFiles != g.NbFiles {
						add("%s: nb_files = %d, want %d", p, g.NbFiles, w.NbFiles)
					}
					diffTime(&d, p+": last_modified", w.LastModified, g.LastModified)
					if !slices.Equal(w.Refs, g.Refs) && len(w.Refs)+len(g.Refs) > 0 {
						add("%s: refs = %q, want %q", p, g.Refs, w.Refs)
					}
					diffSlice(&d, "file", w.Files, g.Files,
						func(x ExpectedFile) string { return x.FilePath },
						func(p string, w, g ExpectedFile) {
							if w.FileName != g.FileName {
								add("%s: file_name = %q, want %q", p, g.FileName, w.FileName)
							}
							if w.BlobPath != g.BlobPath {
								add("%s: blob_path = %q, want %q", p, g.BlobPath, w.BlobPath)
							}
							if w.SizeOnDisk != g.SizeOnDisk {
								add("%s: size_on_disk = %d, want %d", p, g.SizeOnDisk, w.SizeOnDisk)
							}
							diffTime(&d, p+": blob_last_accessed", w.BlobLastAccessed, g.BlobLastAccessed)
							diffTime(&d, p+": blob_last_modified", w.BlobLastModified, g.BlobLastModified)
						})
				})
		})
	return d
}

func diffTime(d *[]string, what string, want, got float64) {
	if !math.IsNaN(want) && want != got {
		*d = append(*d, fmt.Sprintf("%s = %.9f, want %.9f", what, got, want))
	}
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// diffSlice matches want and got by key, reports missing and unexpected
// elements and calls same on each pair.
func diffSlice[T any](d *[]string, what string, want, got []T, key func(T) string, same func(string, T, T)) {
	gm := map[string]T{}
	for _, g := range got {
		gm[key(g)] = g
	}
	wm := map[string]bool{}
	for _, w := range want {
		k := key(w)
		wm[k] = true
		g, ok := gm[k]
		if !ok {
			*d = append(*d, fmt.Sprintf("missing %s %s", what, k))
			continue
		}
		same(k, w, g)
	}
	for _, g := range got {
		if k := key(g); !wm[k] {
			*d = append(*d, fmt.Sprintf("unexpected %s %s", what, k))
		}
	}
}
