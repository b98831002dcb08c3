package query

import (
	"fmt"
	"regexp"
	"strings"
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
	re   *regexp.Regexp
}

// CacheID returns `<type>/<id>` of a repo target.
func (t Target) CacheID() string { return t.RepoType + "/" + t.RepoID }

var (
	hexRe       = regexp.MustCompile(`^[0-9a-fA-F]{8,40}$`)
	repoTypes   = map[string]bool{"model": true, "dataset": true, "space": true, "kernel": true}
	uriPrefixes = map[string]string{"models": "model", "datasets": "dataset", "spaces": "space", "kernels": "kernel"}
)

// ParseTarget parses one delete target: a commit hash or a prefix of at
// least 8 hex digits; a cache id (`model/org/name`, `dataset/…`, `space/…`,
// `kernel/…`), optionally followed by `@<hash>`; or an `hf://` repo URI
// (`hf://org/name` is a model; `hf://datasets/org/name`, …). It returns a
// *UsageError for a malformed hf:// URI or an empty target, and ok=false
// for a string that names nothing hfidx knows how to look up (an unknown
// target, reported as such).
func ParseTarget(raw string) (t Target, ok bool, err error) {
	s := strings.TrimSpace(raw)
	t.Raw = s
	switch {
	case s == "":
		return t, false, usageErr("empty target")
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
			return t, false, usageErr("bad revision in %q: want %s@<commit hash, or a prefix of at least 8 hex digits>", raw, repo)
		}
		t.Kind, t.Hash = TargetRepoRevision, hash
	}
	return t, true, nil
}

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

// String renders the target for messages.
func (t Target) String() string {
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
