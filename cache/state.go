package cache

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// State is what an incremental sync needs to tell whether a repo changed
// since it was scanned, without listing it again: the times of every
// folder listed, and the content of every ref file read (huggingface_hub
// rewrites refs/main in place, which moves no folder's times).
type State struct {
	Dirs []DirStamp
	Refs []RefStamp
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

// Encode renders the state as text, one line per folder or ref, for the
// index to keep.
func (s State) Encode() string {
	var b strings.Builder
	for _, d := range s.Dirs {
		b.WriteString("d ")
		b.WriteString(strconv.FormatInt(d.Mtime, 10))
		b.WriteByte(' ')
		b.WriteString(strconv.FormatInt(d.Ctime, 10))
		b.WriteByte(' ')
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
			f := strings.SplitN(rest, " ", 3)
			if len(f) != 3 {
				return s, errState
			}
			m, err1 := strconv.ParseInt(f[0], 10, 64)
			c, err2 := strconv.ParseInt(f[1], 10, 64)
			rel, err3 := strconv.Unquote(f[2])
			if err := errors.Join(err1, err2, err3); err != nil {
				return s, errState
			}
			s.Dirs = append(s.Dirs, DirStamp{Rel: rel, Mtime: m, Ctime: c})
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
		default:
			return s, errState
		}
	}
	return s, nil
}

// Known is what the index holds about a repo from an earlier sync.
type Known struct {
	Folder     string
	State      State
	Blobs      []KnownBlob
	Incomplete []string // paths of its interrupted downloads
}

// KnownBlob is a blob row of a known repo.
type KnownBlob struct {
	Path     string
	Missing  bool
	Dev, Ino uint64
}

// Refresh is what a repo that did not change looks like now: the stat of
// its folder, of its blobs and of its interrupted downloads, in the order
// of Known.
type Refresh struct {
	Stat       Stat
	Blobs      []Stat
	Incomplete []Stat
}

// Check tells whether the known repo is as it was: every folder listed
// then has the same times, every ref file the same content, every blob the
// same file (device and inode) and every interrupted download is still
// there. If so it returns their stats now (blobs skipped when skipBlobs);
// if not, the repo must be scanned again. Check lists no folder.
func (w *Walker) Check(k *Known, skipBlobs bool) (*Refresh, bool) {
	base := filepath.Join(w.s.root, k.Folder)
	if len(k.State.Dirs) == 0 || k.State.Dirs[0].Rel != "" {
		return nil, false
	}
	ref := &Refresh{}
	for i, d := range k.State.Dirs {
		if d.Mtime < 0 {
			return nil, false
		}
		p := base
		if d.Rel != "" {
			p = filepath.Join(base, d.Rel)
		}
		st, err := lstat(p)
		if err != nil || !st.Mode.IsDir() || st.Mtime.Nanos() != d.Mtime || st.Ctime.Nanos() != d.Ctime {
			return nil, false
		}
		if i == 0 {
			ref.Stat = st
		}
	}
	for _, r := range k.State.Refs {
		b, err := readSmall(filepath.Join(base, r.Rel))
		if err != nil || b != r.Raw {
			return nil, false
		}
	}
	for _, p := range k.Incomplete {
		fi, err := os.Stat(p)
		if err != nil || fi.IsDir() {
			return nil, false
		}
		ref.Incomplete = append(ref.Incomplete, statOf(fi))
	}
	if skipBlobs {
		return ref, true
	}
	ref.Blobs = make([]Stat, len(k.Blobs))
	for i, b := range k.Blobs {
		fi, err := os.Stat(b.Path)
		if b.Missing {
			if err == nil {
				return nil, false
			}
			continue
		}
		if err != nil || fi.IsDir() {
			return nil, false
		}
		st := statOf(fi)
		if st.Dev != b.Dev || st.Ino != b.Ino {
			return nil, false
		}
		ref.Blobs[i] = st
	}
	return ref, true
}

// readSmall reads a ref file as readRef does, up to one byte past the
// largest ref.
func readSmall(p string) (string, error) {
	f, err := os.Open(p)
	if err != nil {
		return "", err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxRefSize+1))
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
		st, err := lstat(filepath.Join(base, d.Rel))
		if d.Mtime < 0 || err != nil || !st.Mode.IsDir() || st.Mtime.Nanos() != d.Mtime || st.Ctime.Nanos() != d.Ctime {
			return false
		}
	}
	return true
}

// Lstat returns the Stat of path without following a final symlink.
func Lstat(path string) (Stat, error) { return lstat(path) }
