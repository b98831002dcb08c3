package policy

import (
	"path/filepath"

	"github.com/hfidx/hfidx/query"
)

// Budget is what gc keeps the cache under; a nil field is no limit.
type Budget struct {
	MaxSize *int64 `json:"max_size"` // used (scan's total) at most this
	MinFree *int64 `json:"min_free"` // free bytes of the cache's file system at least this
}

// Set reports whether the budget limits anything.
func (b Budget) Set() bool { return b.MaxSize != nil || b.MinFree != nil }

// Holds reports whether used and free bytes meet the budget.
func (b Budget) Holds(used, free int64) bool {
	return (b.MaxSize == nil || used <= *b.MaxSize) && (b.MinFree == nil || free >= *b.MinFree)
}

// Planner plans the deletion of a selection, as delete would.
type Planner func(sel *query.Selection) (*query.Plan, error)

// Outcome is what a prefix of the candidates frees, beside the base.
type Outcome struct {
	Plan      *query.Plan
	Freed     int64 // apparent bytes the whole plan frees
	FreedUsed int64 // of which counted in used (freed beyond the base)
	FreedDisk int64 // allocated bytes the whole plan frees
}

// Chooser finds how many candidates must go, in order, for a budget to
// hold: the selection of the first k candidates, with base (what nothing
// needs) always added, is planned by Plan; what it frees grows with k, so
// a binary search needs a few plans only.
type Chooser struct {
	Base       *query.Selection
	Candidates []Item
	Plan       Planner
	base       *query.Plan
}

// Selection returns base plus the revisions of the first k candidates.
func (c *Chooser) Selection(k int) *query.Selection {
	sel := query.NewSelection()
	if c.Base != nil {
		for p := range c.Base.Orphans {
			sel.Orphans[p] = true
		}
		for p := range c.Base.Payloads {
			sel.Payloads[p] = true
		}
		sel.InUse, sel.ForceInUse = c.Base.InUse, c.Base.ForceInUse
	}
	sel.SizesOnly = true
	for _, it := range c.Candidates[:k] {
		sel.Revisions[it.Key()] = true
	}
	return sel
}

// Outcome plans the first k candidates with the base. An orphan of the
// base in a repo that goes whole is not a blob of the plan any more (it
// goes with the folder): it is counted back, so what counts in used is
// what the revisions free.
func (c *Chooser) Outcome(k int) (Outcome, error) {
	if c.base == nil {
		p, err := c.Plan(c.Selection(0))
		if err != nil {
			return Outcome{}, err
		}
		c.base = p
	}
	p, err := c.Plan(c.Selection(k))
	if err != nil {
		return Outcome{}, err
	}
	return Outcome{Plan: p, Freed: p.ExpectedFreedSize, FreedUsed: p.ExpectedFreedSize - c.base.ExpectedFreedSize + c.Swallowed(p),
		FreedDisk: p.ExpectedFreedUsage}, nil
}

// Swallowed returns the bytes of the base's orphans that lie in repos p
// removes whole.
func (c *Chooser) Swallowed(p *query.Plan) int64 {
	if c.Base == nil || c.base == nil || len(p.Repos) == 0 {
		return 0
	}
	whole := map[string]bool{}
	for _, r := range p.Repos {
		whole[r] = true
	}
	var n int64
	for o := range c.Base.Orphans {
		if whole[filepath.Dir(filepath.Dir(o))] {
			n += c.base.Sizes[o]
		}
	}
	return n
}

// Choose returns the smallest k for which the budget holds after the
// first k candidates (and the base) go, given used and free bytes before,
// and whether it holds at all: when even every candidate does not make it
// hold, k is all of them and ok is false.
func (c *Chooser) Choose(b Budget, used, free int64) (k int, out Outcome, ok bool, err error) {
	holds := func(o Outcome) bool { return b.Holds(used-o.FreedUsed, free+o.FreedDisk) }
	n := len(c.Candidates)
	all, err := c.Outcome(n)
	if err != nil || !holds(all) {
		return n, all, false, err
	}
	lo, hi, best := 0, n, all
	for lo < hi {
		mid := (lo + hi) / 2
		o, err := c.Outcome(mid)
		if err != nil {
			return 0, Outcome{}, false, err
		}
		if holds(o) {
			hi, best = mid, o
		} else {
			lo = mid + 1
		}
	}
	return lo, best, true, nil
}
