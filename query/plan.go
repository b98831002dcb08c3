package query

import (
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/jmoiron/sqlx"

	"github.com/hfidx/hfidx/schema"
)

// Selection is what delete targets resolve to: revisions, and repos to
// remove whole. Keys are stable across syncs (repo folder and commit hash),
// so a selection can be planned again on a fresh index.
type Selection struct {
	Revisions map[RevisionKey]bool
	Repos     map[string]bool // repo folders selected whole
	Files     map[FileKey]bool
	// Orphans are entries of <repo>/blobs to remove (prune), by absolute path.
	Orphans map[string]bool
	// Payloads are store payloads to sweep (prune), by absolute path.
	Payloads map[string]bool
	Unknown  []string // targets that match nothing
	// BreakLinks removes blobs that snapshot entries of other repos link
	// (delete --break-links); the plan then names those entries in Breaks.
	BreakLinks bool
	// InUse, when set, tells which live processes hold the file with that
	// device and inode (as "4711 (python serve.py)"): a blob the plan would
	// remove that one holds is kept, with them as the reason.
	InUse func(dev, ino uint64) []string `json:"-"`
	// ForceInUse removes such blobs anyway (--force): the plan lists them
	// in Busy, their space freed only when their holders exit.
	ForceInUse bool `json:"-"`
	// SizesOnly plans paths and bytes only, without the per-repo listing
	// (Entries) and the Recheck list: for searching how much to evict.
	SizesOnly bool `json:"-"`
}

// FileKey names a snapshot entry across syncs.
type FileKey struct {
	Folder  string `db:"folder"`
	Hash    string `db:"hash"`
	RelPath string `db:"rel_path"`
}

// RevisionKey names a revision across syncs.
type RevisionKey struct {
	Folder string
	Hash   string
}

// Empty reports whether the selection names nothing.
func (s *Selection) Empty() bool {
	return len(s.Revisions) == 0 && len(s.Repos) == 0 && len(s.Files) == 0 && len(s.Orphans) == 0 && len(s.Payloads) == 0
}

// NewSelection returns an empty selection.
func NewSelection() *Selection {
	return &Selection{Revisions: map[RevisionKey]bool{}, Repos: map[string]bool{}, Files: map[FileKey]bool{},
		Orphans: map[string]bool{}, Payloads: map[string]bool{}}
}

// SelectedText says how many revisions and repos sel holds and what
// deleting them frees, as the interactive pickers show it.
func SelectedText(sel *Selection, freed int64) string {
	what := fmt.Sprintf("%d revision(s)", len(sel.Revisions))
	if n := len(sel.Repos); n > 0 {
		what += fmt.Sprintf(" and %d repo(s)", n)
	}
	return what + " selected, freeing " + FormatSize(freed) + "."
}

// AmbiguousError lists targets that match more than one revision or repo.
type AmbiguousError struct {
	Targets    []string
	Candidates [][]string
}

func (e *AmbiguousError) Error() string {
	var b strings.Builder
	for i, t := range e.Targets {
		if i > 0 {
			b.WriteString("; ")
		}
		fmt.Fprintf(&b, "%q matches %s", t, strings.Join(e.Candidates[i], ", "))
	}
	return "ambiguous target: " + b.String()
}

type match struct {
	Revision int64  `db:"revision"`
	Folder   string `db:"folder"`
	CacheID  string `db:"cache_id"`
	Hash     string `db:"commit_hash"`
}

// Resolve looks targets up in the index: exact-case matches first, then
// case-insensitive ones; a hash prefix must be unique. A target matching
// several revisions or repos is never resolved silently: Resolve returns
// an *AmbiguousError naming the candidates. Targets matching nothing are
// listed in Unknown.
func Resolve(db *sqlx.DB, targets []Target, unknown []string) (*Selection, error) {
	sel := NewSelection()
	sel.Unknown = unknown
	amb := &AmbiguousError{}
	for _, t := range targets {
		var ms []match
		var err error
		switch t.Kind {
		case TargetFile:
			var repos []match
			if repos, err = repoMatches(db, t.CacheID(), t.Exact); err != nil {
				return nil, err
			}
			if len(repos) > 1 {
				amb.add(t.Raw, repos, false)
				continue
			}
			var keys []FileKey
			if len(repos) == 1 {
				keys, err = fileMatches(db, t, repos[0].Folder, amb)
				if err != nil {
					return nil, err
				}
			}
			if len(keys) == 0 {
				if len(amb.Targets) == 0 || amb.Targets[len(amb.Targets)-1] != t.Raw {
					sel.Unknown = append(sel.Unknown, t.Raw)
				}
			}
			for _, k := range keys {
				sel.Files[k] = true
			}
			continue
		case TargetRevision:
			ms, err = revisionMatches(db, t.Hash, "", t.Exact)
		case TargetRepo, TargetRepoRevision:
			var repos []match
			repos, err = repoMatches(db, t.CacheID(), t.Exact)
			if err != nil {
				return nil, err
			}
			if len(repos) > 1 {
				amb.add(t.Raw, repos, false)
				continue
			}
			if t.Kind == TargetRepo {
				if len(repos) == 1 {
					sel.Repos[repos[0].Folder] = true
				} else {
					sel.Unknown = append(sel.Unknown, t.Raw)
				}
				continue
			}
			if len(repos) == 1 {
				ms, err = revisionMatches(db, t.Hash, repos[0].Folder, t.Exact)
			}
		}
		if err != nil {
			return nil, err
		}
		switch len(ms) {
		case 0:
			sel.Unknown = append(sel.Unknown, t.Raw)
		case 1:
			sel.Revisions[RevisionKey{ms[0].Folder, ms[0].Hash}] = true
		default:
			amb.add(t.Raw, ms, true)
		}
	}
	if len(amb.Targets) > 0 {
		return nil, amb
	}
	return sel, nil
}

func (a *AmbiguousError) add(target string, ms []match, revs bool) {
	var c []string
	for _, m := range ms {
		if revs {
			c = append(c, fmt.Sprintf("%s@%s (%s)", m.CacheID, m.Hash, m.Folder))
		} else {
			c = append(c, fmt.Sprintf("%s (%s)", m.CacheID, m.Folder))
		}
	}
	a.Targets = append(a.Targets, target)
	a.Candidates = append(a.Candidates, c)
}

// revisionMatches returns the revisions named hash (in folder, unless
// ""): exact-case ones, or else, unless exact, those it is a
// case-insensitive prefix of.
func revisionMatches(db *sqlx.DB, hash, folder string, exact bool) ([]match, error) {
	const base = `SELECT v.id AS revision, r.folder, r.cache_id, v.commit_hash FROM revisions v JOIN repos r ON r.id = v.repo `
	var ms []match
	if err := db.Select(&ms, base+`WHERE v.commit_hash = ?1 AND (?2 = '' OR r.folder = ?2) ORDER BY r.folder`, hash, folder); err != nil {
		return nil, err
	}
	if len(ms) > 0 || exact {
		return ms, nil
	}
	err := db.Select(&ms, base+`WHERE lower(substr(v.commit_hash, 1, length(?1))) = lower(?1) AND (?2 = '' OR r.folder = ?2)
		ORDER BY r.folder, v.commit_hash`, hash, folder)
	return ms, err
}

// fileMatches returns the entries of the repo folder that the file target
// names, in the revision it names or in every revision. A revision that
// matches several commits is added to amb.
func fileMatches(db *sqlx.DB, t Target, folder string, amb *AmbiguousError) ([]FileKey, error) {
	var revs []string
	if t.Hash != "" {
		var ms []match
		var err error
		if t.Exact || hexRe.MatchString(t.Hash) {
			if ms, err = revisionMatches(db, t.Hash, folder, t.Exact); err != nil {
				return nil, err
			}
		}
		if len(ms) == 0 {
			err = db.Select(&ms, `SELECT v.id AS revision, r.folder, r.cache_id, v.commit_hash FROM refs x
				JOIN revisions v ON v.id = x.revision JOIN repos r ON r.id = x.repo WHERE r.folder = ? AND x.name = ?`, folder, t.Hash)
			if err != nil {
				return nil, err
			}
		}
		if len(ms) > 1 {
			amb.add(t.Raw, ms, true)
			return nil, nil
		}
		for _, m := range ms {
			revs = append(revs, m.Hash)
		}
		if len(revs) == 0 {
			return nil, nil
		}
	}
	var rows []FileKey
	err := db.Select(&rows, `SELECT r.folder AS folder, v.commit_hash AS hash, f.rel_path AS rel_path
		FROM files f JOIN revisions v ON v.id = f.revision JOIN repos r ON r.id = v.repo
		WHERE r.folder = ? ORDER BY v.commit_hash, f.rel_path`, folder)
	if err != nil {
		return nil, err
	}
	var out []FileKey
	for _, k := range rows {
		if len(revs) > 0 && k.Hash != revs[0] {
			continue
		}
		if t.MatchPath(k.RelPath) {
			out = append(out, k)
		}
	}
	return out, nil
}

// repoMatches returns the repos whose cache id is cacheID, or else,
// unless exact, those it matches case-insensitively.
func repoMatches(db *sqlx.DB, cacheID string, exact bool) ([]match, error) {
	var ms []match
	if err := db.Select(&ms, `SELECT 0 AS revision, folder, cache_id, '' AS commit_hash FROM repos WHERE cache_id = ? ORDER BY folder`, cacheID); err != nil {
		return nil, err
	}
	if len(ms) > 0 || exact {
		return ms, nil
	}
	err := db.Select(&ms, `SELECT 0 AS revision, folder, cache_id, '' AS commit_hash FROM repos WHERE lower(cache_id) = lower(?) ORDER BY folder`, cacheID)
	return ms, err
}

// Plan is what a deletion removes and frees, computed by the SQL of
// schema/plan/delete.sql. Paths are absolute.
type Plan struct {
	ExpectedFreedSize  int64       `json:"expected_freed_size"`
	ExpectedFreedUsage int64       `json:"expected_freed_usage"`
	Blobs              []string    `json:"blobs"`
	Refs               []string    `json:"refs"`
	Repos              []string    `json:"repos"`
	Snapshots          []string    `json:"snapshots"`
	Files              []string    `json:"files"`
	Copies             []string    `json:"copies"`
	Payloads           []string    `json:"payloads"`
	Unknown            []string    `json:"unknown"`
	Leftovers          []string    `json:"leftovers"`
	Entries            []PlanEntry `json:"entries"`
	// Held are blobs the plan keeps because a snapshot entry of another
	// repo, which stays, links them (see Selection.BreakLinks).
	Held []HeldBlob `json:"held"`
	// Breaks are snapshot entries of other repos, staying, that link a
	// blob the plan removes: they dangle once it ran.
	Breaks []BrokenLink `json:"breaks"`
	// Busy are blobs the plan removes although a live process holds them
	// (Selection.ForceInUse): their space is freed when it exits.
	Busy []HeldBlob `json:"busy,omitempty"`
	// Recheck are blobs the plan keeps because revisions it leaves link
	// them; the executor removes one only if nothing links it by then (see
	// cache.Deletion.Recheck). Neither counted nor listed.
	Recheck []string `json:"-"`

	// Sizes holds the apparent bytes each blob, copy, payload and repo frees.
	Sizes map[string]int64 `json:"-"`
}

// HeldBlob is a blob a plan keeps, with the entry of another repo that
// links it.
type HeldBlob struct {
	Path     string `json:"path"`
	Size     int64  `json:"size"`
	LinkedBy string `json:"linked_by,omitempty"`
	// InUse names the live processes that have it open or mapped, as
	// "4711 (python serve.py)".
	InUse []string `json:"in_use,omitempty"`
}

// Reason says why the plan keeps the blob.
func (h HeldBlob) Reason() string {
	if len(h.InUse) > 0 {
		return "in use by " + strings.Join(h.InUse, ", ")
	}
	return "linked by " + h.LinkedBy
}

// BrokenLink is a snapshot entry of another repo that a plan leaves
// dangling, with the blob it links.
type BrokenLink struct {
	Path string `json:"path"`
	Blob string `json:"blob_path"`
}

// Reader is what planning reads the index through: a *sqlx.DB, which
// MakePlan, PlanPrune and Resolve then read in one transaction (one
// snapshot of the index, whatever a concurrent sync commits meanwhile), or
// a *sqlx.Tx already open.
type Reader interface {
	Get(dest any, query string, args ...any) error
	Select(dest any, query string, args ...any) error
}

// inSnapshot runs f on one read transaction of db when db is a *sqlx.DB,
// else on db itself.
func inSnapshot[T any](db Reader, f func(Reader) (T, error)) (T, error) {
	d, ok := db.(*sqlx.DB)
	if !ok {
		return f(db)
	}
	tx, err := d.Beginx()
	if err != nil {
		var zero T
		return zero, err
	}
	defer tx.Rollback()
	return f(tx)
}

// PlanEntry is one affected repo, for listings.
type PlanEntry struct {
	CacheID   string         `json:"cache_id"`
	Folder    string         `json:"folder"`
	Path      string         `json:"path"`
	Whole     bool           `json:"entire_repo"`
	Damaged   bool           `json:"damaged"`
	Revisions []PlanRevision `json:"revisions"`
}

// PlanRevision is one revision a deletion removes.
type PlanRevision struct {
	CommitHash string   `json:"commit_hash"`
	Refs       []string `json:"refs"`
	SizeOnDisk int64    `json:"size_on_disk"`
	// Files are the entries a file-level delete removes from it (paths in
	// the repo); empty when the whole revision goes.
	Files []string `json:"files,omitempty"`
}

// RevisionCount returns the revisions the plan removes, whole repos'
// included.
func (p *Plan) RevisionCount() int {
	n := 0
	for _, e := range p.Entries {
		n += len(e.Revisions)
	}
	return n
}

// Paths returns every path the plan removes.
func (p *Plan) Paths() []string {
	var out []string
	for _, l := range [][]string{p.Repos, p.Snapshots, p.Refs, p.Files, p.Blobs, p.Payloads} {
		out = append(out, l...)
	}
	return out
}

// MakePlan computes the plan for sel on db. It returns the database error,
// if any.
func MakePlan(db Reader, sel *Selection) (*Plan, error) {
	return inSnapshot(db, func(db Reader) (*Plan, error) { return makePlan(db, sel) })
}

func makePlan(db Reader, sel *Selection) (*Plan, error) {
	p := &Plan{Held: []HeldBlob{}, Breaks: []BrokenLink{}, Blobs: []string{}, Refs: []string{}, Repos: []string{}, Snapshots: []string{}, Files: []string{}, Copies: []string{},
		Payloads: []string{}, Unknown: append([]string{}, sel.Unknown...), Leftovers: []string{}, Entries: []PlanEntry{},
		Sizes: map[string]int64{}}
	revIDs, repoIDs, fileIDs, orphanIDs, payloadIDs := []int64{}, []int64{}, []int64{}, []int64{}, []int64{}
	lookup := func(dst *[]int64, q string, args ...any) error {
		var id int64
		err := db.Get(&id, q, args...)
		if err == nil {
			*dst = append(*dst, id)
		} else if !isNoRows(err) {
			return err
		}
		return nil
	}
	for k := range sel.Revisions {
		if err := lookup(&revIDs, `SELECT v.id FROM revisions v JOIN repos r ON r.id = v.repo WHERE r.folder = ? AND v.commit_hash = ?`, k.Folder, k.Hash); err != nil {
			return nil, err
		}
	}
	for f := range sel.Repos {
		if err := lookup(&repoIDs, `SELECT id FROM repos WHERE folder = ?`, f); err != nil {
			return nil, err
		}
	}
	for k := range sel.Files {
		if err := lookup(&fileIDs, `SELECT f.id FROM files f JOIN revisions v ON v.id = f.revision JOIN repos r ON r.id = v.repo
			WHERE r.folder = ? AND v.commit_hash = ? AND f.rel_path = ?`, k.Folder, k.Hash, k.RelPath); err != nil {
			return nil, err
		}
	}
	for path := range sel.Orphans {
		if err := lookup(&orphanIDs, `SELECT id FROM blobs WHERE path = ?`, path); err != nil {
			return nil, err
		}
	}
	for path := range sel.Payloads {
		if err := lookup(&payloadIDs, `SELECT id FROM payloads WHERE path = ?`, path); err != nil {
			return nil, err
		}
	}
	jsonIDs := func(ids []int64) string { b, _ := json.Marshal(ids); return string(b) }
	heldIDs := []int64{}
	kept := map[int64]bool{} // repos selected whole that must keep their folder
	hold := func(blob, repo int64, whole bool, h HeldBlob) error {
		heldIDs = append(heldIDs, blob)
		p.Held = append(p.Held, h)
		if whole && !kept[repo] {
			// A repo that holds one cannot go whole: its revisions go,
			// its folder stays with the blobs it keeps.
			kept[repo] = true
			var revs []int64
			if err := db.Select(&revs, `SELECT id FROM revisions WHERE repo = ?`, repo); err != nil {
				return err
			}
			revIDs = append(revIDs, revs...)
		}
		return nil
	}
	if !sel.BreakLinks {
		var held []struct {
			Blob     int64  `db:"blob"`
			Repo     int64  `db:"repo"`
			Path     string `db:"path"`
			Size     int64  `db:"size"`
			LinkedBy string `db:"linked_by"`
			Whole    bool   `db:"whole"`
		}
		if err := db.Select(&held, schema.HeldSQL(), jsonIDs(revIDs), jsonIDs(repoIDs), jsonIDs(fileIDs)); err != nil {
			return nil, err
		}
		for _, h := range held {
			if err := hold(h.Blob, h.Repo, h.Whole, HeldBlob{Path: h.Path, Size: h.Size, LinkedBy: h.LinkedBy}); err != nil {
				return nil, err
			}
		}
	}
	if sel.InUse != nil {
		var cands []struct {
			Blob  int64  `db:"id"`
			Repo  int64  `db:"repo"`
			Path  string `db:"path"`
			Size  int64  `db:"size"`
			Dev   uint64 `db:"dev"`
			Ino   uint64 `db:"ino"`
			Whole bool   `db:"whole"`
		}
		if err := db.Select(&cands, schema.InUseSQL(), jsonIDs(revIDs), jsonIDs(repoIDs), jsonIDs(fileIDs), jsonIDs(orphanIDs)); err != nil {
			return nil, err
		}
		already := map[int64]bool{}
		for _, id := range heldIDs {
			already[id] = true
		}
		for _, c := range cands {
			if already[c.Blob] {
				continue
			}
			if by := sel.InUse(c.Dev, c.Ino); len(by) > 0 {
				if sel.ForceInUse {
					p.Busy = append(p.Busy, HeldBlob{Path: c.Path, Size: c.Size, InUse: by})
					continue
				}
				if err := hold(c.Blob, c.Repo, c.Whole, HeldBlob{Path: c.Path, Size: c.Size, InUse: by}); err != nil {
					return nil, err
				}
			}
		}
	}
	repoIDs = slices.DeleteFunc(repoIDs, func(id int64) bool { return kept[id] })
	args := []any{}
	for _, ids := range [][]int64{revIDs, repoIDs, fileIDs, orphanIDs, payloadIDs, heldIDs} {
		args = append(args, jsonIDs(ids))
	}
	var items []struct {
		Kind     string `db:"kind"`
		Path     string `db:"path"`
		Repo     *int64 `db:"repo"`
		Revision *int64 `db:"revision"`
		Size     int64  `db:"size"`
		Usage    int64  `db:"usage"`
		Other    string `db:"other"`
	}
	if err := db.Select(&items, schema.PlanSQL(), args...); err != nil {
		return nil, err
	}
	wholeRepos := []int64{}
	snapRevs := map[int64][]int64{}
	fileRevs := map[int64]bool{}
	for _, it := range items {
		p.ExpectedFreedSize += it.Size
		switch it.Kind {
		case "repo":
			p.Repos = append(p.Repos, it.Path)
			p.Sizes[it.Path] = it.Size
			wholeRepos = append(wholeRepos, *it.Repo)
		case "snapshot":
			p.Snapshots = append(p.Snapshots, it.Path)
			snapRevs[*it.Repo] = append(snapRevs[*it.Repo], *it.Revision)
		case "ref":
			p.Refs = append(p.Refs, it.Path)
		case "file":
			p.Files = append(p.Files, it.Path)
			if !fileRevs[*it.Revision] {
				fileRevs[*it.Revision] = true
				snapRevs[*it.Repo] = append(snapRevs[*it.Repo], *it.Revision)
			}
		case "blob":
			p.Blobs = append(p.Blobs, it.Path)
			p.Sizes[it.Path] = it.Size
		case "copy":
			p.Copies = append(p.Copies, it.Path)
			p.Sizes[it.Path] = it.Size
		case "payload":
			p.Payloads = append(p.Payloads, it.Path)
			p.Sizes[it.Path] = it.Size
		case "usage":
			p.ExpectedFreedUsage = it.Usage
		case "break":
			p.Breaks = append(p.Breaks, BrokenLink{Path: it.Path, Blob: it.Other})
		}
	}
	if sel.SizesOnly {
		return p, nil
	}
	if err := p.listing(db, wholeRepos, snapRevs, fileRevs); err != nil {
		return nil, err
	}
	if err := p.recheck(db, snapRevs); err != nil {
		return nil, err
	}
	return p, nil
}

func (p *Plan) listing(db Reader, whole []int64, snaps map[int64][]int64, fileRevs map[int64]bool) error {
	type repoRow struct {
		ID      int64  `db:"id"`
		CacheID string `db:"cache_id"`
		Folder  string `db:"folder"`
		Path    string `db:"path"`
		Damaged bool   `db:"damaged"`
	}
	type revRow struct {
		ID         int64  `db:"revision"`
		CommitHash string `db:"commit_hash"`
		Refs       string `db:"refs"`
		Size       int64  `db:"size_on_disk"`
	}
	fj, _ := json.Marshal(p.Files)
	filesJSON := string(fj)
	add := func(id int64, wholeRepo bool, revIDs []int64) error {
		var r repoRow
		if err := db.Get(&r, `SELECT id, cache_id, folder, path, damaged FROM repos WHERE id = ?`, id); err != nil {
			return err
		}
		e := PlanEntry{CacheID: r.CacheID, Folder: r.Folder, Path: r.Path, Whole: wholeRepo, Damaged: r.Damaged, Revisions: []PlanRevision{}}
		var revs []revRow
		q := `SELECT revision, commit_hash, refs, size_on_disk FROM revision_usage WHERE repo = ? ORDER BY commit_hash`
		args := []any{id}
		if !wholeRepo {
			ids, _ := json.Marshal(revIDs)
			q = `SELECT revision, commit_hash, refs, size_on_disk FROM revision_usage WHERE repo = ? AND revision IN (SELECT value FROM json_each(?)) ORDER BY commit_hash`
			args = append(args, string(ids))
		}
		if err := db.Select(&revs, q, args...); err != nil {
			return err
		}
		for _, v := range revs {
			refs := []string{}
			if v.Refs != "" {
				refs = strings.Split(v.Refs, ",")
			}
			pr := PlanRevision{CommitHash: v.CommitHash, Refs: refs, SizeOnDisk: v.Size}
			if fileRevs[v.ID] {
				if err := db.Select(&pr.Files, `SELECT f.rel_path FROM files f WHERE f.revision = ?
					AND f.file_path IN (SELECT value FROM json_each(?)) ORDER BY f.rel_path`, v.ID, filesJSON); err != nil {
					return err
				}
			}
			e.Revisions = append(e.Revisions, pr)
		}
		p.Entries = append(p.Entries, e)
		return nil
	}
	for _, id := range whole {
		if err := add(id, true, nil); err != nil {
			return err
		}
	}
	for id, revs := range snaps {
		if err := add(id, false, revs); err != nil {
			return err
		}
	}
	sort.Slice(p.Entries, func(i, j int) bool {
		a, b := p.Entries[i], p.Entries[j]
		ta, _, _ := strings.Cut(a.CacheID, "/")
		tb, _, _ := strings.Cut(b.CacheID, "/")
		if ta != tb {
			return ta < tb
		}
		if la, lb := pyLower(a.CacheID), pyLower(b.CacheID); la != lb {
			return la < lb
		}
		return a.Folder < b.Folder
	})
	return nil
}

// recheck lists the blobs of their own repo that the removed snapshots
// and files link and that the plan keeps (a revision it leaves links
// them), less those kept for other repos' links.
func (p *Plan) recheck(db Reader, snapRevs map[int64][]int64) error {
	var revs []int64
	for _, ids := range snapRevs {
		revs = append(revs, ids...)
	}
	rj, _ := json.Marshal(revs)
	fj, _ := json.Marshal(p.Files)
	var linked []string
	if err := db.Select(&linked, `SELECT DISTINCT b.path FROM revisions v
		CROSS JOIN files f ON f.revision = v.id CROSS JOIN blobs b ON b.id = f.blob
		WHERE v.id IN (SELECT value FROM json_each(?1)) AND b.repo = v.repo AND b.kind = 'blob'
		  AND (v.snapshot_path IN (SELECT value FROM json_each(?2)) OR f.file_path IN (SELECT value FROM json_each(?3)))
		ORDER BY b.path`, string(rj), mustJSON(p.Snapshots), string(fj)); err != nil {
		return err
	}
	skip := map[string]bool{}
	for _, b := range p.Blobs {
		skip[b] = true
	}
	for _, h := range p.Held {
		skip[h.Path] = true
	}
	p.Recheck = []string{}
	for _, b := range linked {
		if !skip[b] {
			p.Recheck = append(p.Recheck, b)
		}
	}
	return nil
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func isNoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }
