package query

import (
	"sort"
	"time"

	"github.com/hfidx/hfidx/cache"
	"github.com/hfidx/hfidx/schema"
)

// PruneOptions says what `hfidx prune` takes.
type PruneOptions struct {
	Root string // the cache, for the checks the index cannot answer
	// IncludeUnreferencedRepos also takes repos no ref names at all
	// (downloaded by commit hash only), whole.
	IncludeUnreferencedRepos bool
	// Cutoff: orphan blobs, store payloads and temporary files changed
	// after it are left alone.
	Cutoff time.Time
	// InUse and ForceInUse are given to the plan's selection (see
	// Selection).
	InUse      func(dev, ino uint64) []string
	ForceInUse bool
}

// PruneKind is the count and apparent bytes of one kind of thing a prune
// removes.
type PruneKind struct {
	Count int   `json:"count"`
	Size  int64 `json:"size"`
}

// PruneSummary is a prune plan, kind by kind. The bytes of a payload that
// a pruned revision or orphan was the last to use are counted under
// SharedPayloads, once.
type PruneSummary struct {
	Revisions      PruneKind `json:"revisions"`
	Incomplete     PruneKind `json:"incomplete"`
	OrphanBlobs    PruneKind `json:"orphan_blobs"`
	SharedPayloads PruneKind `json:"shared_payloads"`
	Leftovers      PruneKind `json:"leftovers"`
}

// Prune is what `hfidx prune` removes: a deletion plan (detached
// revisions, orphan blobs and unreferenced payloads, with the bytes the
// deletion planner computes) plus interrupted downloads and leftovers.
type Prune struct {
	*Plan
	Summary    PruneSummary `json:"summary"`
	TotalSize  int64        `json:"total_size"`
	Incomplete []string     `json:"incomplete"`
	// Busy are interrupted downloads whose download lock a process holds:
	// a download is running, they stay.
	Busy []string `json:"busy_incomplete"`
	// Young are orphan blobs and payloads inside the grace period.
	Young []string `json:"young"`
	// Unsweepable are unreferenced payloads without a readable manifest:
	// never removed (huggingface_hub leaks them too), only reported.
	Unsweepable []string `json:"unsweepable_payloads"`

	Selection *Selection `json:"-"`
	// IncompleteSizes are the bytes of each interrupted download taken.
	IncompleteSizes map[string]int64 `json:"-"`
}

type pruneRow struct {
	Kind   string `db:"kind"`
	Folder string `db:"folder"`
	Commit string `db:"commit_hash"`
	Path   string `db:"path"`
	Size   int64  `db:"size"`
	Usage  int64  `db:"usage"`
}

// PlanPrune lists what a prune removes and plans it. It returns the
// database error, if any.
func PlanPrune(db Reader, opts PruneOptions) (*Prune, error) {
	return inSnapshot(db, func(db Reader) (*Prune, error) { return planPrune(db, opts) })
}

func planPrune(db Reader, opts PruneOptions) (*Prune, error) {
	var rows []pruneRow
	if err := db.Select(&rows, schema.PruneSQL(), opts.IncludeUnreferencedRepos); err != nil {
		return nil, err
	}
	pr := &Prune{Selection: NewSelection(), Incomplete: []string{}, Busy: []string{}, Young: []string{}, Unsweepable: []string{}}
	sel := pr.Selection
	incSize := map[string]int64{}
	pr.IncompleteSizes = incSize
	var leftovers []string
	young := func(p string) bool {
		t, ok := cache.LastChange(p)
		return !ok || !t.Before(opts.Cutoff)
	}
	for _, r := range rows {
		switch r.Kind {
		case "revision":
			sel.Revisions[RevisionKey{r.Folder, r.Commit}] = true
		case "incomplete":
			if cache.LockHeld(cache.IncompleteLock(opts.Root, r.Path)) {
				pr.Busy = append(pr.Busy, r.Path)
				continue
			}
			pr.Incomplete = append(pr.Incomplete, r.Path)
			incSize[r.Path] = r.Size
		case "leak":
			pr.Unsweepable = append(pr.Unsweepable, r.Path)
		case "orphan", "payload":
			if r.Kind == "payload" && !cache.ManifestReadable(r.Path) {
				pr.Unsweepable = append(pr.Unsweepable, r.Path)
				continue
			}
			if young(r.Path) {
				pr.Young = append(pr.Young, r.Path)
				continue
			}
			if r.Kind == "orphan" {
				sel.Orphans[r.Path] = true
			} else {
				sel.Payloads[r.Path] = true
			}
		case "no_exist":
			leftovers = append(leftovers, r.Path)
		}
	}
	sel.InUse, sel.ForceInUse = opts.InUse, opts.ForceInUse
	plan, err := MakePlan(db, sel)
	if err != nil {
		return nil, err
	}
	pr.Plan = plan
	// Commits that stay cached; trees/ and .no_exist/ of the others are
	// leftovers, those of the revisions pruned now included.
	var revs []RevisionKey
	if err := db.Select(&revs, `SELECT r.folder AS folder, coalesce(v.commit_hash, '') AS hash
		FROM repos r LEFT JOIN revisions v ON v.repo = r.id WHERE r.damaged = 0 AND r.link_target IS NULL`); err != nil {
		return nil, err
	}
	cached := map[string]map[string]bool{}
	gone := map[string]bool{}
	for _, p := range plan.Repos {
		gone[p] = true
	}
	for _, k := range revs {
		if cached[k.Folder] == nil {
			cached[k.Folder] = map[string]bool{}
		}
		if k.Hash != "" && !sel.Revisions[k] {
			cached[k.Folder][k.Hash] = true
		}
	}
	for f := range cached {
		if gone[opts.Root+"/"+f] {
			delete(cached, f)
		}
	}
	for _, l := range cache.PruneLeftovers(opts.Root, cached, opts.Cutoff) {
		leftovers = append(leftovers, l.Path)
	}
	// .no_exist and trees of the revisions pruned now, and the download
	// locks of the repos pruned whole (removed once the folder is gone).
	leftovers = append(leftovers, cache.Leftovers(opts.Root, plan.Snapshots, nil, plan.Repos)...)
	seen := map[string]bool{}
	pr.Leftovers = []string{}
	for _, l := range leftovers {
		if !seen[l] {
			seen[l] = true
			pr.Leftovers = append(pr.Leftovers, l)
		}
	}
	sortLeftovers(pr.Leftovers)

	s := &pr.Summary
	s.Revisions.Count = len(sel.Revisions)
	for _, p := range plan.Repos {
		s.Revisions.Size += plan.Sizes[p]
	}
	for _, p := range plan.Copies {
		s.Revisions.Size += plan.Sizes[p]
	}
	for _, p := range plan.Blobs {
		if sel.Orphans[p] {
			s.OrphanBlobs.Count++
			s.OrphanBlobs.Size += plan.Sizes[p]
		} else {
			s.Revisions.Size += plan.Sizes[p]
		}
	}
	for _, p := range plan.Payloads {
		s.SharedPayloads.Count++
		s.SharedPayloads.Size += plan.Sizes[p]
	}
	for _, p := range pr.Incomplete {
		s.Incomplete.Count++
		s.Incomplete.Size += incSize[p]
	}
	s.Leftovers.Count = len(pr.Leftovers)
	pr.TotalSize = plan.ExpectedFreedSize + s.Incomplete.Size
	return pr, nil
}

// sortLeftovers orders paths so that a folder comes after what it holds:
// byte order of the paths, each followed by 0xff.
func sortLeftovers(ps []string) {
	sort.Slice(ps, func(i, j int) bool { return ps[i]+"\xff" < ps[j]+"\xff" })
}

// Empty reports whether the prune removes nothing.
func (p *Prune) Empty() bool {
	return len(p.Plan.Paths()) == 0 && len(p.Incomplete) == 0 && len(p.Leftovers) == 0
}
