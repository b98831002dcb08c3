package cache

import (
	"errors"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// State is what an incremental sync needs to tell whether a repo changed
// since it was scanned, without listing it again: the times of every
// folder listed, the content of every ref file read (huggingface_hub
// rewrites refs/main in place, which moves no folder's times), and the
// stat of every blob and interrupted download, to refresh their rows.
type State struct {
	Dirs       []DirStamp
	Refs       []RefStamp
	Blobs      []FileStamp
	Incomplete []FileStamp
}

// DirStamp is a folder's modification and status-change times in
// nanoseconds, both -1 when they were too recent to trust (see RacyWindow).
// Rel is the path relative to the repo folder, "" for the folder itself.
type DirStamp struct {
	Rel          string
	Mtime, Ctime int64
}

// RefStamp is the content of a ref file as read.
type RefStamp struct {
	Rel string
	Raw string
}

// FileStamp is the stat of a blob (through its links) or an interrupted
// download, relative to the repo folder. Missing marks a dangling link.
type FileStamp struct {
	Rel     string
	Missing bool
	Dev     uint64
	Ino     uint64
	Size    int64
	Usage   int64
	Atime   int64
	Mtime   int64
	Nlink   uint64
}

func fileStamp(rel string, s Stat, missing bool) FileStamp {
	return FileStamp{Rel: rel, Missing: missing, Dev: s.Dev, Ino: s.Ino, Size: s.Size, Usage: s.Usage,
		Atime: s.Atime.Nanos(), Mtime: s.Mtime.Nanos(), Nlink: s.Nlink}
}

// same reports whether s is what the stamp recorded.
func (f FileStamp) same(s Stat) bool {
	return f == fileStamp(f.Rel, s, f.Missing)
}

// Encode renders the state as text, one line per folder, ref, blob or
// interrupted download, for the index to keep.
func (s State) Encode() string {
	var b strings.Builder
	num := func(v int64) {
		b.WriteString(strconv.FormatInt(v, 10))
		b.WriteByte(' ')
	}
	for _, d := range s.Dirs {
		b.WriteString("d ")
		num(d.Mtime)
		num(d.Ctime)
		b.WriteString(strconv.Quote(d.Rel))
		b.WriteByte('\n')
	}
	for _, r := range s.Refs {
		b.WriteString("r ")
		b.WriteString(strconv.Quote(r.Rel))
		b.WriteByte(' ')
		b.WriteString(strconv.Quote(r.Raw))
		b.WriteByte('\n')
	}
	files := func(kind string, fs []FileStamp) {
		for _, f := range fs {
			b.WriteString(kind)
			missing := int64(0)
			if f.Missing {
				missing = 1
			}
			for _, v := range []int64{missing, int64(f.Dev), int64(f.Ino), f.Size, f.Usage, f.Atime, f.Mtime, int64(f.Nlink)} {
				num(v)
			}
			b.WriteString(strconv.Quote(f.Rel))
			b.WriteByte('\n')
		}
	}
	files("b ", s.Blobs)
	files("i ", s.Incomplete)
	return b.String()
}

var errState = errors.New("malformed sync state")

// ParseState reads what Encode wrote.
func ParseState(text string) (State, error) {
	var s State
	for line := range strings.Lines(text) {
		line = strings.TrimSuffix(line, "\n")
		kind, rest, ok := strings.Cut(line, " ")
		if !ok {
			return s, errState
		}
		switch kind {
		case "d":
			var v [2]int64
			rel, err := parseNums(rest, v[:])
			if err != nil {
				return s, err
			}
			s.Dirs = append(s.Dirs, DirStamp{Rel: rel, Mtime: v[0], Ctime: v[1]})
		case "r":
			q, err := strconv.QuotedPrefix(rest)
			if err != nil || len(rest) <= len(q)+1 {
				return s, errState
			}
			rel, err1 := strconv.Unquote(q)
			raw, err2 := strconv.Unquote(rest[len(q)+1:])
			if err := errors.Join(err1, err2); err != nil {
				return s, errState
			}
			s.Refs = append(s.Refs, RefStamp{Rel: rel, Raw: raw})
		case "b", "i":
			var v [8]int64
			rel, err := parseNums(rest, v[:])
			if err != nil {
				return s, err
			}
			f := FileStamp{Rel: rel, Missing: v[0] == 1, Dev: uint64(v[1]), Ino: uint64(v[2]), Size: v[3],
				Usage: v[4], Atime: v[5], Mtime: v[6], Nlink: uint64(v[7])}
			if kind == "b" {
				s.Blobs = append(s.Blobs, f)
			} else {
				s.Incomplete = append(s.Incomplete, f)
			}
		default:
			return s, errState
		}
	}
	return s, nil
}

// parseNums reads len(v) space-separated integers, then a quoted path.
func parseNums(line string, v []int64) (string, error) {
	for i := range v {
		num, rest, ok := strings.Cut(line, " ")
		n, err := strconv.ParseInt(num, 10, 64)
		if !ok || err != nil {
			return "", errState
		}
		v[i], line = n, rest
	}
	rel, err := strconv.Unquote(line)
	if err != nil {
		return "", errState
	}
	return rel, nil
}

// Refresh is what a repo that did not change looks like now: the stat of
// its folder, and the blobs and interrupted downloads whose stat moved,
// with the state to keep from now on when any did.
type Refresh struct {
	Stat       Stat
	Blobs      []Changed
	Incomplete []Changed
	State      *State // nil when no blob or interrupted download moved
}

// Changed is a file whose stat moved: its absolute path and new stat.
type Changed struct {
	Path string
	Stat Stat
}

// Check tells whether the repo folder scanned with state st is as it was:
// every folder listed then has the same times, every ref file the same
// content, every blob the same file (device and inode) and every
// interrupted download is still there. If so it returns what moved (blobs
// not looked at when skipBlobs); if not, the repo must be scanned again.
// Check lists no folder.
func (w *Walker) Check(folder string, st *State, skipBlobs bool) (*Refresh, bool) {
	base := filepath.Join(w.s.root, folder)
	abs := func(rel string) string {
		if rel == "" {
			return base
		}
		return base + string(filepath.Separator) + rel
	}
	if len(st.Dirs) == 0 || st.Dirs[0].Rel != "" {
		return nil, false
	}
	ref := &Refresh{}
	for i, d := range st.Dirs {
		if d.Mtime < 0 {
			return nil, false
		}
		s, err := statPath(abs(d.Rel), false)
		if err != nil || !s.Mode.IsDir() || s.Mtime.Nanos() != d.Mtime || s.Ctime.Nanos() != d.Ctime {
			return nil, false
		}
		if i == 0 {
			ref.Stat = s
		}
	}
	for _, r := range st.Refs {
		b, err := readSmall(abs(r.Rel))
		if err != nil || b != r.Raw {
			return nil, false
		}
	}
	var next *State
	moved := func() *State {
		if next == nil {
			c := *st
			c.Blobs = slices.Clone(st.Blobs)
			c.Incomplete = slices.Clone(st.Incomplete)
			next = &c
		}
		return next
	}
	for i, f := range st.Incomplete {
		s, err := statPath(abs(f.Rel), true)
		if err != nil || s.Mode.IsDir() {
			return nil, false
		}
		if !f.same(s) {
			ref.Incomplete = append(ref.Incomplete, Changed{abs(f.Rel), s})
			moved().Incomplete[i] = fileStamp(f.Rel, s, false)
		}
	}
	if !skipBlobs {
		for i, f := range st.Blobs {
			s, err := statPath(abs(f.Rel), true)
			if f.Missing {
				if err == nil {
					return nil, false
				}
				continue
			}
			if err != nil || s.Mode.IsDir() {
				return nil, false
			}
			if s.Dev != f.Dev || s.Ino != f.Ino {
				return nil, false
			}
			if !f.same(s) {
				ref.Blobs = append(ref.Blobs, Changed{abs(f.Rel), s})
				moved().Blobs[i] = fileStamp(f.Rel, s, false)
			}
		}
	}
	ref.State = next
	return ref, true
}

// readSmall reads a ref file as readRef does, up to one byte past the
// largest ref.
func readSmall(p string) (string, error) {
	b, err := readHead(p, maxRefSize+1)
	return string(b), err
}

// StoreUnchanged reports whether the folders of the shared store listed by
// an earlier scan (see Payloads) still have the same times.
func (w *Walker) StoreUnchanged(stamps []DirStamp) bool {
	if len(stamps) == 0 {
		return false
	}
	base := filepath.Join(w.s.root, "blobs")
	for _, d := range stamps {
		st, err := statPath(filepath.Join(base, d.Rel), false)
		if d.Mtime < 0 || err != nil || !st.Mode.IsDir() || st.Mtime.Nanos() != d.Mtime || st.Ctime.Nanos() != d.Ctime {
			return false
		}
	}
	return true
}

// Lstat returns the Stat of path without following a final symlink.
func Lstat(path string) (Stat, error) { return lstat(path) }
