// Package policy decides what `hfidx gc` evicts: keep rules (pins,
// keep-last, keep-within, refs, files in use, downloads in progress) say
// what never goes, an order (what nothing needs, then detached revisions,
// then the least recently used) says what goes first, and a budget (a
// maximum size, a minimum of free space) says when to stop. Every item
// gets its reasons. It decides only: the bytes come from the one deletion
// planner, through the Planner it is given.
package policy

import (
	"fmt"
	"path"
	"sort"
	"strings"

	"github.com/hfidx/hfidx/query"
)

// Keep are the keep rules of one set of repos.
type Keep struct {
	Last   int     // the Last most recently used revisions of each repo
	Within float64 // seconds: revisions used within this of now
	Refs   bool    // every revision a ref names
	Pin    bool    // every revision (a policy rule's pin)
	Note   string  // the pin's note
}

// Rule applies Keep to the repos it matches: every non-empty field must
// match (Repo a glob on the repo id, as path.Match; Type a repo type; Org
// the part of the repo id before its slash).
type Rule struct {
	Repo, Type, Org string
	Keep            Keep
	// Set says which fields of Keep the rule sets (the others stay as
	// the global options say): "last", "within", "refs", "pin".
	Set map[string]bool
}

// Matches reports whether the rule applies to a repo.
func (r Rule) Matches(repoID, repoType string) bool {
	if r.Type != "" && r.Type != repoType {
		return false
	}
	if r.Org != "" {
		org, _, _ := strings.Cut(repoID, "/")
		if org != r.Org {
			return false
		}
	}
	if r.Repo != "" {
		if ok, _ := path.Match(r.Repo, repoID); !ok {
			return false
		}
	}
	return true
}

// Options are the inputs of a decision besides the revisions.
type Options struct {
	Keep  Keep   // the global keep rules
	Rules []Rule // per-selector rules, applied in order over Keep
	Now   float64
	// Pinned returns the note of the pin that covers a revision, and
	// whether one does.
	Pinned func(r query.GCRevision) (string, bool)
	// InUse returns who holds a file of the revision ("4711 (python)"),
	// or "".
	InUse func(r query.GCRevision) string
	// Busy returns why a repo folder must not be touched now (a download
	// lock another process holds), or "".
	Busy func(folder string) string
}

// Item is one revision and what was decided about it.
type Item struct {
	query.GCRevision
	Keep    bool
	Reasons []string
}

// keepFor returns the keep rules of a repo: Options.Keep, then every
// matching rule in order.
func (o *Options) keepFor(repoID, repoType string) Keep {
	k := o.Keep
	for _, r := range o.Rules {
		if !r.Matches(repoID, repoType) {
			continue
		}
		if r.Set["last"] {
			k.Last = r.Keep.Last
		}
		if r.Set["within"] {
			k.Within = r.Keep.Within
		}
		if r.Set["refs"] {
			k.Refs = r.Keep.Refs
		}
		if r.Set["pin"] {
			k.Pin, k.Note = r.Keep.Pin, r.Keep.Note
		}
	}
	return k
}

// Decide marks each revision kept (with every rule that keeps it) or a
// candidate, and returns the candidates in eviction order — detached
// revisions first, then the others, each from least to most recently
// used (ties by cache id, then commit hash) — and the kept ones in the
// order given. A candidate's reasons say how long it has been unused.
func Decide(revs []query.GCRevision, o Options) (candidates, kept []Item) {
	byRepo := map[string][]int{}
	for i, r := range revs {
		byRepo[r.Folder] = append(byRepo[r.Folder], i)
	}
	items := make([]Item, len(revs))
	for i, r := range revs {
		items[i] = Item{GCRevision: r}
	}
	for _, idx := range byRepo {
		r0 := revs[idx[0]]
		k := o.keepFor(r0.RepoID, r0.RepoType)
		if k.Last > 0 {
			order := append([]int(nil), idx...)
			sort.SliceStable(order, func(a, b int) bool {
				x, y := revs[order[a]], revs[order[b]]
				if x.LastUsed != y.LastUsed {
					return x.LastUsed > y.LastUsed
				}
				return x.Commit < y.Commit
			})
			for _, i := range order[:min(k.Last, len(order))] {
				items[i].Reasons = append(items[i].Reasons, fmt.Sprintf("keep-last %d", k.Last))
			}
		}
		for _, i := range idx {
			r := revs[i]
			it := &items[i]
			if k.Pin {
				it.Reasons = append(it.Reasons, pinReason(k.Note))
			}
			if o.Pinned != nil {
				if note, ok := o.Pinned(r); ok {
					it.Reasons = append(it.Reasons, pinReason(note))
				}
			}
			if k.Within > 0 && o.Now-r.LastUsed <= k.Within {
				it.Reasons = append(it.Reasons, "keep-within "+formatDur(k.Within)+" (used "+query.FormatTimeSince(r.LastUsed, o.Now)+")")
			}
			if k.Refs {
				for _, ref := range r.Refs() {
					it.Reasons = append(it.Reasons, "ref "+ref)
				}
			}
			if o.InUse != nil {
				if by := o.InUse(r); by != "" {
					it.Reasons = append(it.Reasons, "in use by "+by)
				}
			}
			if o.Busy != nil {
				if why := o.Busy(r.Folder); why != "" {
					it.Reasons = append(it.Reasons, why)
				}
			}
		}
	}
	for i := range items {
		it := items[i]
		if len(it.Reasons) > 0 {
			it.Keep = true
			kept = append(kept, it)
			continue
		}
		it.Reasons = []string{unused(it.GCRevision, o.Now)}
		if len(it.Refs()) == 0 {
			it.Reasons = append([]string{"detached"}, it.Reasons...)
		}
		candidates = append(candidates, it)
	}
	sort.SliceStable(candidates, func(a, b int) bool {
		x, y := candidates[a], candidates[b]
		if dx, dy := len(x.Refs()) == 0, len(y.Refs()) == 0; dx != dy {
			return dx
		}
		if x.LastUsed != y.LastUsed {
			return x.LastUsed < y.LastUsed
		}
		if x.CacheID != y.CacheID {
			return x.CacheID < y.CacheID
		}
		return x.Commit < y.Commit
	})
	return candidates, kept
}

func pinReason(note string) string {
	if note == "" {
		return "pinned"
	}
	return "pinned: " + note
}

// unused says how long a revision has gone unused and by what measure:
// "unused 143 d (atime (relatime))".
func unused(r query.GCRevision, now float64) string {
	days := (now - r.LastUsed) / 86400
	src := r.LastUsedSource
	if src == "" {
		src = "atime"
	}
	if days < 1 {
		return "last used " + query.FormatTimeSince(r.LastUsed, now) + " (" + src + ")"
	}
	return fmt.Sprintf("unused %.0f d (%s)", days, src)
}

// formatDur writes seconds as the largest whole unit that fits: 30d, 12h,
// 45m, 10s.
func formatDur(secs float64) string {
	for _, u := range []struct {
		n    float64
		name string
	}{{86400, "d"}, {3600, "h"}, {60, "m"}} {
		if secs >= u.n && secs/u.n == float64(int64(secs/u.n)) {
			return fmt.Sprintf("%d%s", int64(secs/u.n), u.name)
		}
	}
	if secs >= 86400 {
		return fmt.Sprintf("%.1fd", secs/86400)
	}
	return fmt.Sprintf("%gs", secs)
}
