package cachetest

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// token is one word of a line: a bare word, a Go string literal, or an
// option key=value whose value may be a literal.
type token struct {
	key    string // option key, when isKV
	val    string // bare word, unquoted literal, or option value
	raw    string // the word as written (bare words only)
	isKV   bool
	quoted bool
}

func isQuote(c byte) bool { return c == '"' || c == '`' }

// readLiteral reads the Go string literal at the start of s and returns it
// unquoted, with the rest of s.
func readLiteral(s string) (string, string, error) {
	q := s[0]
	i := 1
	for ; i < len(s); i++ {
		if s[i] == '\\' && q == '"' {
			i++
			continue
		}
		if s[i] == q {
			break
		}
	}
	if i >= len(s) {
		return "", "", fmt.Errorf("unterminated string %s", s)
	}
	v, err := strconv.Unquote(s[:i+1])
	if err != nil {
		return "", "", fmt.Errorf("invalid string %s: %v", s[:i+1], err)
	}
	return v, s[i+1:], nil
}

func isKey(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < 'a' || c > 'z') && c != '-' {
			return false
		}
	}
	return true
}

// tokenize splits a line; a "#" at the start of a word starts a comment.
func tokenize(s string) ([]token, error) {
	var toks []token
	for {
		s = strings.TrimLeft(s, " \t\r")
		if s == "" || s[0] == '#' {
			return toks, nil
		}
		if isQuote(s[0]) {
			v, rest, err := readLiteral(s)
			if err != nil {
				return nil, err
			}
			toks = append(toks, token{val: v, quoted: true})
			s = rest
		} else {
			end := strings.IndexAny(s, " \t\r")
			if end < 0 {
				end = len(s)
			}
			word := s[:end]
			if k, v, ok := strings.Cut(word, "="); ok && isKey(k) {
				if v != "" && isQuote(v[0]) {
					lit, rest, err := readLiteral(s[len(k)+1:])
					if err != nil {
						return nil, err
					}
					toks = append(toks, token{key: k, val: lit, isKV: true, quoted: true})
					s = rest
				} else {
					toks = append(toks, token{key: k, val: v, raw: word, isKV: true})
					s = s[end:]
				}
			} else {
				if strings.ContainsAny(word, "\"`") {
					return nil, fmt.Errorf("stray quote in %q", word)
				}
				toks = append(toks, token{val: word, raw: word})
				s = s[end:]
			}
		}
		if s != "" && !strings.ContainsRune(" \t\r", rune(s[0])) {
			return nil, fmt.Errorf("missing space after a string")
		}
	}
}

// args walks the tokens of one directive.
type args struct {
	toks []token
	i    int
}

// word returns the next positional argument.
func (a *args) word(what string) (string, error) {
	if a.i >= len(a.toks) {
		return "", fmt.Errorf("missing %s", what)
	}
	t := a.toks[a.i]
	a.i++
	switch {
	case t.quoted && t.isKV:
		return "", fmt.Errorf("%s: unexpected option %s=", what, t.key)
	case t.quoted:
		return t.val, nil
	}
	return t.raw, nil
}

// opts holds the options and flags after the positional arguments.
type opts struct {
	content    []byte
	hasContent bool
	size       int64
	hasSize    bool
	kv         map[string]string
	multi      map[string][]string
	flags      map[string]bool
	time       Time
}

// options parses the remaining tokens; allowed lists the option keys and
// flags accepted, "content" a quoted content, "time" the time options and
// "ref*" a repeatable ref option.
func (a *args) options(allowed ...string) (opts, error) {
	o := opts{kv: map[string]string{}, multi: map[string][]string{}, flags: map[string]bool{}}
	ok := func(k string) bool { return slices.Contains(allowed, k) }
	for ; a.i < len(a.toks); a.i++ {
		t := a.toks[a.i]
		switch {
		case !t.isKV && t.quoted:
			if !ok("content") || o.hasContent {
				return o, fmt.Errorf("unexpected string %q", t.val)
			}
			o.content, o.hasContent = []byte(t.val), true
		case !t.isKV:
			if !ok(t.val) || !isKey(t.val) {
				return o, fmt.Errorf("unexpected word %q", t.val)
			}
			o.flags[t.val] = true
		case t.key == "time" || t.key == "atime" || t.key == "mtime":
			if !ok("time") {
				return o, fmt.Errorf("unexpected option %s=", t.key)
			}
			tm, err := parseTime(t.val)
			if err != nil {
				return o, err
			}
			if t.key != "mtime" {
				o.time.Atime = tm
			}
			if t.key != "atime" {
				o.time.Mtime = tm
			}
		case t.key == "size":
			if !ok("size") {
				return o, fmt.Errorf("unexpected option size=")
			}
			n, err := strconv.ParseInt(t.val, 10, 64)
			if err != nil || n < 0 {
				return o, fmt.Errorf("invalid size %q", t.val)
			}
			o.size, o.hasSize = n, true
		case ok(t.key + "*"):
			o.multi[t.key] = append(o.multi[t.key], t.val)
		case ok(t.key):
			if _, dup := o.kv[t.key]; dup {
				return o, fmt.Errorf("option %s= given twice", t.key)
			}
			o.kv[t.key] = t.val
		default:
			return o, fmt.Errorf("unexpected option %s=", t.key)
		}
	}
	if o.hasContent && (o.hasSize || o.flags["sparse"]) {
		return o, fmt.Errorf("both a content and size=")
	}
	if o.flags["sparse"] && !o.hasSize {
		return o, fmt.Errorf("sparse without size=")
	}
	if len(o.content) == 0 {
		o.content = nil
	}
	return o, nil
}

// parseTime parses "<sec>[.<fraction>]"; the fraction (≤ 9 digits) adds
// nanoseconds to sec.
func parseTime(s string) (time.Time, error) {
	secs, frac, hasFrac := strings.Cut(s, ".")
	sec, err := strconv.ParseInt(secs, 10, 64)
	if err != nil || (hasFrac && (len(frac) == 0 || len(frac) > 9)) {
		return time.Time{}, fmt.Errorf("invalid time %q", s)
	}
	var nsec int64
	if hasFrac {
		for _, c := range frac {
			if c < '0' || c > '9' {
				return time.Time{}, fmt.Errorf("invalid time %q", s)
			}
		}
		nsec, _ = strconv.ParseInt(frac+strings.Repeat("0", 9-len(frac)), 10, 64)
	}
	t := Unix(sec, nsec)
	if t.IsZero() {
		return time.Time{}, fmt.Errorf("invalid time %q: the zero time means unset", s)
	}
	return t, nil
}

// Parse reads a cache spec in the text format of the package documentation.
// Errors name the line.
func Parse(text string) (Cache, error) {
	var c Cache
	var repo *Repo
	var rev *Revision
	for i, ln := range strings.Split(text, "\n") {
		toks, err := tokenize(ln)
		if err == nil && len(toks) > 0 {
			repo, rev, err = directive(&c, repo, rev, toks)
		}
		if err != nil {
			return Cache{}, fmt.Errorf("line %d: %w", i+1, err)
		}
	}
	return c, nil
}

// directive applies one line to c; repo and rev are the current ones (nil
// before the first), and the new ones are returned. Repo and revision
// pointers stay valid because they are re-taken after every append.
func directive(c *Cache, repo *Repo, rev *Revision, toks []token) (*Repo, *Revision, error) {
	if toks[0].quoted || toks[0].isKV {
		return repo, rev, fmt.Errorf("a line must start with a directive")
	}
	a := &args{toks: toks, i: 1}
	name := toks[0].val
	needRepo := func() error {
		if repo == nil {
			return fmt.Errorf("%s before any repo", name)
		}
		return nil
	}
	switch name {
	case "root-entries":
		if _, err := a.options(); err != nil {
			return repo, rev, err
		}
		c.RootEntries = true

	case "store":
		o, err := a.options("marker", "nomarker")
		if err != nil {
			return repo, rev, err
		}
		if c.Store == nil {
			c.Store = &Store{}
		}
		c.Store.Marker, c.Store.NoMarker = o.kv["marker"], o.flags["nomarker"]

	case "payload":
		o, err := a.options("content", "size", "sparse", "hash", "nomanifest", "ref*", "time")
		if err != nil {
			return repo, rev, err
		}
		if c.Store == nil {
			c.Store = &Store{}
		}
		c.Store.Payloads = append(c.Store.Payloads, Payload{
			Hash: o.kv["hash"], Content: o.content, Size: o.size, Sparse: o.flags["sparse"],
			Refs: o.multi["ref"], NoManifest: o.flags["nomanifest"], Time: o.time,
		})

	case "repo":
		typ, err := a.word("repo type")
		if err != nil {
			return repo, rev, err
		}
		id, err := a.word("repo id")
		if err != nil {
			return repo, rev, err
		}
		o, err := a.options("folder", "time")
		if err != nil {
			return repo, rev, err
		}
		c.Repos = append(c.Repos, Repo{Type: typ, ID: id, Folder: o.kv["folder"], FolderTime: o.time})
		return &c.Repos[len(c.Repos)-1], nil, nil

	case "rev":
		if err := needRepo(); err != nil {
			return repo, rev, err
		}
		h, err := a.word("revision hash")
		if err != nil {
			return repo, rev, err
		}
		o, err := a.options("time")
		if err != nil {
			return repo, rev, err
		}
		repo.Revisions = append(repo.Revisions, Revision{Hash: h, FolderTime: o.time})
		return repo, &repo.Revisions[len(repo.Revisions)-1], nil

	case "file", "copy", "shared":
		if rev == nil {
			return repo, rev, fmt.Errorf("%s before any rev", name)
		}
		p, err := a.word("file path")
		if err != nil {
			return repo, rev, err
		}
		o, err := a.options("content", "size", "sparse", "lfs", "time")
		if err != nil {
			return repo, rev, err
		}
		rev.Files = append(rev.Files, File{
			Path: p, Content: o.content, Size: o.size, Sparse: o.flags["sparse"], LFS: o.flags["lfs"],
			Copy: name == "copy", Shared: name == "shared", Time: o.time,
		})

	case "ref":
		if err := needRepo(); err != nil {
			return repo, rev, err
		}
		n, err := a.word("ref name")
		if err != nil {
			return repo, rev, err
		}
		v, err := a.word("ref value")
		if err != nil {
			return repo, rev, err
		}
		if _, err := a.options(); err != nil {
			return repo, rev, err
		}
		if _, dup := repo.Refs[n]; dup {
			return repo, rev, fmt.Errorf("ref %s given twice", n)
		}
		if repo.Refs == nil {
			repo.Refs = map[string]string{}
		}
		repo.Refs[n] = v

	case "orphan":
		if err := needRepo(); err != nil {
			return repo, rev, err
		}
		o, err := a.options("content", "size", "sparse", "lfs", "time")
		if err != nil {
			return repo, rev, err
		}
		repo.OrphanBlobs = append(repo.OrphanBlobs, Blob{
			Content: o.content, Size: o.size, Sparse: o.flags["sparse"], LFS: o.flags["lfs"], Time: o.time,
		})

	case "incomplete":
		if err := needRepo(); err != nil {
			return repo, rev, err
		}
		n, err := a.word("incomplete name")
		if err != nil {
			return repo, rev, err
		}
		o, err := a.options("size", "time")
		if err != nil {
			return repo, rev, err
		}
		repo.Incomplete = append(repo.Incomplete, Incomplete{Name: n, Size: o.size, Time: o.time})

	case "noexist":
		if err := needRepo(); err != nil {
			return repo, rev, err
		}
		commit, err := a.word("commit")
		if err != nil {
			return repo, rev, err
		}
		var paths []string
		for a.i < len(a.toks) {
			p, err := a.word("path")
			if err != nil {
				return repo, rev, err
			}
			paths = append(paths, p)
		}
		if repo.NoExist == nil {
			repo.NoExist = map[string][]string{}
		}
		repo.NoExist[commit] = append(repo.NoExist[commit], paths...)

	case "tree":
		if err := needRepo(); err != nil {
			return repo, rev, err
		}
		commit, err := a.word("commit")
		if err != nil {
			return repo, rev, err
		}
		if _, err := a.options(); err != nil {
			return repo, rev, err
		}
		repo.Trees = append(repo.Trees, commit)

	case "corrupt":
		if err := needRepo(); err != nil {
			return repo, rev, err
		}
		k, err := a.word("corruption kind")
		if err != nil {
			return repo, rev, err
		}
		kind, ok := ParseCorruptionKind(k)
		if !ok {
			return repo, rev, fmt.Errorf("unknown corruption %q", k)
		}
		o, err := a.options("rev", "path", "content", "time")
		if err != nil {
			return repo, rev, err
		}
		co := Corruption{Kind: kind, Rev: o.kv["rev"], Path: o.kv["path"], Time: o.time}
		if v, ok := o.kv["content"]; ok {
			co.Content = []byte(v) // kept non-nil: an empty content differs from the default
		}
		repo.Corrupt = append(repo.Corrupt, co)

	case "extra":
		kind, err := a.word("extra kind")
		if err != nil {
			return repo, rev, err
		}
		p, err := a.word("extra path")
		if err != nil {
			return repo, rev, err
		}
		e := Entry{Path: p}
		switch kind {
		case "file":
			e.Kind = EntryFile
			o, err := a.options("content", "time")
			if err != nil {
				return repo, rev, err
			}
			e.Content, e.Time = o.content, o.time
		case "dir", "fifo":
			e.Kind = EntryDir
			if kind == "fifo" {
				e.Kind = EntryFIFO
			}
			o, err := a.options("time")
			if err != nil {
				return repo, rev, err
			}
			e.Time = o.time
		case "symlink":
			e.Kind = EntrySymlink
			if e.Target, err = a.word("symlink target"); err != nil {
				return repo, rev, err
			}
			if _, err := a.options(); err != nil {
				return repo, rev, err
			}
		default:
			return repo, rev, fmt.Errorf("unknown extra kind %q (want file, dir, symlink or fifo)", kind)
		}
		c.Extra = append(c.Extra, e)

	default:
		return repo, rev, fmt.Errorf("unknown directive %q", name)
	}
	return repo, rev, nil
}

// Format writes c in the text format; Parse(Format(c)) equals c for any c
// that Parse can produce. Fields the format cannot hold are dropped: Content
// when Size is set, Entry.Content of non-files, Entry.Target of non-links.
func Format(c Cache) string {
	var b strings.Builder
	line := func(indent int, parts ...string) {
		b.WriteString(strings.Repeat("  ", indent))
		b.WriteString(strings.Join(slices.DeleteFunc(parts, func(s string) bool { return s == "" }), " "))
		b.WriteString("\n")
	}
	if c.RootEntries {
		line(0, "root-entries")
	}
	if st := c.Store; st != nil {
		marker, nomarker := "", ""
		if st.Marker != "" {
			marker = "marker=" + strconv.Quote(st.Marker)
		}
		if st.NoMarker {
			nomarker = "nomarker"
		}
		line(0, "store", marker, nomarker)
		for _, p := range st.Payloads {
			parts := []string{"payload", fmtContent(p.Content, p.Size, p.Sparse)}
			if p.Hash != "" {
				parts = append(parts, "hash="+word(p.Hash))
			}
			if p.NoManifest {
				parts = append(parts, "nomanifest")
			}
			for _, r := range p.Refs {
				parts = append(parts, "ref="+word(r))
			}
			line(1, append(parts, fmtTime(p.Time))...)
		}
	}
	for _, r := range c.Repos {
		folder := ""
		if r.Folder != "" {
			folder = "folder=" + word(r.Folder)
		}
		line(0, "repo", word(r.Type), word(r.ID), folder, fmtTime(r.FolderTime))
		for _, rev := range r.Revisions {
			line(1, "rev", word(rev.Hash), fmtTime(rev.FolderTime))
			for _, f := range rev.Files {
				kind := "file"
				switch {
				case f.Copy && f.Shared:
					// Not expressible; Copy wins, as in Build.
					kind = "copy"
				case f.Copy:
					kind = "copy"
				case f.Shared:
					kind = "shared"
				}
				lfs := ""
				if f.LFS {
					lfs = "lfs"
				}
				line(2, kind, word(f.Path), fmtContent(f.Content, f.Size, f.Sparse), lfs, fmtTime(f.Time))
			}
		}
		names := make([]string, 0, len(r.Refs))
		for n := range r.Refs {
			names = append(names, n)
		}
		slices.Sort(names)
		for _, n := range names {
			line(1, "ref", word(n), word(r.Refs[n]))
		}
		for _, o := range r.OrphanBlobs {
			lfs := ""
			if o.LFS {
				lfs = "lfs"
			}
			line(1, "orphan", fmtContent(o.Content, o.Size, o.Sparse), lfs, fmtTime(o.Time))
		}
		for _, in := range r.Incomplete {
			line(1, "incomplete", word(in.Name), "size="+strconv.FormatInt(in.Size, 10), fmtTime(in.Time))
		}
		commits := make([]string, 0, len(r.NoExist))
		for commit := range r.NoExist {
			commits = append(commits, commit)
		}
		slices.Sort(commits)
		for _, commit := range commits {
			parts := []string{"noexist", word(commit)}
			for _, p := range r.NoExist[commit] {
				parts = append(parts, word(p))
			}
			line(1, parts...)
		}
		for _, t := range r.Trees {
			line(1, "tree", word(t))
		}
		for _, co := range r.Corrupt {
			parts := []string{"corrupt", co.Kind.String()}
			if co.Rev != "" {
				parts = append(parts, "rev="+word(co.Rev))
			}
			if co.Path != "" {
				parts = append(parts, "path="+word(co.Path))
			}
			if co.Content != nil {
				parts = append(parts, "content="+strconv.Quote(string(co.Content)))
			}
			line(1, append(parts, fmtTime(co.Time))...)
		}
	}
	for _, e := range c.Extra {
		switch e.Kind {
		case EntryFile:
			line(0, "extra", "file", word(e.Path), fmtContent(e.Content, 0, false), fmtTime(e.Time))
		case EntryDir:
			line(0, "extra", "dir", word(e.Path), fmtTime(e.Time))
		case EntryFIFO:
			line(0, "extra", "fifo", word(e.Path), fmtTime(e.Time))
		case EntrySymlink:
			line(0, "extra", "symlink", word(e.Path), word(e.Target))
		}
	}
	return b.String()
}

// word returns s bare when it reads back as itself, else Go-quoted.
func word(s string) string {
	if s == "" || s[0] == '#' || isKey(strings.SplitN(s, "=", 2)[0]) && strings.Contains(s, "=") {
		return strconv.Quote(s)
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || c == '"' || c == '`' || c == '\\' || c == '\'' {
			return strconv.Quote(s)
		}
	}
	return s
}

func fmtContent(data []byte, size int64, sparse bool) string {
	if size != 0 || sparse {
		s := "size=" + strconv.FormatInt(size, 10)
		if sparse {
			s += " sparse"
		}
		return s
	}
	return strconv.Quote(string(data))
}

func fmtTime(t Time) string {
	switch {
	case t.isZero():
		return ""
	case t.Atime.Equal(t.Mtime) && t.Atime == t.Mtime:
		return "time=" + fmtUnix(t.Mtime)
	}
	var parts []string
	if !t.Atime.IsZero() {
		parts = append(parts, "atime="+fmtUnix(t.Atime))
	}
	if !t.Mtime.IsZero() {
		parts = append(parts, "mtime="+fmtUnix(t.Mtime))
	}
	return strings.Join(parts, " ")
}

func fmtUnix(t time.Time) string {
	s := strconv.FormatInt(t.Unix(), 10)
	if ns := t.Nanosecond(); ns != 0 {
		s += "." + strings.TrimRight(fmt.Sprintf("%09d", ns), "0")
	}
	return s
}
