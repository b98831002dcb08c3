package cache

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"sync"
	"syscall"
	"unicode/utf8"
)

// osHelperFiles are skipped at the cache root, in refs/ and in snapshots/,
// as huggingface_hub does.
var osHelperFiles = map[string]bool{".DS_Store": true, "Thumbs.db": true, "desktop.ini": true}

// maxHops bounds how many symlinks hfidx follows in one chain (Linux's
// own limit is 40).
const maxHops = 40

// maxRefSize is the largest ref file hfidx reads; a ref holds a commit hash.
const maxRefSize = 1024

var (
	refTmpRe    = regexp.MustCompile(`\.[0-9a-f]{8}\.tmp$`)
	storePrefix = regexp.MustCompile(`^[0-9a-f]{2}$`)
	storeHash   = regexp.MustCompile(`^[0-9a-f]{64}$`)
)

// Handler receives what a Scan finds. Calls are serialised; any nil func
// is skipped. An error returned by a func stops the scan and is returned.
type Handler struct {
	Repo       func(*Repo) error
	Warning    func(Warning) error // problems with top-level entries that are not repos
	Incomplete func(Incomplete) error
	Payload    func(Payload) error
}

// Options tunes a Scan.
type Options struct {
	Jobs int // repos scanned in parallel; 0 means the number of CPUs
}

// Summary is what a Scan learns about the cache as a whole.
type Summary struct {
	Root  string
	Store bool // <root>/blobs is a marked shared blob store
}

// Scan walks the cache at root, which must be an absolute, resolved
// directory (see ResolveDir), and reports every repo, warning, interrupted
// download and store payload to h. Problems inside the cache never stop it;
// it returns an error only when root cannot be listed or h fails.
func Scan(root string, opts Options, h Handler) (Summary, error) {
	sum := Summary{Root: root}
	entries, err := os.ReadDir(root)
	if err != nil {
		return sum, fmt.Errorf("list cache %s: %w", root, err)
	}
	sum.Store = IsStore(root)
	s := &scanner{root: root, store: sum.Store, stats: map[string]statResult{}}

	var mu sync.Mutex
	var herr error
	emit := func(f func() error) {
		mu.Lock()
		defer mu.Unlock()
		if herr == nil {
			herr = f()
		}
	}
	if sum.Store && h.Payload != nil {
		s.scanStore(func(p Payload) { emit(func() error { return h.Payload(p) }) },
			func(w Warning) { emit(func() error { return callWarning(h, w) }) })
	}

	jobs := opts.Jobs
	if jobs <= 0 {
		jobs = runtime.NumCPU()
	}
	work := make(chan fs.DirEntry)
	var wg sync.WaitGroup
	for i := 0; i < jobs; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for e := range work {
				r, ws, inc := s.entry(e)
				for _, w := range ws {
					emit(func() error { return callWarning(h, w) })
				}
				for _, in := range inc {
					emit(func() error {
						if h.Incomplete == nil {
							return nil
						}
						return h.Incomplete(in)
					})
				}
				if r != nil && h.Repo != nil {
					emit(func() error { return h.Repo(r) })
				}
			}
		}()
	}
	for _, e := range entries {
		mu.Lock()
		stop := herr != nil
		mu.Unlock()
		if stop {
			break
		}
		work <- e
	}
	close(work)
	wg.Wait()
	return sum, herr
}

func callWarning(h Handler, w Warning) error {
	if h.Warning == nil {
		return nil
	}
	return h.Warning(w)
}

// IsStore reports whether <root>/blobs is a marked shared blob store: a real
// directory holding the regular file `.huggingface-shared-blobs` whose
// content is exactly "1\n".
func IsStore(root string) bool {
	dir := filepath.Join(root, "blobs")
	fi, err := os.Lstat(dir)
	if err != nil || !fi.IsDir() {
		return false
	}
	marker := filepath.Join(dir, ".huggingface-shared-blobs")
	mi, err := os.Lstat(marker)
	if err != nil || !mi.Mode().IsRegular() || mi.Size() != 2 {
		return false
	}
	b, err := os.ReadFile(marker)
	return err == nil && string(b) == "1\n"
}

type statResult struct {
	final string // path of the final target
	stat  Stat
	err   error
}

type scanner struct {
	root  string
	store bool

	mu    sync.Mutex
	stats map[string]statResult // memo of follow(), cache-wide
}

func (s *scanner) rel(p string) string {
	if r, err := filepath.Rel(s.root, p); err == nil && !strings.HasPrefix(r, "..") {
		return filepath.ToSlash(r)
	}
	return p
}

func (s *scanner) warn(entry, path, format string, args ...any) Warning {
	return Warning{Entry: entry, Path: s.rel(path), Message: fmt.Sprintf(format, args...)}
}

// entry scans one top-level entry of the cache.
func (s *scanner) entry(e fs.DirEntry) (*Repo, []Warning, []Incomplete) {
	name := e.Name()
	path := filepath.Join(s.root, name)
	switch {
	case osHelperFiles[name], name == "CACHEDIR.TAG":
		return nil, nil, nil
	case name == "blobs" && s.store:
		return nil, nil, nil
	case strings.HasPrefix(name, DeletingPrefix):
		// A repo hfidx was deleting when it was interrupted; the next
		// delete finishes it.
		return nil, nil, nil
	case name == ".locks":
		inc, ws := s.incomplete(name, path)
		return nil, ws, inc
	}
	if name == "blobs" && e.IsDir() {
		return nil, []Warning{s.warn(name, path, "not a repo folder: a blobs folder without the shared-store marker")}, nil
	}
	typ, id, perr := ParseFolderName(name)
	if e.Type()&fs.ModeSymlink != 0 {
		return s.linkedRepo(e, path, typ, id, perr)
	}
	if !e.IsDir() {
		return nil, []Warning{s.warn(name, path, "not a directory: not a repo folder")}, nil
	}
	inc, ws := s.incomplete(name, path)
	if perr != nil {
		return nil, append(ws, s.warn(name, path, "%v", perr)), inc
	}
	r := s.repo(name, path, typ, id)
	r.Incomplete = inc
	r.Notes = append(r.Notes, ws...)
	return r, nil, nil
}

// linkedRepo records a top-level symlink: a link to a repo folder is
// listed as such, never walked.
func (s *scanner) linkedRepo(e fs.DirEntry, path string, typ RepoType, id string, perr error) (*Repo, []Warning, []Incomplete) {
	name := e.Name()
	target, err := os.Readlink(path)
	if err != nil {
		return nil, []Warning{s.warn(name, path, "unreadable symlink: %v", errText(err))}, nil
	}
	if perr != nil {
		return nil, []Warning{s.warn(name, path, "symlink to %s: %v", target, perr)}, nil
	}
	st, _ := lstat(path)
	r := &Repo{Folder: name, Path: path, Type: typ, ID: id, Link: target, Stat: st}
	msg := "repo folder is a symlink to %s; not followed, its target is counted on its own"
	if _, err := os.Stat(path); err != nil {
		msg = "repo folder is a dangling symlink to %s"
	}
	r.Problems = append(r.Problems, s.warn(name, path, msg, target))
	return r, nil, nil
}

// incomplete lists `<entry>/blobs/*.incomplete`, one level deep, like the
// library's glob; stat follows links and failures are skipped.
func (s *scanner) incomplete(entry, path string) ([]Incomplete, []Warning) {
	dir := filepath.Join(path, "blobs")
	des, err := os.ReadDir(dir)
	if err != nil {
		return nil, nil
	}
	var out []Incomplete
	var ws []Warning
	for _, d := range des {
		if !strings.HasSuffix(d.Name(), ".incomplete") {
			continue
		}
		p := filepath.Join(dir, d.Name())
		fi, err := os.Stat(p)
		if err != nil {
			continue
		}
		if fi.IsDir() {
			ws = append(ws, s.warn(entry, p, "a directory named like an interrupted download; ignored"))
			continue
		}
		out = append(out, Incomplete{Entry: entry, Path: p, Stat: statOf(fi)})
	}
	return out, ws
}

// repoScan holds the state of one repo's scan.
type repoScan struct {
	*scanner
	r      *Repo
	blobs  map[string]int // blob path -> index in r.Blobs
	blobsD string         // <repo>/blobs
}

func (s *scanner) repo(name, path string, typ RepoType, id string) *Repo {
	r := &Repo{Folder: name, Path: path, Type: typ, ID: id}
	rs := &repoScan{scanner: s, r: r, blobs: map[string]int{}, blobsD: filepath.Join(path, "blobs")}
	// Stat the folder before listing it: listing bumps its atime on relatime
	// mounts, and the library reports the time from before its scan.
	st, err := lstat(path)
	if err != nil {
		rs.problem(path, "cannot stat repo folder: %v", errText(err))
		return r
	}
	r.Stat = st
	des, err := os.ReadDir(path)
	if err != nil {
		rs.problem(path, "cannot list repo folder: %v", errText(err))
		return r
	}
	kinds := map[string]fs.FileMode{}
	for _, d := range des {
		kinds[d.Name()] = d.Type()
	}
	if m, ok := kinds["blobs"]; ok && m.IsDir() {
		rs.blobEntries()
	} else if ok {
		rs.note(rs.blobsD, "blobs is not a directory; ignored")
	}
	rs.snapshots(kinds)
	rs.refs(kinds)
	if m, ok := kinds[".no_exist"]; ok && m.IsDir() {
		rs.noExist(filepath.Join(path, ".no_exist"))
	}
	return r
}

func (rs *repoScan) problem(path, format string, args ...any) {
	rs.r.Problems = append(rs.r.Problems, rs.warn(rs.r.Folder, path, format, args...))
}

func (rs *repoScan) note(path, format string, args ...any) {
	rs.r.Notes = append(rs.r.Notes, rs.warn(rs.r.Folder, path, format, args...))
}

// blobEntries records every entry of <repo>/blobs (orphans included) with
// one stat each; interrupted downloads were collected separately.
func (rs *repoScan) blobEntries() {
	des, err := os.ReadDir(rs.blobsD)
	if err != nil {
		rs.note(rs.blobsD, "cannot list blobs: %v", errText(err))
		return
	}
	for _, d := range des {
		if strings.HasSuffix(d.Name(), ".incomplete") {
			continue
		}
		p := filepath.Join(rs.blobsD, d.Name())
		if d.IsDir() {
			rs.note(p, "a directory inside blobs; ignored")
			continue
		}
		if t := d.Type(); !t.IsRegular() && t&fs.ModeSymlink == 0 {
			rs.note(p, "a %s inside blobs; counted as a blob, never read", kindName(t))
		}
		rs.blob(p, BlobEntry)
	}
}

// blob returns the index of the blob at path p, stat'ing it (through its
// links) the first time. ok is false when the chain is broken; the blob is
// then recorded as Missing when it is an entry of blobs/.
func (rs *repoScan) blob(p string, kind BlobKind) (int, statResult) {
	if i, ok := rs.blobs[p]; ok {
		b := rs.r.Blobs[i]
		if b.Missing {
			return i, statResult{err: fs.ErrNotExist}
		}
		return i, statResult{final: p, stat: b.Stat}
	}
	res := rs.follow(p)
	b := Blob{Path: p, Kind: kind, Stat: res.stat}
	switch {
	case res.err != nil && (kind != BlobEntry || res.final == p):
		// Only an existing entry of blobs/ whose chain breaks later is
		// worth a row: it is a dangling link that a delete may remove.
		return -1, res
	case res.err != nil:
		b.Missing = true
	case res.stat.Mode.IsDir():
		return -1, res
	case rs.isPayload(res.final):
		b.Payload = res.final
	}
	rs.r.Blobs = append(rs.r.Blobs, b)
	rs.blobs[p] = len(rs.r.Blobs) - 1
	return len(rs.r.Blobs) - 1, res
}

// follow resolves p one link at a time with Lstat and Readlink, memoised
// cache-wide, and returns the final target and its stat.
func (s *scanner) follow(p string) statResult {
	s.mu.Lock()
	res, ok := s.stats[p]
	s.mu.Unlock()
	if ok {
		return res
	}
	res = statResult{final: p}
	cur := p
	for hop := 0; ; hop++ {
		fi, err := os.Lstat(cur)
		if err != nil {
			res.final, res.err = cur, err
			break
		}
		if fi.Mode()&fs.ModeSymlink == 0 {
			res.final, res.stat = cur, statOf(fi)
			break
		}
		if hop >= maxHops {
			res.err = syscall.ELOOP
			break
		}
		t, err := os.Readlink(cur)
		if err != nil {
			res.err = err
			break
		}
		if !filepath.IsAbs(t) {
			t = filepath.Join(filepath.Dir(cur), t)
		}
		cur = filepath.Clean(t)
	}
	s.mu.Lock()
	s.stats[p] = res
	s.mu.Unlock()
	return res
}

// isPayload reports whether p is a payload path of the marked store.
func (s *scanner) isPayload(p string) bool {
	if !s.store {
		return false
	}
	dir, hash := filepath.Split(p)
	dir = filepath.Clean(dir)
	prefix := filepath.Base(dir)
	return filepath.Dir(dir) == filepath.Join(s.root, "blobs") &&
		storeHash.MatchString(hash) && storePrefix.MatchString(prefix) && hash[:2] == prefix
}

func (rs *repoScan) snapshots(kinds map[string]fs.FileMode) {
	dir := filepath.Join(rs.r.Path, "snapshots")
	m, ok := kinds["snapshots"]
	switch {
	case !ok:
		rs.problem(dir, "snapshots folder is missing")
		return
	case m&fs.ModeSymlink != 0:
		rs.problem(dir, "snapshots folder is a symlink; not followed")
		return
	case !m.IsDir():
		rs.problem(dir, "snapshots is not a directory")
		return
	}
	des, err := os.ReadDir(dir)
	if err != nil {
		rs.problem(dir, "cannot list snapshots: %v", errText(err))
		return
	}
	for _, d := range des {
		name := d.Name()
		if osHelperFiles[name] {
			continue
		}
		p := filepath.Join(dir, name)
		st, err := lstat(p)
		if err != nil {
			rs.problem(p, "cannot stat revision folder: %v", errText(err))
			continue
		}
		switch {
		case st.Mode.IsDir():
			rev := Revision{Hash: name, Path: p, Stat: st}
			rev.Files = rs.walkRevision(p, "", nil)
			rs.r.Revisions = append(rs.r.Revisions, rev)
		case st.Mode&fs.ModeSymlink != 0:
			t, _ := os.Readlink(p)
			rs.r.Revisions = append(rs.r.Revisions, Revision{Hash: name, Path: p, Link: t, Stat: st})
			if _, err := os.Stat(p); err != nil {
				rs.problem(p, "revision folder is a dangling symlink to %s", t)
			} else {
				rs.problem(p, "revision folder is a symlink to %s; not followed", t)
			}
		case st.Mode.IsRegular():
			rs.problem(p, "snapshots folder corrupted: found a file")
		default:
			rs.problem(p, "snapshots folder corrupted: found a %s", kindName(st.Mode))
		}
	}
	sort.Slice(rs.r.Revisions, func(i, j int) bool { return rs.r.Revisions[i].Hash < rs.r.Revisions[j].Hash })
}

// walkRevision lists one folder of a revision and its sub-folders (never
// through a symlink).
func (rs *repoScan) walkRevision(dir, rel string, files []File) []File {
	des, err := os.ReadDir(dir)
	if err != nil {
		rs.problem(dir, "cannot list folder: %v", errText(err))
		return files
	}
	for _, d := range des {
		p := filepath.Join(dir, d.Name())
		relp := d.Name()
		if rel != "" {
			relp = rel + "/" + d.Name()
		}
		switch t := d.Type(); {
		case t.IsDir():
			files = rs.walkRevision(p, relp, files)
		case t&fs.ModeSymlink != 0:
			if f, ok := rs.linkFile(p, relp); ok {
				files = append(files, f)
			}
		case t.IsRegular():
			i, res := rs.blob(p, BlobCopy)
			if res.err != nil {
				rs.problem(p, "cannot stat file: %v", errText(res.err))
				continue
			}
			files = append(files, File{RelPath: relp, Path: p, Kind: FileCopy, Blob: i})
		default:
			i, res := rs.blob(p, BlobCopy)
			if res.err != nil {
				rs.problem(p, "cannot stat file: %v", errText(res.err))
				continue
			}
			rs.note(p, "a %s inside a snapshot; counted as a file, never read", kindName(res.stat.Mode))
			files = append(files, File{RelPath: relp, Path: p, Kind: FileSpecial, Blob: i})
		}
	}
	return files
}

// linkFile resolves a snapshot symlink. Its blob is the first hop when
// that lands in <repo>/blobs (even if the entry there is itself a link into
// the shared store), else the fully resolved target.
func (rs *repoScan) linkFile(p, relp string) (File, bool) {
	f := File{RelPath: relp, Path: p, Kind: FileLink, Blob: -1}
	t, err := os.Readlink(p)
	if err != nil {
		rs.problem(p, "unreadable symlink: %v", errText(err))
		return f, true
	}
	f.Target = t
	hop := t
	if !filepath.IsAbs(hop) {
		hop = filepath.Join(filepath.Dir(p), hop)
	}
	hop = filepath.Clean(hop)
	var res statResult
	if filepath.Dir(hop) == rs.blobsD {
		f.Blob, res = rs.blob(hop, BlobEntry)
	} else {
		res = rs.follow(hop)
		if res.err == nil && !res.stat.Mode.IsDir() {
			final := res.final
			if real, err := filepath.EvalSymlinks(p); err == nil {
				final = real
			}
			if !strings.HasPrefix(final, rs.r.Path+string(filepath.Separator)) {
				rs.note(p, "links outside its repo, to %s; counted as a blob of this repo, never deleted through the link", rs.rel(final))
			}
			f.Blob, _ = rs.blob(final, BlobExternal)
		}
	}
	switch {
	case res.err != nil && errors.Is(res.err, syscall.ELOOP):
		rs.problem(p, "symlink loop (-> %s)", t)
		f.Blob = -1
	case res.err != nil && errors.Is(res.err, fs.ErrPermission):
		rs.problem(p, "cannot reach its blob (-> %s): permission denied", t)
		f.Blob = -1
	case res.err != nil:
		rs.problem(p, "blob missing (broken symlink): -> %s", t)
		f.Blob = -1
	case res.stat.Mode.IsDir():
		// The library's directory test follows links, so it skips these.
		rs.note(p, "symlink to a directory (-> %s); not followed", t)
		return f, false
	}
	return f, true
}

// noExist records the `.no_exist/<commit>/<path>` markers, never through
// a symlinked folder.
func (rs *repoScan) noExist(dir string) {
	commits, err := os.ReadDir(dir)
	if err != nil {
		rs.note(dir, "cannot list .no_exist: %v", errText(err))
		return
	}
	var walk func(commit, d, rel string)
	walk = func(commit, d, rel string) {
		des, err := os.ReadDir(d)
		if err != nil {
			rs.note(d, "cannot list folder: %v", errText(err))
			return
		}
		for _, e := range des {
			p := filepath.Join(d, e.Name())
			relp := e.Name()
			if rel != "" {
				relp = rel + "/" + e.Name()
			}
			if e.IsDir() {
				walk(commit, p, relp)
				continue
			}
			rs.r.NoExist = append(rs.r.NoExist, NoExist{Commit: commit, RelPath: relp, Path: p})
		}
	}
	for _, c := range commits {
		if c.IsDir() {
			walk(c.Name(), filepath.Join(dir, c.Name()), "")
		}
	}
}

func (rs *repoScan) refs(kinds map[string]fs.FileMode) {
	dir := filepath.Join(rs.r.Path, "refs")
	m, ok := kinds["refs"]
	switch {
	case !ok:
	case m&fs.ModeSymlink != 0:
		rs.problem(dir, "refs folder is a symlink; not followed")
	case m.IsRegular():
		rs.problem(dir, "refs directory cannot be a file")
	case !m.IsDir():
		rs.problem(dir, "refs is a %s", kindName(m))
	default:
		rs.walkRefs(dir, "")
	}
	byHash := map[string]int{}
	for i, v := range rs.r.Revisions {
		byHash[v.Hash] = i
	}
	sort.Slice(rs.r.Refs, func(i, j int) bool { return rs.r.Refs[i].Name < rs.r.Refs[j].Name })
	for i := range rs.r.Refs {
		ref := &rs.r.Refs[i]
		idx, ok := byHash[ref.Target]
		if !ok {
			ref.Revision = -1
			rs.problem(ref.Path, "ref %q refers to missing commit %q", ref.Name, ref.Target)
			continue
		}
		ref.Revision = idx
	}
}

func (rs *repoScan) walkRefs(dir, rel string) {
	des, err := os.ReadDir(dir)
	if err != nil {
		rs.problem(dir, "cannot list refs: %v", errText(err))
		return
	}
	for _, d := range des {
		name := d.Name()
		if osHelperFiles[name] {
			continue
		}
		p := filepath.Join(dir, name)
		relp := name
		if rel != "" {
			relp = rel + "/" + name
		}
		t := d.Type()
		switch {
		case t.IsDir():
			rs.walkRefs(p, relp)
			continue
		case t&fs.ModeSymlink != 0:
			res := rs.follow(p)
			if res.err == nil && res.stat.Mode.IsDir() {
				rs.note(p, "symlinked folder inside refs; not followed")
				continue
			}
			if res.err != nil {
				rs.problem(p, "ref is a dangling symlink")
				continue
			}
			if !strings.HasPrefix(res.final, rs.root+string(filepath.Separator)) {
				rs.problem(p, "ref is a symlink out of the cache (-> %s); not read", res.final)
				continue
			}
		case !t.IsRegular():
			rs.problem(p, "ref is a %s; not read", kindName(t))
			continue
		}
		if refTmpRe.MatchString(name) {
			rs.note(p, "leftover temporary file of an interrupted ref update; not a ref")
			continue
		}
		target, ok := rs.readRef(p, relp)
		if ok {
			rs.r.Refs = append(rs.r.Refs, Ref{Name: relp, Path: p, Target: target})
		}
	}
}

func (rs *repoScan) readRef(p, name string) (string, bool) {
	// O_NONBLOCK and a check of what was opened: a ref that is (or links
	// to) a FIFO must not block the scan.
	f, err := os.OpenFile(p, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		rs.problem(p, "cannot read ref: %v", errText(err))
		return "", false
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
		rs.problem(p, "ref is not a regular file; not read")
		return "", false
	}
	b, err := io.ReadAll(io.LimitReader(f, maxRefSize+1))
	if err != nil {
		rs.problem(p, "cannot read ref: %v", errText(err))
		return "", false
	}
	if len(b) > maxRefSize {
		rs.problem(p, "ref file is larger than %d bytes; not a commit hash", maxRefSize)
		return "", false
	}
	if !utf8.Valid(b) {
		rs.problem(p, "ref content is not valid UTF-8")
		return "", false
	}
	if t, ok := bytes.CutSuffix(b, []byte("\n")); ok {
		rs.note(p, "ref %q ends with a newline; hfidx ignores it, huggingface_hub would drop the repo", name)
		b = bytes.TrimSuffix(t, []byte("\r"))
	}
	return string(b), true
}

// scanStore lists the payloads of the marked store.
func (s *scanner) scanStore(emit func(Payload), warn func(Warning)) {
	dir := filepath.Join(s.root, "blobs")
	des, err := os.ReadDir(dir)
	if err != nil {
		warn(s.warn("blobs", dir, "cannot list the shared blob store: %v", errText(err)))
		return
	}
	for _, d := range des {
		if !d.IsDir() || !storePrefix.MatchString(d.Name()) {
			continue
		}
		pdir := filepath.Join(dir, d.Name())
		pes, err := os.ReadDir(pdir)
		if err != nil {
			warn(s.warn("blobs", pdir, "cannot list store folder: %v", errText(err)))
			continue
		}
		names := map[string]fs.FileMode{}
		for _, pe := range pes {
			names[pe.Name()] = pe.Type()
		}
		for _, pe := range pes {
			h := pe.Name()
			if !storeHash.MatchString(h) || h[:2] != d.Name() {
				continue
			}
			p := filepath.Join(pdir, h)
			if !pe.Type().IsRegular() {
				warn(s.warn("blobs", p, "store entry is not a regular file; not a payload"))
				continue
			}
			st, err := lstat(p)
			if err != nil {
				warn(s.warn("blobs", p, "cannot stat payload: %v", errText(err)))
				continue
			}
			m, ok := names[h+".refs"]
			s.mu.Lock()
			s.stats[p] = statResult{final: p, stat: st}
			s.mu.Unlock()
			emit(Payload{Hash: h, Path: p, Stat: st, Manifest: ok && m.IsRegular()})
		}
	}
}

func kindName(m fs.FileMode) string {
	switch {
	case m&fs.ModeNamedPipe != 0:
		return "FIFO"
	case m&fs.ModeSocket != 0:
		return "socket"
	case m&fs.ModeDevice != 0:
		return "device file"
	case m&fs.ModeSymlink != 0:
		return "symlink"
	case m.IsDir():
		return "directory"
	case m.IsRegular():
		return "regular file"
	}
	return "special file"
}

// errText shortens an *fs.PathError to its cause: the path is already part
// of the warning.
func errText(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}
