package cache

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"
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

// Handler receives what a Scan finds. Calls are serialised and come in the
// order of the cache's sorted top-level entries; any nil func is skipped.
// An error returned by a func stops the scan and is returned.
type Handler struct {
	Repo       func(*Repo) error
	Warning    func(Warning) error // problems with top-level entries that are not repos
	Incomplete func(Incomplete) error
	Payload    func(Payload) error
}

// Options tunes a Scan.
type Options struct {
	Jobs int // repos scanned in parallel; 0 means the number of CPUs
	// RacyWindow is how recent a folder's change may be for its stamp to
	// be trusted by the next incremental sync: a folder changed less than
	// this before it was listed may change again within the file system's
	// time granularity without its mtime moving, so its stamp is recorded
	// as racy (always rescanned). 0 means DefaultRacyWindow.
	RacyWindow time.Duration
	// RepoBudget, when positive, is how many entries (files, blobs,
	// warnings, markers, or the entries of one folder) a Walker holds in
	// memory for one repo: past it, Entry gives the repo up as Big, for
	// Stream. 0 holds every repo whole.
	RepoBudget int
}

// DefaultRacyWindow covers the coarsest common timestamp granularity (FAT's
// two seconds; network file systems often keep whole seconds).
const DefaultRacyWindow = 2 * time.Second

// Summary is what a Scan learns about the cache as a whole.
type Summary struct {
	Root  string
	Store bool // <root>/blobs is a marked shared blob store
}

// Entry is what one top-level entry of the cache holds: a repo, or
// warnings and interrupted downloads of an entry that is not one.
type Entry struct {
	Name       string
	Repo       *Repo
	Warnings   []Warning
	Incomplete []Incomplete
	// Big is set for a repo folder holding more than the walker's
	// RepoBudget: Repo is nil, and Walker.Stream scans it.
	Big bool
}

// Walker scans the entries of one cache. Its methods may be called from
// several goroutines at once.
type Walker struct {
	s *scanner
}

// NewWalker prepares a scan of the cache at root, which must be an
// absolute, resolved directory (see ResolveDir).
func NewWalker(root string, opts Options) *Walker {
	racy := opts.RacyWindow
	if racy <= 0 {
		racy = DefaultRacyWindow
	}
	return &Walker{s: &scanner{root: root, store: IsStore(root), racy: racy, budget: opts.RepoBudget}}
}

// Store reports whether the cache has a marked shared blob store.
func (w *Walker) Store() bool { return w.s.store }

// Entry scans one top-level entry of the cache.
func (w *Walker) Entry(e fs.DirEntry) Entry {
	r, ws, inc := w.s.entry(e)
	if r == bigRepo {
		return Entry{Name: e.Name(), Big: true}
	}
	return Entry{Name: e.Name(), Repo: r, Warnings: ws, Incomplete: inc}
}

// Payloads lists the payloads of the marked store, with the stamps of the
// store's folders, calling emit and warn in order.
func (w *Walker) Payloads(emit func(Payload), warn func(Warning)) []DirStamp {
	if !w.s.store {
		return nil
	}
	return w.s.scanStore(emit, warn)
}

// RootBatch is how many top-level entries EachEntries hands out at once.
const RootBatch = 4096

// EachEntries lists the top-level entries of the cache and passes them to
// fn in batches of at most RootBatch, each sorted by name, so that a cache
// root of a million entries is never held whole. A batch is reused once fn
// returns; an error of fn stops the listing and is returned.
func (w *Walker) EachEntries(fn func([]fs.DirEntry) error) error {
	_, err := readDirFunc(w.s.root, RootBatch, func(_ Stat, des []fs.DirEntry) error {
		sortByName(des)
		return fn(des)
	})
	var pe *fs.PathError
	if errors.As(err, &pe) && pe.Path == w.s.root {
		return fmt.Errorf("list cache %s: %w", w.s.root, err)
	}
	return err
}

// CountEntries counts the top-level entries of the cache, holding none.
func (w *Walker) CountEntries() (int, error) {
	n := 0
	_, err := readDirFunc(w.s.root, RootBatch, func(_ Stat, des []fs.DirEntry) error {
		n += len(des)
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("list cache %s: %w", w.s.root, err)
	}
	return n, nil
}

// Ordered runs work(i) for i in [0, n) on jobs goroutines and passes each
// result to emit in the order of i, from the calling goroutine, keeping at
// most a few results per job in memory. The first error of emit stops it.
func Ordered[T any](n, jobs int, work func(i int) T, emit func(i int, v T) error) error {
	if jobs <= 0 {
		jobs = runtime.NumCPU()
	}
	type job struct {
		i   int
		out chan T
	}
	work1 := make(chan job)
	order := make(chan job, 4*jobs)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for k := 0; k < jobs; k++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range work1 {
				j.out <- work(j.i)
			}
		}()
	}
	go func() {
		defer close(order)
		defer close(work1)
		for i := 0; i < n; i++ {
			j := job{i, make(chan T, 1)}
			select {
			case order <- j:
			case <-stop:
				return
			}
			work1 <- j
		}
	}()
	var err error
	for j := range order {
		v := <-j.out
		if err == nil {
			if err = emit(j.i, v); err != nil {
				close(stop)
			}
		}
	}
	wg.Wait()
	return err
}

// Scan walks the cache at root, which must be an absolute, resolved
// directory (see ResolveDir), and reports every repo, warning, interrupted
// download and store payload to h. Problems inside the cache never stop it;
// it returns an error only when root cannot be listed or h fails.
func Scan(root string, opts Options, h Handler) (Summary, error) {
	opts.RepoBudget = 0 // h gets every repo whole
	w := NewWalker(root, opts)
	sum := Summary{Root: root, Store: w.Store()}
	var herr error
	if h.Payload != nil {
		w.Payloads(func(p Payload) {
			if herr == nil {
				herr = h.Payload(p)
			}
		}, func(x Warning) {
			if herr == nil {
				herr = callWarning(h, x)
			}
		})
	}
	if herr != nil {
		return sum, herr
	}
	err := w.EachEntries(func(entries []fs.DirEntry) error {
		return Ordered(len(entries), opts.Jobs, func(i int) Entry { return w.Entry(entries[i]) },
			func(_ int, e Entry) error { return h.Entry(e) })
	})
	return sum, err
}

// Entry passes what one top-level entry holds to h, in order.
func (h Handler) Entry(e Entry) error {
	for _, x := range e.Warnings {
		if err := callWarning(h, x); err != nil {
			return err
		}
	}
	if h.Incomplete != nil {
		for _, in := range e.Incomplete {
			if err := h.Incomplete(in); err != nil {
				return err
			}
		}
	}
	if e.Repo != nil && h.Repo != nil {
		return h.Repo(e.Repo)
	}
	return nil
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
	b, err := readFile(marker)
	return err == nil && string(b) == "1\n"
}

type statResult struct {
	final string // path of the final target
	stat  Stat
	err   error
}

type scanner struct {
	root   string
	store  bool
	racy   time.Duration
	budget int // Options.RepoBudget
}

func (s *scanner) rel(p string) string {
	if parts, ok := Under(s.root, p); ok {
		return strings.Join(parts, "/")
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
	if perr != nil {
		inc, ws := s.incomplete(name, path)
		return nil, append(ws, s.warn(name, path, "%v", perr)), inc
	}
	return s.repo(name, path, typ, id), nil, nil
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

// incomplete lists `<entry>/blobs/*.incomplete` of a top-level entry that
// is not a repo folder.
func (s *scanner) incomplete(entry, path string) ([]Incomplete, []Warning) {
	dir := filepath.Join(path, "blobs")
	des, err := listDir(dir)
	if err != nil {
		return nil, nil
	}
	var out []Incomplete
	var ws []Warning
	for _, d := range des {
		if in, w, ok := s.incompleteFile(entry, dir, d); ok {
			out = append(out, in)
		} else if w != nil {
			ws = append(ws, *w)
		}
	}
	return out, ws
}

// incompleteFile reports whether d, an entry of dir, is an interrupted
// download (`*.incomplete`, one level deep, like the library's glob); stat
// follows links and failures are skipped.
func (s *scanner) incompleteFile(entry, dir string, d fs.DirEntry) (Incomplete, *Warning, bool) {
	if !strings.HasSuffix(d.Name(), ".incomplete") {
		return Incomplete{}, nil, false
	}
	p := filepath.Join(dir, d.Name())
	fi, err := os.Stat(p)
	if err != nil {
		return Incomplete{}, nil, false
	}
	if fi.IsDir() {
		w := s.warn(entry, p, "a directory named like an interrupted download; ignored")
		return Incomplete{}, &w, false
	}
	return Incomplete{Entry: entry, Path: p, Stat: statOf(fi)}, nil, true
}

// repoScan holds the state of one repo's scan.
type repoScan struct {
	*scanner
	// sink, when set, receives the repo as it is found (Walker.Stream);
	// the Repo then keeps only its revisions' and refs' headers.
	sink    RepoSink
	rev     int64 // the sink's id of the revision being walked
	budget  int   // the scanner's, or 0 when streaming
	held    int   // entries held in memory, against the budget
	damaged bool  // a damaging warning was passed to the sink
	fresh   bool  // listing blobs/: no blob path met yet
	r       *Repo
	blobs   map[string]int        // blob path -> index in r.Blobs
	memo    map[string]statResult // follow() results
	blobsD  string                // <repo>/blobs
	dirs    []DirStamp            // folders listed, for the repo's State
	refRaw  []RefStamp            // ref files read, for the repo's State
}

// bigRepo stands for a repo given up because it holds more than the
// scanner's budget.
var bigRepo = &Repo{}

func (s *scanner) repo(name, path string, typ RepoType, id string) *Repo {
	rs := s.scanRepo(name, path, typ, id)
	if rs == nil {
		return bigRepo
	}
	return rs.r
}

// scanRepo scans one repo folder and returns the scan, with the stamps of
// the folders it listed, or nil when the repo holds more than the
// scanner's budget.
func (s *scanner) scanRepo(name, path string, typ RepoType, id string) (scan *repoScan) {
	r := &Repo{Folder: name, Path: path, Type: typ, ID: id}
	rs := &repoScan{scanner: s, r: r, blobs: map[string]int{}, memo: map[string]statResult{},
		blobsD: filepath.Join(path, "blobs"), budget: s.budget}
	defer func() {
		if v := recover(); v != nil {
			if v != errBig {
				panic(v)
			}
			scan = nil
		}
	}()
	rs.scan()
	return rs
}

func (rs *repoScan) scan() {
	s, r, path, name := rs.scanner, rs.r, rs.r.Path, rs.r.Folder
	// The folder's stat comes from the open folder before it is listed:
	// listing bumps its atime on relatime mounts, and the library reports
	// the time from before its scan.
	kinds := map[string]fs.FileMode{}
	st, err := rs.list(path, func(_ Stat, des []fs.DirEntry) {
		for _, d := range des {
			switch d.Name() {
			case "blobs", "snapshots", "refs", ".no_exist":
				kinds[d.Name()] = d.Type()
			}
		}
	})
	if err == nil {
		r.Stat = st
	}
	if rs.sink != nil {
		rs.emit(rs.sink.Repo(r))
	}
	if err != nil {
		rs.problem(path, "cannot list repo folder: %v", errText(err))
		return
	}
	if m, ok := kinds["blobs"]; ok && m.IsDir() {
		rs.blobEntries()
	} else if ok && m&fs.ModeSymlink != 0 {
		// The library's glob follows the link to list interrupted downloads.
		inc, ws := s.incomplete(name, path)
		for _, in := range inc {
			rs.addIncomplete(in)
		}
		for _, w := range ws {
			rs.keep(w, false)
		}
		rs.note(rs.blobsD, "blobs is not a directory; ignored")
	} else if ok {
		rs.note(rs.blobsD, "blobs is not a directory; ignored")
	}
	rs.snapshots(kinds)
	rs.refs(kinds)
	if m, ok := kinds[".no_exist"]; ok && m.IsDir() {
		rs.noExist(filepath.Join(path, ".no_exist"))
	}
	if rs.sink == nil {
		rs.stampFiles()
	}
}

// stampFiles records the stat of every blob and interrupted download in
// the repo's state. A repo with a blob outside its folder gets no usable
// state: it is always listed again.
func (rs *repoScan) stampFiles() {
	inside := func(p string) (string, bool) {
		rel := rs.relTo(p)
		return rel, rel != p && rel != ""
	}
	blobs := make([]BlobRef, len(rs.r.Blobs))
	hb := newSum()
	for i, b := range rs.r.Blobs {
		rel, ok := inside(b.Path)
		if !ok {
			return
		}
		blobs[i] = BlobRef{Rel: rel, Missing: b.Missing}
		hb.addFile(b.Stat, b.Missing)
	}
	var incs []string
	hi := newSum()
	for _, in := range rs.r.Incomplete {
		rel, ok := inside(in.Path)
		if !ok {
			return
		}
		incs = append(incs, rel)
		hi.addStat(in.Stat)
	}
	rs.r.State = stateOf(rs.dirs, rs.refRaw, blobs, uint64(hb), incs, uint64(hi))
}

func (rs *repoScan) problem(path, format string, args ...any) {
	rs.keep(rs.warn(rs.r.Folder, path, format, args...), true)
}

func (rs *repoScan) note(path, format string, args ...any) {
	rs.keep(rs.warn(rs.r.Folder, path, format, args...), false)
}

// keep records a warning about the repo, damaging or not.
func (rs *repoScan) keep(w Warning, damaging bool) {
	switch {
	case rs.sink != nil:
		rs.damaged = rs.damaged || damaging
		rs.emit(rs.sink.Warning(w, damaging))
	case damaging:
		rs.spend(1)
		rs.r.Problems = append(rs.r.Problems, w)
	default:
		rs.spend(1)
		rs.r.Notes = append(rs.r.Notes, w)
	}
}

// blobEntries records every entry of <repo>/blobs (orphans included) with
// one stat each; interrupted downloads were collected separately.
func (rs *repoScan) blobEntries() {
	// Nothing is recorded before the entries of blobs/, each listed once:
	// a sink need not be asked whether it knows them.
	rs.fresh = true
	defer func() { rs.fresh = false }()
	if _, err := rs.list(rs.blobsD, rs.blobBatch); err != nil {
		rs.note(rs.blobsD, "cannot list blobs: %v", errText(err))
	}
}

func (rs *repoScan) blobBatch(_ Stat, des []fs.DirEntry) {
	for _, d := range des {
		if in, w, ok := rs.incompleteFile(rs.r.Folder, rs.blobsD, d); ok {
			rs.addIncomplete(in)
			continue
		} else if w != nil {
			rs.keep(*w, false)
			continue
		}
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

// addIncomplete records an interrupted download of the repo.
func (rs *repoScan) addIncomplete(in Incomplete) {
	if rs.sink != nil {
		rs.emit(rs.sink.Incomplete(in))
		return
	}
	rs.spend(1)
	rs.r.Incomplete = append(rs.r.Incomplete, in)
}

// sinkBlob is blob for a streaming scan: the sink remembers the blobs, and
// the index returned is the sink's id.
func (rs *repoScan) sinkBlob(p string, kind BlobKind) (int, statResult) {
	var id int64
	var missing, ok bool
	var err error
	if !rs.fresh {
		id, missing, ok, err = rs.sink.KnownBlob(p)
		rs.emit(err)
	}
	if ok {
		if missing {
			return int(id), statResult{err: fs.ErrNotExist}
		}
		// Only a stat that is not a folder's matters to the callers.
		return int(id), statResult{final: p}
	}
	b, res, ok := rs.newBlob(p, kind)
	if !ok {
		return -1, res
	}
	id, err = rs.sink.Blob(b)
	rs.emit(err)
	return int(id), res
}

// newBlob stats the blob at path p through its links; ok is false when it
// is worth no row.
func (rs *repoScan) newBlob(p string, kind BlobKind) (b Blob, res statResult, ok bool) {
	res = rs.follow(p)
	b = Blob{Path: p, Kind: kind, Stat: res.stat}
	switch {
	case res.err != nil && (kind != BlobEntry || res.final == p):
		// Only an existing entry of blobs/ whose chain breaks later is
		// worth a row: it is a dangling link that a delete may remove.
		return b, res, false
	case res.err != nil:
		b.Missing = true
	case res.stat.Mode.IsDir():
		return b, res, false
	case rs.isPayload(res.final):
		b.Payload = res.final
	}
	return b, res, true
}

// blob returns the index of the blob at path p, stat'ing it (through its
// links) the first time. ok is false when the chain is broken; the blob is
// then recorded as Missing when it is an entry of blobs/.
func (rs *repoScan) blob(p string, kind BlobKind) (int, statResult) {
	if rs.sink != nil {
		return rs.sinkBlob(p, kind)
	}
	if i, ok := rs.blobs[p]; ok {
		b := rs.r.Blobs[i]
		if b.Missing {
			return i, statResult{err: fs.ErrNotExist}
		}
		return i, statResult{final: p, stat: b.Stat}
	}
	b, res, ok := rs.newBlob(p, kind)
	if !ok {
		return -1, res
	}
	rs.spend(1)
	rs.r.Blobs = append(rs.r.Blobs, b)
	rs.blobs[p] = len(rs.r.Blobs) - 1
	return len(rs.r.Blobs) - 1, res
}

// follow resolves p one link at a time with Lstat and Readlink, memoised
// for the repo, and returns the final target and its stat.
func (rs *repoScan) follow(p string) statResult {
	if res, ok := rs.memo[p]; ok {
		return res
	}
	res := followPath(p)
	// Entries of the repo's own blobs/ are remembered by blob() already;
	// the memo is for targets elsewhere, which several links may share.
	if filepath.Dir(p) != rs.blobsD && rs.sink == nil {
		rs.memo[p] = res
	}
	return res
}

// followPath resolves p one link at a time with Lstat and Readlink and
// returns the final target and its stat.
func followPath(p string) statResult {
	res := statResult{final: p}
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
	return res
}

// isPayload reports whether p is a payload path of the marked store.
func (s *scanner) isPayload(p string) bool {
	return s.store && isStorePayload(s.root, p)
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
	_, err := rs.list(dir, func(_ Stat, des []fs.DirEntry) {
		for _, d := range des {
			rs.snapshotEntry(dir, d)
		}
	})
	if err != nil {
		rs.problem(dir, "cannot list snapshots: %v", errText(err))
	}
	sort.Slice(rs.r.Revisions, func(i, j int) bool { return rs.r.Revisions[i].Hash < rs.r.Revisions[j].Hash })
}

// snapshotEntry records one entry of snapshots/: a revision folder with
// its files, or what it is instead.
func (rs *repoScan) snapshotEntry(dir string, d fs.DirEntry) {
	name := d.Name()
	if osHelperFiles[name] {
		return
	}
	p := filepath.Join(dir, name)
	// The common case: list it, its times from the open folder. If that
	// fails (or it is no longer a folder), the lstat below says what it is.
	if d.IsDir() && rs.revisionDir(name, p) {
		return
	}
	st, err := lstat(p)
	if err != nil {
		rs.problem(p, "cannot stat revision folder: %v", errText(err))
		return
	}
	switch {
	case st.Mode.IsDir():
		rs.startRevision(Revision{Hash: name, Path: p, Stat: st})
		files := rs.walkRevision(p, "", nil)
		if rs.sink == nil {
			rs.r.Revisions[len(rs.r.Revisions)-1].Files = files
		}
	case st.Mode&fs.ModeSymlink != 0:
		t, _ := os.Readlink(p)
		rs.startRevision(Revision{Hash: name, Path: p, Link: t, Stat: st})
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

// revisionDir lists the revision folder p and records it with its files,
// its stat taken from the open folder. It returns false, recording
// nothing, when p cannot be listed.
func (rs *repoScan) revisionDir(name, p string) bool {
	rev := Revision{Hash: name, Path: p}
	started := false
	var files []File
	st, err := rs.list(p, func(st Stat, des []fs.DirEntry) {
		if !started {
			rev.Stat, started = st, true
			rs.startRevision(rev)
		}
		files = rs.walkEntries(p, "", des, files)
	})
	if !started {
		if err != nil {
			return false
		}
		rev.Stat = st
		rs.startRevision(rev)
	} else if err != nil {
		rs.problem(p, "cannot list folder: %v", errText(err))
	}
	if rs.sink == nil {
		rs.r.Revisions[len(rs.r.Revisions)-1].Files = files
	}
	return true
}

// startRevision records a revision, before its files: a streaming scan
// passes it to the sink and keeps its id for the files that follow.
func (rs *repoScan) startRevision(rev Revision) {
	if rs.sink != nil {
		id, err := rs.sink.Revision(rev)
		rs.emit(err)
		rev.id, rs.rev = id, id
	}
	rs.r.Revisions = append(rs.r.Revisions, rev)
}

// addFile records a file of the current revision.
func (rs *repoScan) addFile(files []File, f File) []File {
	if rs.sink != nil {
		rs.emit(rs.sink.File(rs.rev, f))
		return files
	}
	rs.spend(1)
	return append(files, f)
}

// walkRevision lists one folder of a revision and its sub-folders (never
// through a symlink).
func (rs *repoScan) walkRevision(dir, rel string, files []File) []File {
	_, err := rs.list(dir, func(_ Stat, des []fs.DirEntry) {
		files = rs.walkEntries(dir, rel, des, files)
	})
	if err != nil {
		rs.problem(dir, "cannot list folder: %v", errText(err))
	}
	return files
}

// walkEntries records the entries of one folder of a revision, already
// listed, and walks its sub-folders.
func (rs *repoScan) walkEntries(dir, rel string, des []fs.DirEntry, files []File) []File {
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
				files = rs.addFile(files, f)
			}
		case t.IsRegular():
			i, res := rs.blob(p, BlobCopy)
			if res.err != nil {
				rs.problem(p, "cannot stat file: %v", errText(res.err))
				continue
			}
			files = rs.addFile(files, File{RelPath: relp, Path: p, Kind: FileCopy, Blob: i})
		default:
			i, res := rs.blob(p, BlobCopy)
			if res.err != nil {
				rs.problem(p, "cannot stat file: %v", errText(res.err))
				continue
			}
			rs.note(p, "a %s inside a snapshot; counted as a file, never read", kindName(t))
			files = rs.addFile(files, File{RelPath: relp, Path: p, Kind: FileSpecial, Blob: i})
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
			if _, inside := Under(rs.r.Path, final); !inside {
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
	var walk func(commit, d, rel string)
	walk = func(commit, d, rel string) {
		_, err := rs.list(d, func(_ Stat, des []fs.DirEntry) {
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
				n := NoExist{Commit: commit, RelPath: relp, Path: p}
				if rs.sink != nil {
					rs.emit(rs.sink.NoExist(n))
					continue
				}
				rs.spend(1)
				rs.r.NoExist = append(rs.r.NoExist, n)
			}
		})
		if err != nil {
			rs.note(d, "cannot list folder: %v", errText(err))
		}
	}
	_, err := rs.list(dir, func(_ Stat, commits []fs.DirEntry) {
		for _, c := range commits {
			if c.IsDir() {
				walk(c.Name(), filepath.Join(dir, c.Name()), "")
			}
		}
	})
	if err != nil {
		rs.note(dir, "cannot list .no_exist: %v", errText(err))
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
	des, _, err := rs.readDir(dir)
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
			if _, inside := Under(rs.root, res.final); !inside {
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
			rs.spend(1)
			rs.r.Refs = append(rs.r.Refs, Ref{Name: relp, Path: p, Target: target})
		}
	}
}

func (rs *repoScan) readRef(p, name string) (string, bool) {
	b, err := readHead(p, maxRefSize+1)
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
	rs.refRaw = append(rs.refRaw, RefStamp{Rel: rs.relTo(p), Raw: string(b)})
	if t, ok := bytes.CutSuffix(b, []byte("\n")); ok {
		rs.note(p, "ref %q ends with a newline; hfidx ignores it, huggingface_hub would drop the repo", name)
		b = bytes.TrimSuffix(t, []byte("\r"))
	}
	return string(b), true
}

// scanStore lists the payloads of the marked store and returns the
// stamps of the folders it listed, relative to the store.
func (s *scanner) scanStore(emit func(Payload), warn func(Warning)) []DirStamp {
	dir := filepath.Join(s.root, "blobs")
	var stamps []DirStamp
	des, st, err := readDir(dir)
	if err != nil {
		warn(s.warn("blobs", dir, "cannot list the shared blob store: %v", errText(err)))
		return nil
	}
	stamps = append(stamps, s.stamp("", st))
	for _, d := range des {
		if !d.IsDir() || !storePrefix.MatchString(d.Name()) {
			continue
		}
		pdir := filepath.Join(dir, d.Name())
		pes, st, err := readDir(pdir)
		if err != nil {
			warn(s.warn("blobs", pdir, "cannot list store folder: %v", errText(err)))
			continue
		}
		stamps = append(stamps, s.stamp(d.Name(), st))
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
			emit(Payload{Hash: h, Path: p, Stat: st, Manifest: ok && m.IsRegular()})
		}
	}
	return stamps
}

// readDir lists a folder of the repo and records its stamp. Past the
// scanner's budget it gives the repo up, not waiting for the end of the
// folder.
func (rs *repoScan) readDir(dir string) ([]fs.DirEntry, Stat, error) {
	var des []fs.DirEntry
	var st Stat
	var err error
	if rs.budget > 0 {
		st, err = readDirFunc(dir, streamBatch, func(_ Stat, batch []fs.DirEntry) error {
			if rs.held+len(des)+len(batch) > rs.budget {
				return errBig
			}
			des = append(des, batch...)
			return nil
		})
		if err == errBig {
			panic(errBig)
		}
		sortByName(des)
	} else {
		des, st, err = readDir(dir)
	}
	if err == nil {
		rs.dirs = append(rs.dirs, rs.stamp(rs.relTo(dir), st))
	}
	return des, st, err
}

// list reads a folder of the repo and hands its entries to fn: sorted, in
// one batch and with the folder's stamp recorded (readDir), or in batches
// as the file system gives them when the scan streams to a sink.
func (rs *repoScan) list(dir string, fn func(Stat, []fs.DirEntry)) (Stat, error) {
	if rs.sink != nil {
		return readDirFunc(dir, streamBatch, func(st Stat, des []fs.DirEntry) error {
			// Rows inserted in order of path fill the index's pages in turn.
			sortByName(des)
			fn(st, des)
			return nil
		})
	}
	des, st, err := rs.readDir(dir)
	if err == nil {
		fn(st, des)
	}
	return st, err
}

// relTo returns p relative to the repo folder, "" for the folder itself.
func (rs *repoScan) relTo(p string) string {
	if p == rs.r.Path {
		return ""
	}
	return strings.TrimPrefix(p, rs.r.Path+string(filepath.Separator))
}

// stamp records a folder's times, or a racy stamp (never equal to a real
// one) when it changed too recently to be trusted: a change made later in
// the same tick of the file system's clock would leave the times as they
// are.
func (s *scanner) stamp(rel string, st Stat) DirStamp {
	d := DirStamp{Rel: rel, Mtime: st.Mtime.Nanos(), Ctime: st.Ctime.Nanos()}
	d.Racy = time.Now().UnixNano()-max(d.Mtime, d.Ctime) < s.racy.Nanoseconds()
	return d
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
