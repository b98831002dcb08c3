//go:build linux

package proc

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/user"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"unsafe"

	"golang.org/x/sys/unix"
)

// deletedSuffix is what the kernel appends to the path of an unlinked file
// in a descriptor's link and in maps.
const deletedSuffix = " (deleted)"

// Snapshot reads every live process's open and mapped files once (or those
// of opts.PIDs), keeping the files under opts.Under. A process that exits
// meanwhile is left out; one that may not be read is counted in Denied; any
// other failure on one process goes to Errors. It returns an error only when
// an Under folder is relative or the list of processes cannot be read.
func Snapshot(opts Options) (*Processes, error) {
	roots, err := cleanRoots(opts.Under)
	if err != nil {
		return nil, fmt.Errorf("snapshot of open files: %w", err)
	}
	pids := opts.PIDs
	if len(pids) == 0 {
		if pids, err = listPIDs(); err != nil {
			return nil, fmt.Errorf("snapshot of open files: %w", err)
		}
	}
	pids = slices.Clone(pids)
	slices.Sort(pids)
	pids = slices.Compact(pids)
	if !opts.Self {
		self := os.Getpid()
		pids = slices.DeleteFunc(pids, func(p int) bool { return p == self })
	}

	// Most of the time goes to system calls on procfs, which scale with
	// the cores: a few workers take batches of PIDs.
	const batch = 16
	workers := min(runtime.GOMAXPROCS(0), 4, (len(pids)+batch-1)/batch)
	parts := make([]part, max(workers, 1))
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := range parts {
		wg.Add(1)
		go func(pt *part) {
			defer wg.Done()
			r := newReader(roots)
			pt.denied = map[uint32]int{}
			for {
				i := int(next.Add(batch)) - batch
				if i >= len(pids) {
					return
				}
				for _, pid := range pids[i:min(i+batch, len(pids))] {
					pt.read(r, pid)
				}
			}
		}(&parts[w])
	}
	wg.Wait()

	ps := &Processes{}
	denied := map[uint32]int{}
	for _, pt := range parts {
		ps.List = append(ps.List, pt.list...)
		ps.Errors = append(ps.Errors, pt.errs...)
		ps.Checked += pt.checked
		for uid, n := range pt.denied {
			denied[uid] += n
		}
	}
	for uid, n := range denied {
		d := Denied{UID: uid, Processes: n}
		if u, err := user.LookupId(strconv.FormatUint(uint64(uid), 10)); err == nil {
			d.User = u.Username
		}
		ps.Denied = append(ps.Denied, d)
	}
	sort.Slice(ps.Denied, func(i, j int) bool { return ps.Denied[i].UID < ps.Denied[j].UID })
	ps.index()
	return ps, nil
}

// part is what one worker of Snapshot found.
type part struct {
	list    []Process
	errs    []error
	denied  map[uint32]int
	checked int
}

// read reads the process pid into pt.
func (pt *part) read(r *reader, pid int) {
	p, uid, err := r.read(pid)
	switch {
	case err == nil:
		pt.checked++
		if p != nil {
			pt.list = append(pt.list, *p)
		}
	case gone(err):
	case isDenied(err):
		if p != nil {
			pt.list = append(pt.list, *p)
		}
		pt.denied[uid]++
	default:
		pt.errs = append(pt.errs, fmt.Errorf("process %d: %w", pid, err))
	}
}

// gone reports whether err means the process exited (or a descriptor was
// closed) while it was being read.
func gone(err error) bool {
	return errors.Is(err, unix.ENOENT) || errors.Is(err, unix.ESRCH)
}

// isDenied reports whether err is the kernel refusing to show a process's
// files to this caller.
func isDenied(err error) bool {
	return errors.Is(err, unix.EACCES) || errors.Is(err, unix.EPERM)
}

// reader holds what one snapshot reuses from process to process.
type reader struct {
	roots   []string
	buf     []byte // file contents: stat, cmdline, maps
	link    []byte // readlink results
	dents   []byte // getdents records
	seen    map[Key]int
	mapsDev map[Key]uint64 // maps key → st_dev of the path, when they differ
}

func newReader(roots []string) *reader {
	return &reader{
		roots:   roots,
		buf:     make([]byte, 64<<10),
		link:    make([]byte, unix.PathMax+len(deletedSuffix)+1),
		dents:   make([]byte, 8<<10),
		seen:    map[Key]int{},
		mapsDev: map[Key]uint64{},
	}
}

// read returns the process pid with its files, nil when it holds none that
// passed the filter, and its UID when it was needed (a denial, a holder); or
// the first error of a system call, wrapped in an *fs.PathError. When only
// the maps are refused it returns the process with the files of its
// descriptors and that error.
//
// The files come first: the name, the parent and the command line are read
// only for a holder, since every system call on procfs counts here.
func (r *reader) read(pid int) (*Process, uint32, error) {
	// By path rather than from a descriptor of /proc/<pid>: two system
	// calls fewer on a process that holds nothing. The PID cannot be
	// reused between the reads of one process, which take microseconds,
	// while the kernel hands out the PIDs in turn up to pid_max.
	dir := "/proc/" + strconv.Itoa(pid)
	p := &Process{PID: pid}
	clear(r.seen)
	err := r.readFDs(p, dir)
	if err == nil {
		err = r.readMaps(p, dir)
	}
	if err != nil && !isDenied(err) || err == nil && len(p.Files) == 0 {
		return nil, 0, err
	}
	denied := err
	var st unix.Stat_t
	if err := unix.Stat(dir, &st); err != nil {
		return nil, 0, &fs.PathError{Op: "stat", Path: dir, Err: err}
	}
	p.UID = st.Uid
	if len(p.Files) == 0 {
		return nil, p.UID, denied
	}
	b, err := r.readFile(unix.AT_FDCWD, dir+"/stat", true)
	if err != nil {
		return nil, p.UID, &fs.PathError{Op: "read", Path: dir + "/stat", Err: err}
	}
	comm, ppid, _, ok := parseStat(b)
	if !ok {
		return nil, p.UID, fmt.Errorf("%s/stat: unexpected form %q", dir, b)
	}
	p.Comm, p.PPID = string(comm), ppid
	if b, err = r.readFile(unix.AT_FDCWD, dir+"/cmdline", true); err != nil {
		return nil, p.UID, &fs.PathError{Op: "read", Path: dir + "/cmdline", Err: err}
	}
	p.Args = splitArgs(b)
	sort.Slice(p.Files, func(i, j int) bool { return p.Files[i].Path < p.Files[j].Path })
	return p, p.UID, denied
}

// readFDs adds the files behind the process's descriptors.
func (r *reader) readFDs(p *Process, dir string) error {
	ffd, err := open(unix.AT_FDCWD, dir+"/fd", unix.O_DIRECTORY)
	if err != nil {
		return &fs.PathError{Op: "open", Path: dir + "/fd", Err: err}
	}
	defer unix.Close(ffd)
	err = r.eachName(ffd, func(name []byte) error {
		fd, ok := atoi(name)
		if !ok {
			return nil // "." and ".."
		}
		if err := r.readFD(p, ffd, dir, string(name), fd); err != nil && !gone(err) {
			return err
		}
		return nil
	})
	if _, ok := err.(*fs.PathError); err != nil && !ok {
		err = &fs.PathError{Op: "readdirent", Path: dir + "/fd", Err: err}
	}
	return err
}

// readFD adds the file behind descriptor fd (named name in the folder ffd,
// dir/fd) when it is a regular file under the roots. It returns the error of
// readlink(2) or stat(2) as an *fs.PathError.
func (r *reader) readFD(p *Process, ffd int, dir, name string, fd int) error {
	n, err := readlinkat(ffd, name, r.link)
	if err != nil {
		return &fs.PathError{Op: "readlink", Path: dir + "/fd/" + name, Err: err}
	}
	target := r.link[:n]
	if len(target) == 0 || target[0] != '/' {
		return nil // socket:[…], pipe:[…], anon_inode:…
	}
	suffixed := bytes.HasSuffix(target, []byte(deletedSuffix))
	path := target
	if suffixed {
		path = target[:len(target)-len(deletedSuffix)]
	}
	if !underAny(path, r.roots) {
		return nil
	}
	// fstatat through the magic link reaches the open file itself, even
	// unlinked or renamed, and does not touch its access time.
	var st unix.Stat_t
	if err := fstatat(ffd, name, &st); err != nil {
		return &fs.PathError{Op: "stat", Path: dir + "/fd/" + name, Err: err}
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG {
		return nil
	}
	k := Key{uint64(st.Dev), st.Ino}
	deleted := suffixed
	if suffixed && st.Nlink > 0 {
		// Either an unlinked name of a file with other links, or a file
		// whose real name ends in " (deleted)".
		var lst unix.Stat_t
		if unix.Lstat(string(target), &lst) == nil && uint64(lst.Dev) == k.Dev && lst.Ino == k.Ino {
			deleted, path = false, target
		}
	}
	r.add(p, File{Path: string(path), Key: k, Deleted: deleted, FD: fd})
	return nil
}

// add records f in p, merging it with an entry of the same file.
func (r *reader) add(p *Process, f File) {
	if i, ok := r.seen[f.Key]; ok {
		g := &p.Files[i]
		g.Mapped = g.Mapped || f.Mapped
		if f.FD >= 0 && (g.FD < 0 || f.FD < g.FD) {
			g.FD = f.FD
		}
		return
	}
	r.seen[f.Key] = len(p.Files)
	p.Files = append(p.Files, f)
}

// readMaps adds the files mapped into the process.
func (r *reader) readMaps(p *Process, dir string) error {
	b, err := r.readFile(unix.AT_FDCWD, dir+"/maps", false)
	if err != nil {
		return &fs.PathError{Op: "read", Path: dir + "/maps", Err: err}
	}
	var last Key
	for len(b) > 0 {
		line := b
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			line, b = b[:i], b[i+1:]
		} else {
			b = nil
		}
		k, path, ok := parseMapsLine(line)
		if !ok || k == last {
			continue // anonymous, [heap], or the next region of the same file
		}
		last = k
		suffixed := bytes.HasSuffix(path, []byte(deletedSuffix))
		if suffixed {
			path = path[:len(path)-len(deletedSuffix)]
		}
		path = unescapeMaps(path)
		if !underAny(path, r.roots) {
			continue
		}
		r.add(p, File{Path: string(path), Key: r.statKey(k, path, suffixed), Deleted: suffixed, FD: -1, Mapped: true})
	}
	return nil
}

// statKey returns the key stat(2) gives the mapped file k at path. maps
// names the device of the inode's super block, which is not st_dev on btrfs
// subvolumes and overlay mounts; the path's stat is taken when it still
// names the same inode.
func (r *reader) statKey(k Key, path []byte, deleted bool) Key {
	if deleted {
		return k
	}
	if dev, ok := r.mapsDev[k]; ok {
		return Key{dev, k.Ino}
	}
	dev := k.Dev
	var st unix.Stat_t
	if unix.Stat(string(path), &st) == nil && st.Ino == k.Ino {
		dev = uint64(st.Dev)
	}
	r.mapsDev[k] = dev
	return Key{dev, k.Ino}
}

// unescapeMaps undoes the one escape of maps paths: a newline is written
// "\012" (seq_path with "\n"); a backslash is not escaped, so a name
// holding "\012" itself is read as a newline.
func unescapeMaps(path []byte) []byte {
	if !bytes.Contains(path, []byte(`\012`)) {
		return path
	}
	return bytes.ReplaceAll(path, []byte(`\012`), []byte("\n"))
}

// parseMapsLine parses one line of /proc/<pid>/maps,
//
//	7f2c4a000000-7f2c4b000000 r--s 00000000 fd:01 1234567   /path/to/file
//
// returning the file's device (as st_dev encodes it) and inode and its path
// (still escaped, maybe with " (deleted)"), or false for a region that is not
// a file (anonymous memory, [heap], [stack], [vdso]) or a line not of the
// form.
func parseMapsLine(line []byte) (Key, []byte, bool) {
	var field [5][]byte
	rest := line
	for i := range field {
		j := bytes.IndexByte(rest, ' ')
		if j < 0 {
			return Key{}, nil, false
		}
		field[i], rest = rest[:j], rest[j+1:]
	}
	for len(rest) > 0 && rest[0] == ' ' {
		rest = rest[1:]
	}
	if len(rest) == 0 || rest[0] != '/' {
		return Key{}, nil, false
	}
	ino, ok := parseUint(field[4], 10)
	if !ok || ino == 0 {
		return Key{}, nil, false
	}
	i := bytes.IndexByte(field[3], ':')
	if i < 0 {
		return Key{}, nil, false
	}
	major, ok1 := parseUint(field[3][:i], 16)
	minor, ok2 := parseUint(field[3][i+1:], 16)
	if !ok1 || !ok2 || major > 0xfff || minor > 0xfffff {
		return Key{}, nil, false
	}
	return Key{unix.Mkdev(uint32(major), uint32(minor)), ino}, rest, true
}

// parseStat returns the name, the parent's PID and the flags from the text of
// /proc/<pid>/stat ("pid (comm) state ppid pgrp session tty tpgid flags ..."),
// or false when it is not of that form. comm may hold spaces and
// parentheses, so it runs to the last ')'.
func parseStat(b []byte) (comm []byte, ppid int, flags uint64, ok bool) {
	open := bytes.IndexByte(b, '(')
	end := bytes.LastIndexByte(b, ')')
	if open < 0 || end < open {
		return nil, 0, 0, false
	}
	comm = b[open+1 : end]
	f := bytes.Fields(b[end+1:])
	if len(f) < 7 {
		return nil, 0, 0, false
	}
	pp, ok1 := atoi(f[1])
	fl, ok2 := parseUint(f[6], 10)
	if !ok1 || !ok2 {
		return nil, 0, 0, false
	}
	return comm, pp, fl, true
}

// splitArgs splits the NUL-separated /proc/<pid>/cmdline. A process that
// rewrote its arguments as one string with spaces (setproctitle) gives one
// argument.
func splitArgs(b []byte) []string {
	b = bytes.TrimRight(b, "\x00")
	if len(b) == 0 {
		return nil
	}
	n := bytes.Count(b, []byte{0}) + 1
	args := make([]string, 0, n)
	for _, a := range bytes.Split(b, []byte{0}) {
		args = append(args, string(a))
	}
	return args
}

// readFile reads name in the folder dfd whole into r.buf, growing it, and
// returns the contents, valid until the next call. With short, a read that
// leaves the buffer partly empty is taken for the end: true of files the
// kernel writes in one go (stat, cmdline), not of maps, which comes a page
// at a time.
func (r *reader) readFile(dfd int, name string, short bool) ([]byte, error) {
	fd, err := open(dfd, name, 0)
	if err != nil {
		return nil, err
	}
	defer unix.Close(fd)
	n := 0
	for {
		if n == len(r.buf) {
			r.buf = slices.Grow(r.buf, len(r.buf))[:2*len(r.buf)]
		}
		m, err := unix.Read(fd, r.buf[n:])
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return nil, err
		}
		if m <= 0 {
			return r.buf[:n], nil
		}
		n += m
		if short && n < len(r.buf) {
			return r.buf[:n], nil
		}
	}
}

// listPIDs returns the PIDs in /proc, or the error of listing it.
func listPIDs() ([]int, error) {
	fd, err := open(unix.AT_FDCWD, "/proc", unix.O_DIRECTORY)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: "/proc", Err: err}
	}
	defer unix.Close(fd)
	r := reader{dents: make([]byte, 32<<10)}
	pids, err := r.listNumbersErr(fd)
	if err != nil {
		return nil, &fs.PathError{Op: "readdirent", Path: "/proc", Err: err}
	}
	return pids, nil
}

// listNumbers returns the numeric names in the folder fd (PIDs, thread
// IDs), or those read before an error.
func (r *reader) listNumbers(fd int) []int {
	n, _ := r.listNumbersErr(fd)
	return n
}

// listNumbersErr returns the numeric names in the folder fd, or those read
// before the error of getdents(2) and that error.
func (r *reader) listNumbersErr(fd int) ([]int, error) {
	var out []int
	err := r.eachName(fd, func(name []byte) error {
		if v, ok := atoi(name); ok {
			out = append(out, v)
		}
		return nil
	})
	return out, err
}

// eachName calls fn with each name in the folder fd ("." and ".." too),
// valid only during the call, and returns the first error of fn or of
// getdents(2).
func (r *reader) eachName(fd int, fn func(name []byte) error) error {
	for {
		n, err := unix.Getdents(fd, r.dents)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return err
		}
		if n <= 0 {
			return nil
		}
		// procfs fills the buffer until a record does not fit: with room
		// for the longest record left, this was the last batch.
		last := len(r.dents)-n >= direntMax
		for off := 0; off < n; {
			// struct linux_dirent64: ino u64, off s64, reclen u16, type u8, name.
			rec := r.dents[off:n]
			if len(rec) < 19 {
				break
			}
			reclen := int(*(*uint16)(unsafe.Pointer(&rec[16])))
			if reclen < 19 || reclen > len(rec) {
				break
			}
			off += reclen
			name := rec[19:reclen]
			if i := bytes.IndexByte(name, 0); i >= 0 {
				name = name[:i]
			}
			if err := fn(name); err != nil {
				return err
			}
		}
		if last {
			return nil
		}
	}
}

// direntMax is the size of the longest linux_dirent64 record: 19 bytes
// before the name, a name of 255 bytes and its NUL, aligned to 8.
const direntMax = (19 + 256 + 7) &^ 7

// open opens name relative to dirfd read-only (O_RDONLY|O_CLOEXEC plus
// flags), retrying on EINTR.
func open(dirfd int, name string, flags int) (int, error) {
	for {
		fd, err := unix.Openat(dirfd, name, unix.O_RDONLY|unix.O_CLOEXEC|flags, 0)
		if err != unix.EINTR {
			return fd, err
		}
	}
}

func readlinkat(dirfd int, name string, buf []byte) (int, error) {
	for {
		n, err := unix.Readlinkat(dirfd, name, buf)
		if err != unix.EINTR {
			return n, err
		}
	}
}

func fstatat(dirfd int, name string, st *unix.Stat_t) error {
	for {
		err := unix.Fstatat(dirfd, name, st, 0)
		if err != unix.EINTR {
			return err
		}
	}
}

// atoi parses a non-negative decimal int without allocating.
func atoi(b []byte) (int, bool) {
	v, ok := parseUint(b, 10)
	if !ok || v > 1<<31 {
		return 0, false
	}
	return int(v), true
}

// parseUint parses b in base 10 or 16 without allocating; it returns false
// for an empty string, another character or an overflow.
func parseUint(b []byte, base uint64) (uint64, bool) {
	if len(b) == 0 {
		return 0, false
	}
	var v uint64
	for _, c := range b {
		var d uint64
		switch {
		case '0' <= c && c <= '9':
			d = uint64(c - '0')
		case base == 16 && 'a' <= c && c <= 'f':
			d = uint64(c-'a') + 10
		case base == 16 && 'A' <= c && c <= 'F':
			d = uint64(c-'A') + 10
		default:
			return 0, false
		}
		if v > (1<<64-1-d)/base {
			return 0, false
		}
		v = v*base + d
	}
	return v, true
}

// index fills the lookup maps from List.
func (ps *Processes) index() {
	ps.byKey = make(map[Key][]Holder)
	ps.byPath = make(map[string][]Holder)
	sort.Slice(ps.List, func(i, j int) bool { return ps.List[i].PID < ps.List[j].PID })
	for i := range ps.List {
		p := &ps.List[i]
		if len(p.Files) == 0 {
			continue
		}
		cmd := p.Command()
		for _, f := range p.Files {
			h := Holder{PID: p.PID, Command: cmd, FD: f.FD, Mapped: f.Mapped}
			ps.byKey[f.Key] = append(ps.byKey[f.Key], h)
			ps.byPath[f.Path] = append(ps.byPath[f.Path], h)
		}
	}
}

// cleanRoots returns roots cleaned, or an error naming the first one that is
// not absolute.
func cleanRoots(roots []string) ([]string, error) {
	out := make([]string, 0, len(roots))
	for _, r := range roots {
		if !filepath.IsAbs(r) {
			return nil, fmt.Errorf("folder %q is not an absolute path", r)
		}
		out = append(out, filepath.Clean(r))
	}
	return out, nil
}
