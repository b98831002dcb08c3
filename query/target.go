package query

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// TargetKind says what a delete target names.
type TargetKind int

// Target kinds.
const (
	TargetRevision     TargetKind = iota + 1 // a commit hash or a unique prefix of at least 8 hex
	TargetRepo                               // a whole repo
	TargetRepoRevision                       // <type>/<id>@<hash>: one revision of one repo
	TargetFile                               // entries of a repo's snapshots, by path or glob
)

// Target is a parsed argument of `hfidx delete`.
type Target struct {
	Raw      string
	Kind     TargetKind
	Hash     string // for revision targets: the hash or prefix, as given
	RepoType string // for repo targets
	RepoID   string
	// Path is the path in the repo a file target names (exact), or its
	// glob when Glob is set. Hash, when set, restricts it to one revision:
	// a commit hash, a prefix of at least 8 hex digits, or a ref name.
	Path string
	Glob bool
	// Exact is set for the exact form (`=…`): the cache id and the hash
	// match byte for byte, never by case or prefix.
	Exact bool
	re    *regexp.Regexp
}

// CacheID returns `<type>/<id>` of a repo target.
func (t Target) CacheID() string { return t.RepoType + "/" + t.RepoID }

var (
	hexRe       = regexp.MustCompile(`^[0-9a-fA-F]{8,}$`)
	repoTypes   = map[string]bool{"model": true, "dataset": true, "space": true, "kernel": true}
	uriPrefixes = map[string]string{"models": "model", "datasets": "dataset", "spaces": "space", "kernels": "kernel"}
)

// ParseTarget parses one delete target, taken as it is (nothing is
// trimmed): a commit hash or a prefix of at least 8 hex digits; a cache
// id (`model/org/name`, `dataset/…`, `space/…`, `kernel/…`), optionally
// followed by `@<hash>` or `[@<revision>]:<glob>`; an `hf://` repo or file
// URI (`hf://org/name` is a model; `hf://datasets/org/name`, …); or the
// exact form `=<type>/<id>[@<hash>]`, `=<hash>`, `=<type>/<id>[@<revision>]:<glob>`
// (see ParseExact), which is how `hfidx ls -q` writes names the other
// forms cannot. It returns a *UsageError for a malformed target (an empty
// one, one with leading or trailing white space, a bad hf:// URI or exact
// form), and ok=false for a string that names nothing hfidx knows how to
// look up (an unknown target, reported as such).
func ParseTarget(raw string) (t Target, ok bool, err error) {
	s := raw
	t.Raw = s
	switch trimmed := strings.TrimSpace(s); {
	case trimmed == "":
		return t, false, usageErr("empty target")
	case trimmed != s:
		return t, false, usageErr("target %q has leading or trailing white space: remove it, or write a name that has it in the exact form (=<type>/<id> with %%20 for a space), as 'hfidx ls -q' prints it", raw)
	case strings.HasPrefix(s, "="):
		return parseExact(t, s[1:])
	case strings.HasPrefix(s, "hf://"):
		return parseURI(t, strings.TrimPrefix(s, "hf://"))
	case hexRe.MatchString(s):
		t.Kind, t.Hash = TargetRevision, s
		return t, true, nil
	}
	if repoPart, glob, isFile := strings.Cut(s, ":"); isFile {
		return parseGlobTarget(t, repoPart, glob)
	}
	repo, hash, hasHash := strings.Cut(s, "@")
	typ, id, found := strings.Cut(repo, "/")
	if !found || !repoTypes[typ] || !validRepoID(id) {
		return t, false, nil
	}
	t.Kind, t.RepoType, t.RepoID = TargetRepo, typ, id
	if hasHash {
		if !hexRe.MatchString(hash) {
			return t, false, usageErr("bad revision in %q: want %s@<commit hash, or a prefix of at least 8 hex digits>; for an id with '@' in it write =%s (as 'hfidx ls -q' prints it)", raw, repo, QuoteExact(s))
		}
		t.Kind, t.Hash = TargetRepoRevision, hash
	}
	return t, true, nil
}

// parseExact parses the exact form after its "=": `<type>/<id>`,
// `<type>/<id>@<hash>`, `<hash>` or `<type>/<id>[@<revision>]:<glob>`,
// where the id, hash and revision are percent-decoded (`%XX` is the byte
// 0xXX; `@`, `:` and `%` in them are written `%40`, `%3A`, `%25`) and the
// glob after the first ':' is taken as in the plain form.
func parseExact(t Target, s string) (Target, bool, error) {
	t.Exact = true
	const hint = "; the exact form is =<type>/<id>[@<hash>], =<hash> or =<type>/<id>[@<revision>]:<glob>, with %XX for the byte XX (as 'hfidx ls -q' prints it)"
	repo, glob, isFile := strings.Cut(s, ":")
	if !strings.Contains(repo, "/") {
		if isFile {
			return t, false, usageErr("%q: a glob needs a repo%s", t.Raw, hint)
		}
		h, err := unescapeExact(repo)
		if err != nil {
			return t, false, usageErr("%q: %v%s", t.Raw, err, hint)
		}
		if h == "" {
			return t, false, usageErr("%q: nothing after '='%s", t.Raw, hint)
		}
		t.Kind, t.Hash = TargetRevision, h
		return t, true, nil
	}
	repo, rev, hasRev := strings.Cut(repo, "@")
	typ, rawID, _ := strings.Cut(repo, "/")
	if !repoTypes[typ] {
		return t, false, usageErr("%q: unknown repo type %q: want model, dataset, space or kernel%s", t.Raw, typ, hint)
	}
	id, err := unescapeExact(rawID)
	if err == nil && hasRev {
		rev, err = unescapeExact(rev)
	}
	if err != nil {
		return t, false, usageErr("%q: %v%s", t.Raw, err, hint)
	}
	if id == "" || slices.Contains(strings.Split(id, "/"), "") {
		return t, false, usageErr("%q: empty repo id or id segment%s", t.Raw, hint)
	}
	if hasRev && rev == "" {
		return t, false, usageErr("%q: empty revision after @%s", t.Raw, hint)
	}
	t.Kind, t.RepoType, t.RepoID = TargetRepo, typ, id
	if hasRev {
		t.Kind, t.Hash = TargetRepoRevision, rev
	}
	if !isFile {
		return t, true, nil
	}
	if glob == "" {
		return t, false, usageErr("%q: empty glob after ':'; to delete the repo use =%s", t.Raw, QuoteExact(t.CacheID()))
	}
	re, err := compileGlob(glob)
	if err != nil {
		return t, false, usageErr("%q: %v", t.Raw, err)
	}
	t.Kind, t.Path, t.Glob, t.re = TargetFile, glob, true, re
	return t, true, nil
}

// unescapeExact decodes the %XX escapes of the exact form. It fails on a
// '%' not followed by two hex digits.
func unescapeExact(s string) (string, error) {
	if !strings.Contains(s, "%") {
		return s, nil
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '%' {
			b.WriteByte(s[i])
			continue
		}
		if i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2]) {
			return "", fmt.Errorf("bad escape %q: write %% as %%25", s[i:min(i+3, len(s))])
		}
		b.WriteByte(unhex(s[i+1])<<4 | unhex(s[i+2]))
		i += 2
	}
	return b.String(), nil
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c <= 'F':
		return c - 'A' + 10
	}
	return c - 'a' + 10
}

// QuoteExact escapes s (a cache id or a commit hash) for the exact form:
// `%`, `@`, `:`, control characters, line and paragraph separators, and
// white space at either end become %XX, one per byte; everything else,
// bytes that are not UTF-8 included, stays as it is. The caller adds the
// leading "=".
func QuoteExact(s string) string {
	lead, trail := blankEnds(s)
	var b strings.Builder
	for i, w := 0, 0; i < len(s); i += w {
		r, n := utf8.DecodeRuneInString(s[i:])
		w = n
		if i >= lead && i < trail && r != '%' && r != '@' && r != ':' && !breaksLine(r) {
			b.WriteString(s[i : i+n])
			continue
		}
		for _, c := range []byte(s[i : i+n]) {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

// blankEnds returns where s starts and ends once white space is trimmed.
func blankEnds(s string) (lead, trail int) {
	return len(s) - len(strings.TrimLeftFunc(s, unicode.IsSpace)), len(strings.TrimRightFunc(s, unicode.IsSpace))
}

// breaksLine reports whether r, printed, could end or garble a line: a
// control character (C0, DEL, C1) or a line or paragraph separator.
func breaksLine(r rune) bool {
	return r != utf8.RuneError && unicode.IsControl(r) || r == '\u2028' || r == '\u2029'
}

// oneLineSafe reports whether s prints as itself on one line of
// `hfidx delete -`, with no white space at its ends to lose.
func oneLineSafe(s string) bool {
	lead, trail := blankEnds(s)
	return lead == 0 && trail == len(s) && !strings.ContainsFunc(s, breaksLine)
}

// PlainRepo reports whether the cache id, given as a target as it is,
// parses as that repo and nothing else (no '@' or ':', no dot segment)
// and survives a line of `hfidx delete -` (no control character, no white
// space at its ends).
func PlainRepo(cacheID string) bool {
	t, ok, err := ParseTarget(cacheID)
	return err == nil && ok && t.Kind == TargetRepo && !t.Exact && t.CacheID() == cacheID && oneLineSafe(cacheID)
}

// PlainHash reports whether the commit hash, given as a target as it is,
// parses as that hash: at least 8 hex digits.
func PlainHash(hash string) bool { return hexRe.MatchString(hash) }

func validRepoID(id string) bool {
	if id == "" {
		return false
	}
	for _, seg := range strings.Split(id, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return false
		}
	}
	return true
}

func parseURI(t Target, rest string) (Target, bool, error) {
	rest = strings.Trim(rest, "/")
	parts := strings.Split(rest, "/")
	typ := "model"
	if p, ok := uriPrefixes[parts[0]]; ok {
		typ, parts = p, parts[1:]
	} else if parts[0] == "buckets" {
		return t, false, usageErr("%q: only repository hf:// URIs can be deleted", t.Raw)
	}
	if len(parts) < 2 {
		return t, false, usageErr("%q: the repo id must be namespace/name (for a repo without namespace use %s/<name>)", t.Raw, typ)
	}
	if strings.Contains(parts[0], "@") {
		return t, false, usageErr("%q: bad repo id %q: a revision goes after the name (%s/<namespace>/<name>@<revision>)", t.Raw, parts[0]+"/"+parts[1], typ)
	}
	name, rev, hasRev := strings.Cut(parts[1], "@")
	id := parts[0] + "/" + name
	if !validRepoID(id) {
		return t, false, usageErr("%q: bad repo id %q", t.Raw, id)
	}
	t.RepoType, t.RepoID = typ, id
	if len(parts) > 2 {
		t.Kind, t.Path = TargetFile, strings.Join(parts[2:], "/")
		if hasRev {
			if rev == "" {
				return t, false, usageErr("%q: empty revision after @", t.Raw)
			}
			t.Hash = rev
		}
		if !validRepoPath(t.Path) {
			return t, false, usageErr("%q: bad path in repo %q", t.Raw, t.Path)
		}
		return t, true, nil
	}
	if hasRev {
		if !hexRe.MatchString(rev) {
			return t, false, usageErr("%q: bad revision: want %s/%s@<commit hash, or a prefix of at least 8 hex digits>", t.Raw, typ, id)
		}
		t.Kind, t.Hash = TargetRepoRevision, rev
		return t, true, nil
	}
	t.Kind = TargetRepo
	return t, true, nil
}

// parseGlobTarget parses `<type>/<id>[@<revision>]:<glob>`.
func parseGlobTarget(t Target, repo, glob string) (Target, bool, error) {
	repo, rev, hasRev := strings.Cut(repo, "@")
	typ, id, found := strings.Cut(repo, "/")
	if !found || !repoTypes[typ] || !validRepoID(id) {
		return t, false, usageErr("%q: want <type>/<repo id>[@<revision>]:<glob>, e.g. 'model/org/name:*Q8_0*'", t.Raw)
	}
	if hasRev && rev == "" {
		return t, false, usageErr("%q: empty revision after @", t.Raw)
	}
	if glob == "" {
		return t, false, usageErr("%q: empty glob after ':'; to delete the repo use %s/%s", t.Raw, typ, id)
	}
	re, err := compileGlob(glob)
	if err != nil {
		return t, false, usageErr("%q: %v", t.Raw, err)
	}
	t.Kind, t.RepoType, t.RepoID, t.Hash, t.Path, t.Glob, t.re = TargetFile, typ, id, rev, glob, true, re
	return t, true, nil
}

// validRepoPath reports whether p is a clean relative path in a repo.
func validRepoPath(p string) bool {
	for _, seg := range strings.Split(p, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return false
		}
	}
	return true
}

// compileGlob turns a glob into a regexp over paths in a repo: `*` matches
// any run of characters but `/`, `?` one character but `/`, `**` any run
// including `/`, `[...]` a class (`[!...]` negated), `\x` the character x.
func compileGlob(g string) (*regexp.Regexp, error) {
	var b strings.Builder
	b.WriteString("^")
	for i := 0; i < len(g); i++ {
		c := g[i]
		switch c {
		case '*':
			if i+1 < len(g) && g[i+1] == '*' {
				b.WriteString(".*")
				i++
			} else {
				b.WriteString("[^/]*")
			}
		case '?':
			b.WriteString("[^/]")
		case '[':
			j := strings.IndexByte(g[i+1:], ']')
			if j == 0 && i+2 < len(g) { // "[]...]": ']' first is literal
				j = strings.IndexByte(g[i+2:], ']') + 1
				if j == 0 {
					j = -1
				}
			}
			if j < 0 {
				return nil, fmt.Errorf("unterminated [ in glob %q", g)
			}
			class := g[i+1 : i+1+j]
			b.WriteString("[")
			if strings.HasPrefix(class, "!") || strings.HasPrefix(class, "^") {
				b.WriteString("^")
				class = class[1:]
			}
			b.WriteString(strings.NewReplacer(`\`, `\\`, "[", `\[`, "]", `\]`).Replace(class))
			b.WriteString("]")
			i += j + 1
		case '\\':
			if i+1 < len(g) {
				i++
				c = g[i]
			}
			b.WriteString(regexp.QuoteMeta(string(c)))
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	b.WriteString("$")
	return regexp.Compile(b.String())
}

// MatchPath reports whether the file target names the entry at rel (a /
// separated path in the repo). An exact path matches only itself. A glob
// matches the whole path, or a folder holding the entry; a glob without
// `/` also matches the entry's name or any folder name on its path.
func (t Target) MatchPath(rel string) bool {
	if !t.Glob {
		return rel == t.Path
	}
	re := t.re
	if re == nil {
		var err error
		if re, err = compileGlob(t.Path); err != nil {
			return false
		}
	}
	segs := strings.Split(rel, "/")
	for i := 1; i <= len(segs); i++ {
		if re.MatchString(strings.Join(segs[:i], "/")) {
			return true
		}
	}
	if !strings.Contains(t.Path, "/") {
		for _, s := range segs {
			if re.MatchString(s) {
				return true
			}
		}
	}
	return false
}

// String renders the target for messages, in the exact form for an
// exact target.
func (t Target) String() string {
	if t.Exact {
		return t.exactString()
	}
	switch t.Kind {
	case TargetRepo:
		return t.CacheID()
	case TargetRepoRevision:
		return fmt.Sprintf("%s@%s", t.CacheID(), t.Hash)
	case TargetFile:
		rev := ""
		if t.Hash != "" {
			rev = "@" + t.Hash
		}
		return fmt.Sprintf("%s%s:%s", t.CacheID(), rev, t.Path)
	}
	return t.Hash
}

func (t Target) exactString() string {
	if t.Kind == TargetRevision {
		return "=" + QuoteExact(t.Hash)
	}
	s := "=" + QuoteExact(t.CacheID())
	if t.Hash != "" {
		s += "@" + QuoteExact(t.Hash)
	}
	if t.Kind == TargetFile {
		s += ":" + t.Path
	}
	return s
}
