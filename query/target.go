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
)

// Target is a parsed argument of `hfidx delete`.
type Target struct {
	Raw      string
	Kind     TargetKind
	Hash     string // for revision targets: the hash or prefix, as given
	RepoType string // for repo targets
	RepoID   string
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
	if len(parts) > 2 || strings.Contains(parts[0]+parts[1], "@") {
		return t, false, usageErr("%q: only repo-level hf:// URIs are supported; to delete one revision use %s/%s@<hash>",
			t.Raw, typ, strings.Split(parts[0]+"/"+parts[1], "@")[0])
	}
	id := parts[0] + "/" + parts[1]
	if !validRepoID(id) {
		return t, false, usageErr("%q: bad repo id %q", t.Raw, id)
	}
	t.Kind, t.RepoType, t.RepoID = TargetRepo, typ, id
	return t, true, nil
}

// String renders the target for messages.
func (t Target) String() string {
	switch t.Kind {
	case TargetRepo:
		return t.CacheID()
	case TargetRepoRevision:
		return fmt.Sprintf("%s@%s", t.CacheID(), t.Hash)
	}
	return t.Hash
}
