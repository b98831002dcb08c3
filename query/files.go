package query

import (
	"embed"
	"fmt"
	"regexp"
	"strings"
)

//go:embed files/*.sql
var filesFS embed.FS

func filesSQL(name string) string {
	b, err := filesFS.ReadFile("files/" + name + ".sql")
	if err != nil {
		panic("query: missing embedded SQL " + name) // a build mistake, caught by every test
	}
	return string(b)
}

// FileRow is one snapshot entry of `hfidx ls REPO`: a file of one
// revision with the blob it links.
type FileRow struct {
	CacheID  string   `json:"cache_id" db:"cache_id"`
	Revision string   `json:"revision" db:"commit_hash"`
	Refs     []string `json:"refs" db:"-"`
	Path     string   `json:"path" db:"rel_path"`
	FilePath string   `json:"file_path" db:"file_path"`
	Kind     string   `json:"kind" db:"kind"`
	Size     int64    `json:"size" db:"size"`
	// Sharing is "exclusive" when no other revision of the repo links the
	// blob, "shared" when one does, "broken" for a link to no blob and
	// "special" for a FIFO, socket or device.
	Sharing      string  `json:"sharing" db:"-"`
	BlobPath     string  `json:"blob_path" db:"blob_path"`
	LastAccessed float64 `json:"blob_last_accessed" db:"atime"`

	RevisionID int64  `json:"-" db:"revision"`
	RefsText   string `json:"-" db:"refs"`
	Linked     bool   `json:"-" db:"linked"`
	Exclusive  bool   `json:"-" db:"exclusive"`
}

// RepoRev is what `REPO[@REV]` names: a repo, and one of its revisions
// when Revision is not 0.
type RepoRev struct {
	Repo     int64
	CacheID  string
	Revision int64
	Hash     string
}

// NotFoundError is a repo or revision the index does not hold.
type NotFoundError struct{ Msg, Hint string }

func (e *NotFoundError) Error() string { return e.Msg }

var prefixRe = regexp.MustCompile(`^[0-9a-fA-F]{8,}$`)

// ResolveRepoRev finds what s names: a repo by cache id (`model/org/name`)
// or repo id (`org/name`), exactly or else by ASCII case, optionally
// followed by `@REV`, a commit hash, a ref name or a hash prefix of at
// least 8 hex digits. The exact form `=<type>/<id>[@<hash>]` that `hfidx
// ls -q` prints matches byte for byte. A whole string naming a repo wins
// over a split at '@'. It returns a *UsageError when s is empty, malformed
// or ambiguous, a *NotFoundError when nothing matches, or the database
// error.
func ResolveRepoRev(db Reader, s string) (RepoRev, error) {
	if s == "" {
		return RepoRev{}, usageErr("empty repo name: want REPO or REPO@REV, e.g. org/name or model/org/name@main")
	}
	if strings.HasPrefix(s, "=") {
		t, ok, err := ParseTarget(s)
		if err != nil {
			return RepoRev{}, err
		}
		if !ok || (t.Kind != TargetRepo && t.Kind != TargetRepoRevision) {
			return RepoRev{}, usageErr("%q is not a repo in the exact form: want =<type>/<id>[@<hash>]", s)
		}
		return resolve(db, s, t.CacheID(), t.Hash, true)
	}
	rr, err := resolve(db, s, s, "", false)
	if _, missing := err.(*NotFoundError); missing {
		if i := strings.LastIndexByte(s, '@'); i > 0 {
			return resolve(db, s, s[:i], s[i+1:], false)
		}
	}
	return rr, err
}

func resolve(db Reader, raw, repo, rev string, exact bool) (RepoRev, error) {
	var ms []struct {
		Repo    int64  `db:"repo"`
		CacheID string `db:"cache_id"`
		Folder  string `db:"folder"`
		Exact   bool   `db:"exact"`
	}
	if err := db.Select(&ms, filesSQL("repos_named"), repo); err != nil {
		return RepoRev{}, err
	}
	exacts := ms[:0:0]
	for _, m := range ms {
		if m.Exact {
			exacts = append(exacts, m)
		}
	}
	if len(exacts) > 0 || exact {
		ms = exacts
	}
	switch {
	case len(ms) == 0:
		return RepoRev{}, &NotFoundError{Msg: fmt.Sprintf("no repo %q in the cache", repo), Hint: "run 'hfidx ls' for the repos cached"}
	case len(ms) > 1:
		var ids []string
		for _, m := range ms {
			ids = append(ids, m.CacheID+" ("+m.Folder+")")
		}
		return RepoRev{}, usageErr("%q names %d repos: %s; name one by its cache id, or as 'hfidx ls -q' prints it", raw, len(ms), strings.Join(ids, ", "))
	}
	rr := RepoRev{Repo: ms[0].Repo, CacheID: ms[0].CacheID}
	if rev == "" && !strings.HasSuffix(raw, "@") {
		return rr, nil
	}
	if rev == "" {
		return RepoRev{}, usageErr("empty revision in %q: want REPO@<commit hash, ref or hash prefix of 8+ hex digits>", raw)
	}
	var vs []struct {
		Revision int64  `db:"revision"`
		Hash     string `db:"commit_hash"`
		By       string `db:"by"`
	}
	prefix := !exact && prefixRe.MatchString(rev)
	if err := db.Select(&vs, filesSQL("revisions_named"), rr.Repo, rev, prefix); err != nil {
		return RepoRev{}, err
	}
	// A full hash wins over a ref of that name, which wins over prefixes.
	for _, by := range []string{"hash", "ref", "prefix"} {
		var found []int
		for i, v := range vs {
			if v.By == by && (!exact || by == "hash") {
				found = append(found, i)
			}
		}
		if len(found) == 1 {
			rr.Revision, rr.Hash = vs[found[0]].Revision, vs[found[0]].Hash
			return rr, nil
		}
		if len(found) > 1 {
			var hs []string
			for _, i := range found {
				hs = append(hs, vs[i].Hash)
			}
			return RepoRev{}, usageErr("%q matches %d revisions of %s: %s; give more of the hash", rev, len(found), rr.CacheID, strings.Join(hs, ", "))
		}
	}
	return RepoRev{}, &NotFoundError{Msg: fmt.Sprintf("%s has no revision %q", rr.CacheID, rev),
		Hint: "run 'hfidx ls " + rr.CacheID + "' for its revisions and refs"}
}

// RepoFiles returns the snapshot entries of rr's repo (of its revision
// alone when rr.Revision is set), by commit hash then path, byte-wise. It
// returns the database error, if any.
func RepoFiles(db Reader, rr RepoRev) ([]FileRow, error) {
	var rev any
	if rr.Revision != 0 {
		rev = rr.Revision
	}
	var rows []FileRow
	if err := db.Select(&rows, filesSQL("files"), rr.Repo, rev); err != nil {
		return nil, err
	}
	for i := range rows {
		r := &rows[i]
		r.Refs = []string{}
		if r.RefsText != "" {
			r.Refs = strings.Split(r.RefsText, ",")
		}
		switch {
		case r.Kind == "special":
			r.Sharing = "special"
		case !r.Linked:
			r.Sharing = "broken"
		case r.Exclusive:
			r.Sharing = "exclusive"
		default:
			r.Sharing = "shared"
		}
	}
	return rows, nil
}
