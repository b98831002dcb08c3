package cache

import (
	"encoding/hex"
	"errors"
	"fmt"
	"hash/fnv"
	"path/filepath"
	"strconv"
	"strings"
)

// State is what an incremental sync needs to tell whether a repo changed
// since it was scanned, without listing it again: the folders listed and a
// sum of their modification and status-change times, the content of every
// ref file read (huggingface_hub rewrites refs/main in place, which moves
// no folder's times), and the blobs and interrupted downloads with a sum of
// their stats, to know when their rows need refreshing. Sums keep the
// state small: one line per path, one number per repo.
type State struct {
	Dirs       []string // relative to the repo folder; "" (the folder itself) first
	DirSum     uint64   // 0 when a folder changed too recently to trust (see RacyWindow)
	Refs       []RefStamp
	Blobs      []BlobRef
	BlobSum    uint64
	Incomplete []string
	IncSum     uint64
}

// DirStamp is a folder's modification and status-change times in
// nanoseconds, as a scan records them. Racy marks times too recent to trust.
type DirStamp struct {
	Rel          string
	Mtime, Ctime int64
	Racy         bool
}

// RefStamp is the content of a ref file as read.
type RefStamp struct {
	Rel string
	Raw string
}

// BlobRef is a blob of the repo, relative to its folder. Missing marks an
// entry of blobs/ that is a dangling link.
type BlobRef struct {
	Rel     string
	Missing bool
}

// sum is FNV-1a over 64-bit words.
type sum uint64

func newSum() sum { return 14695981039346656037 }

// newSumValue is the sum of nothing.
func newSumValue() uint64 { return uint64(newSum()) }

func (h *sum) add(vs ...int64) {
	for _, v := range vs {
		for i := 0; i < 64; i += 8 {
			*h = (*h ^ sum(byte(v>>i))) * 1099511628211
		}
	}
}

// addFile adds a blob: its stat, or a mark for a dangling link.
func (h *sum) addFile(s Stat, missing bool) {
	if missing {
		h.add(-1)
		return
	}
	h.addStat(s)
}

// addStat adds what a row of the index keeps of a file's stat.
func (h *sum) addStat(s Stat) {
	h.add(int64(s.Dev), int64(s.Ino), s.Size, s.Usage, s.Atime.Nanos(), s.Mtime.Nanos(), int64(s.Nlink))
}

// dirSum sums folder stamps; 0 when one is racy.
func dirSum(ds []DirStamp) uint64 {
	h := newSum()
	for _, d := range ds {
		if d.Racy {
			return 0
		}
		h.add(d.Mtime, d.Ctime)
	}
	return max(uint64(h), 1)
}

// foldersUnchanged stats the folders of a state through dir and tells
// whether their times still give its DirSum; it returns the first
// folder's stat.
func foldersUnchanged(dir *dirHandle, st *State) (Stat, bool) {
	var first Stat
	if st.DirSum == 0 || len(st.Dirs) == 0 {
		return first, false
	}
	stamps := make([]DirStamp, len(st.Dirs))
	for i, d := range st.Dirs {
		s, err := dir.statAt(d, false)
		if err != nil || !s.Mode.IsDir() {
			return first, false
		}
		if i == 0 {
			first = s
		}
		stamps[i] = DirStamp{Rel: d, Mtime: s.Mtime.Nanos(), Ctime: s.Ctime.Nanos()}
	}
	return first, dirSum(stamps) == st.DirSum
}

// plain reports whether s can be written without quotes.
func plain(s string) bool {
	if s == "" || s[0] == '"' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("._-/+=@,", c) >= 0) {
			return false
		}
	}
	return true
}

func quote(s string) string {
	if plain(s) {
		return s
	}
	return strconv.Quote(s)
}

func unquote(s string) (string, error) {
	if strings.HasPrefix(s, `"`) {
		return strconv.Unquote(s)
	}
	if s == "" || strings.ContainsAny(s, " \n") {
		return "", errState
	}
	return s, nil
}

// Encode renders the state as text for the index to keep: a line per
// folder, ref, blob and interrupted download, and the sums.
func (s State) Encode() string {
	var b strings.Builder
	line := func(kind string, fields ...string) {
		b.WriteString(kind)
		for _, f := range fields {
			b.WriteByte(' ')
			b.WriteString(f)
		}
		b.WriteByte('\n')
	}
	hex := func(v uint64) string { return strconv.FormatUint(v, 16) }
	line("S", hex(s.DirSum), hex(s.BlobSum), hex(s.IncSum))
	for _, d := range s.Dirs {
		line("d", quote(d))
	}
	for _, r := range s.Refs {
		line("r", quote(r.Rel), strconv.Quote(r.Raw))
	}
	for _, bl := range s.Blobs {
		switch name, ok := strings.CutPrefix(bl.Rel, "blobs/"); {
		case bl.Missing:
			line("m", quote(bl.Rel))
		case ok && plain(name):
			line("b", name)
		default:
			line("f", quote(bl.Rel))
		}
	}
	for _, in := range s.Incomplete {
		line("i", quote(in))
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
		case "S":
			f := strings.Fields(rest)
			if len(f) != 3 {
				return s, errState
			}
			var v [3]uint64
			for i := range v {
				n, err := strconv.ParseUint(f[i], 16, 64)
				if err != nil {
					return s, errState
				}
				v[i] = n
			}
			s.DirSum, s.BlobSum, s.IncSum = v[0], v[1], v[2]
		case "r":
			var rel string
			var err error
			if strings.HasPrefix(rest, `"`) {
				q, qerr := strconv.QuotedPrefix(rest)
				if qerr != nil {
					return s, errState
				}
				rel, err = strconv.Unquote(q)
				rest = rest[len(q):]
			} else {
				rel, rest, _ = strings.Cut(rest, " ")
				rest = " " + rest
			}
			raw, err2 := strconv.Unquote(strings.TrimPrefix(rest, " "))
			if err != nil || err2 != nil || !strings.HasPrefix(rest, " ") {
				return s, errState
			}
			s.Refs = append(s.Refs, RefStamp{Rel: rel, Raw: raw})
		case "d", "m", "b", "f", "i":
			var v string
			var err error
			if kind == "d" && rest == `""` {
				v = ""
			} else if v, err = unquote(rest); err != nil {
				return s, errState
			}
			switch kind {
			case "d":
				s.Dirs = append(s.Dirs, v)
			case "m":
				s.Blobs = append(s.Blobs, BlobRef{Rel: v, Missing: true})
			case "b":
				s.Blobs = append(s.Blobs, BlobRef{Rel: "blobs/" + v})
			case "f":
				s.Blobs = append(s.Blobs, BlobRef{Rel: v})
			case "i":
				s.Incomplete = append(s.Incomplete, v)
			}
		default:
			return s, errState
		}
	}
	return s, nil
}

// Refresh is what a repo that did not change looks like now: the stat of
// its folder and, when their sum moved, the stats of all its blobs or of
// all its interrupted downloads, with the state to keep from now on.
type Refresh struct {
	Stat       Stat
	Blobs      []Changed // nil when their stats did not move
	Incomplete []Changed // nil when their stats did not move
	State      *State    // nil when nothing moved
}

// Changed is a file whose row may need refreshing: its absolute path and
// stat now.
type Changed struct {
	Path string
	Stat Stat
}

// Check tells whether the repo folder scanned with state st is as it was:
// every folder listed then has the same times, every ref file the same
// content, every blob the same kind of file (a dangling link still dangles)
// and every interrupted download is still there. If so it returns what
// moved (blobs not looked at when skipBlobs); if not, the repo must be
// scanned again. Check lists no folder.
func (w *Walker) Check(folder string, st *State, skipBlobs bool) (*Refresh, bool) {
	base := filepath.Join(w.s.root, folder)
	abs := func(rel string) string {
		if rel == "" {
			return base
		}
		return base + string(filepath.Separator) + rel
	}
	if st.DirSum == 0 || len(st.Dirs) == 0 || st.Dirs[0] != "" {
		return nil, false
	}
	dir, err := openDirHandle(base)
	if err != nil {
		return nil, false
	}
	defer dir.close()
	ref := &Refresh{}
	var ok bool
	if ref.Stat, ok = foldersUnchanged(dir, st); !ok {
		return nil, false
	}
	for _, r := range st.Refs {
		b, err := readSmall(abs(r.Rel))
		if err != nil || b != r.Raw {
			return nil, false
		}
	}
	next := *st
	hi := newSum()
	var incs []Changed
	for _, rel := range st.Incomplete {
		s, err := dir.statAt(rel, true)
		if err != nil || s.Mode.IsDir() {
			return nil, false
		}
		hi.addStat(s)
		incs = append(incs, Changed{abs(rel), s})
	}
	if uint64(hi) != st.IncSum {
		ref.Incomplete, next.IncSum = incs, uint64(hi)
	}
	if !skipBlobs {
		hb := newSum()
		var blobs []Changed
		for _, b := range st.Blobs {
			s, err := dir.statAt(b.Rel, true)
			if b.Missing {
				if err == nil {
					return nil, false
				}
				hb.addFile(s, true)
				continue
			}
			if err != nil || s.Mode.IsDir() {
				return nil, false
			}
			hb.addStat(s)
			blobs = append(blobs, Changed{abs(b.Rel), s})
		}
		if uint64(hb) != st.BlobSum {
			ref.Blobs, next.BlobSum = blobs, uint64(hb)
		}
	}
	if ref.Blobs != nil || ref.Incomplete != nil {
		ref.State = &next
	}
	return ref, true
}

// stateOf builds a repo's state from what its scan found.
func stateOf(dirs []DirStamp, refs []RefStamp, blobs []BlobRef, blobSum uint64, incs []string, incSum uint64) State {
	st := State{Refs: refs, Blobs: blobs, Incomplete: incs, DirSum: dirSum(dirs), BlobSum: blobSum, IncSum: incSum}
	for _, d := range dirs {
		st.Dirs = append(st.Dirs, d.Rel)
	}
	return st
}

// Digest sums everything the scan found in the repo, its state included:
// two scans with the same digest give the same rows.
func (r *Repo) Digest() string {
	h := fnv.New128a()
	fmt.Fprintf(h, "%#v", *r)
	return hex.EncodeToString(h.Sum(nil))
}

// readSmall reads a ref file as readRef does, up to one byte past the
// largest ref.
func readSmall(p string) (string, error) {
	b, err := readHead(p, maxRefSize+1)
	return string(b), err
}

// StoreState is the state of the shared store's folders as a scan listed
// them (see Payloads): only Dirs and DirSum are set.
func StoreState(stamps []DirStamp) State {
	return stateOf(stamps, nil, nil, newSumValue(), nil, newSumValue())
}

// StoreUnchanged reports whether the folders of the shared store listed by
// an earlier scan still have the same times.
func (w *Walker) StoreUnchanged(st State) bool {
	dir, err := openDirHandle(filepath.Join(w.s.root, "blobs"))
	if err != nil {
		return false
	}
	defer dir.close()
	_, ok := foldersUnchanged(dir, &st)
	return ok
}

// Lstat returns the Stat of path without following a final symlink.
func Lstat(path string) (Stat, error) { return lstat(path) }
