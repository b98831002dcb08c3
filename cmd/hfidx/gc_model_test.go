package main

import (
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"math/rand"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hfidx/hfidx/cache/cachetest"
	"github.com/hfidx/hfidx/internal/flock"
)

// This file holds an independent model of the rules of `hfidx gc` (issue
// 17), written from the rules and not from the planner, and a randomized
// test that holds gc to it: seeded caches × seeded policies. The model
// knows every blob, size and last use of the caches it generates.

// gcmBlob is one repo blob of the model.
type gcmBlob struct {
	key     string // unique inside its repo
	content []byte
	atime   int64 // seconds since the epoch; also its mtime
	used    int64 // a use recorded by hfidx touch; 0 for none
}

// lastUse is the best known last use of the blob: its record or its atime.
func (b *gcmBlob) lastUse() int64 { return max(b.atime, b.used) }

func (b *gcmBlob) size() int64 { return int64(len(b.content)) }

// gcmRev is one revision (snapshot folder) of the model.
type gcmRev struct {
	repo  *gcmRepo
	hash  string
	files map[string]*gcmBlob // path in the revision -> blob
}

// blobs returns the distinct blobs the revision links.
func (r *gcmRev) blobs() map[string]*gcmBlob {
	m := map[string]*gcmBlob{}
	for _, b := range r.files {
		m[b.key] = b
	}
	return m
}

// lastUse is the latest access time of the blobs the revision links.
func (r *gcmRev) lastUse() int64 {
	var t int64
	for _, b := range r.files {
		t = max(t, b.lastUse())
	}
	return t
}

// refs returns the names of the refs naming the revision, sorted.
func (r *gcmRev) refs() []string {
	var out []string
	for name, h := range r.repo.refs {
		if h == r.hash {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

type gcmIncomplete struct {
	name string // without ".incomplete"
	size int64
}

// gcmOrphan is a repo blob no snapshot links.
type gcmOrphan struct {
	content []byte
}

// etag is the blob's name: the git blob SHA-1 of its content.
func (o *gcmOrphan) etag() string {
	h := sha1.New()
	fmt.Fprintf(h, "blob %d\x00", len(o.content))
	h.Write(o.content)
	return hex.EncodeToString(h.Sum(nil))
}

// gcmRepo is one healthy repo of the model.
type gcmRepo struct {
	typ, id     string
	revs        []*gcmRev
	refs        map[string]string // ref name -> commit
	incompletes []gcmIncomplete
	orphans     []gcmOrphan
}

func (r *gcmRepo) cacheID() string { return r.typ + "/" + r.id }

// size is what scan counts for the repo: its distinct linked blobs.
func (r *gcmRepo) size() int64 {
	seen := map[string]bool{}
	var n int64
	for _, v := range r.revs {
		for k, b := range v.blobs() {
			if !seen[k] {
				seen[k] = true
				n += b.size()
			}
		}
	}
	return n
}

type gcmCache struct {
	repos []*gcmRepo
}

func (m *gcmCache) used() int64 {
	var n int64
	for _, r := range m.repos {
		n += r.size()
	}
	return n
}

func (m *gcmCache) allRevs() []*gcmRev {
	var out []*gcmRev
	for _, r := range m.repos {
		out = append(out, r.revs...)
	}
	return out
}

// spec writes the model as a cachetest spec.
func (m *gcmCache) spec() cachetest.Cache {
	var c cachetest.Cache
	for _, r := range m.repos {
		cr := cachetest.Repo{Type: r.typ, ID: r.id, Refs: map[string]string{}}
		for name, h := range r.refs {
			cr.Refs[name] = h
		}
		for _, v := range r.revs {
			cv := cachetest.Revision{Hash: v.hash}
			paths := make([]string, 0, len(v.files))
			for p := range v.files {
				paths = append(paths, p)
			}
			sort.Strings(paths)
			for _, p := range paths {
				b := v.files[p]
				cv.Files = append(cv.Files, cachetest.File{Path: p, Content: b.content,
					Time: cachetest.At(cachetest.Unix(b.atime, 0))})
			}
			cr.Revisions = append(cr.Revisions, cv)
		}
		old := cachetest.At(cachetest.Unix(1_500_000_000, 0))
		for _, in := range r.incompletes {
			cr.Incomplete = append(cr.Incomplete, cachetest.Incomplete{Name: in.name, Size: in.size, Time: old})
		}
		for _, o := range r.orphans {
			cr.OrphanBlobs = append(cr.OrphanBlobs, cachetest.Blob{Content: o.content, Time: old})
		}
		c.Repos = append(c.Repos, cr)
	}
	return c
}

// gcmDay is the unit of the generated last uses: every atime is a whole
// number of days plus half a day before now, and keep-within is a whole
// number of days, so no revision lies near its boundary however long the
// test runs.
const gcmDay = 86400

func gcmRandHex(rng *rand.Rand, n int) string {
	const digits = "0123456789abcdef"
	b := make([]byte, n)
	for i := range b {
		b[i] = digits[rng.Intn(16)]
	}
	return string(b)
}

// gcmGenCache draws a cache: 1–4 repos (models and datasets, whose cache
// ids sort differently from their repo ids), each with 1–5 blobs of
// 10–5000 bytes and 1–4 revisions that link 1–3 of them (so revisions
// share blobs, and a revision may link one blob under two paths), atimes
// spread over a year with repeated days (ties), refs naming some revisions
// and leaving others detached, and sometimes an interrupted download.
func gcmGenCache(rng *rand.Rand, now int64) *gcmCache {
	m := &gcmCache{}
	nRepos := 1 + rng.Intn(4)
	commonDays := []int{3, 40, 41, 200}
	for i := 0; i < nRepos; i++ {
		r := &gcmRepo{typ: "model", id: fmt.Sprintf("org%d/r%d", rng.Intn(3), i), refs: map[string]string{}}
		if rng.Intn(3) == 0 {
			r.typ = "dataset"
		}
		var blobs []*gcmBlob
		for j, n := 0, 1+rng.Intn(5); j < n; j++ {
			day := rng.Intn(365)
			if rng.Intn(3) == 0 {
				day = commonDays[rng.Intn(len(commonDays))]
			}
			prefix := fmt.Sprintf("%s blob %d\n", r.id, j)
			size := 10 + rng.Intn(5000)
			if rng.Intn(4) == 0 {
				size = 10 + rng.Intn(50)
			}
			content := []byte(prefix + strings.Repeat("x", max(0, size-len(prefix))))
			blobs = append(blobs, &gcmBlob{key: strconv.Itoa(j), content: content,
				atime: now - int64(day)*gcmDay - gcmDay/2})
		}
		seen := map[string]bool{}
		for k, n := 0, 1+rng.Intn(4); k < n; k++ {
			h := gcmRandHex(rng, 40)
			for seen[h] {
				h = gcmRandHex(rng, 40)
			}
			seen[h] = true
			v := &gcmRev{repo: r, hash: h, files: map[string]*gcmBlob{}}
			for _, j := range rng.Perm(len(blobs))[:1+rng.Intn(min(3, len(blobs)))] {
				v.files[fmt.Sprintf("f%d.bin", j)] = blobs[j]
				if rng.Intn(8) == 0 {
					v.files[fmt.Sprintf("sub/copy%d.bin", j)] = blobs[j]
				}
			}
			r.revs = append(r.revs, v)
		}
		if rng.Intn(10) < 7 {
			r.refs["main"] = r.revs[rng.Intn(len(r.revs))].hash
		}
		if rng.Intn(10) < 3 {
			r.refs["v1"] = r.revs[rng.Intn(len(r.revs))].hash
		}
		if rng.Intn(5) == 0 {
			r.incompletes = append(r.incompletes, gcmIncomplete{name: gcmRandHex(rng, 64), size: int64(100 + rng.Intn(1000))})
		}
		if rng.Intn(5) == 0 {
			r.orphans = append(r.orphans, gcmOrphan{content: []byte(fmt.Sprintf("%s orphan %s", r.id, strings.Repeat("o", rng.Intn(500))))})
		}
		dup := false
		for _, o := range m.repos {
			dup = dup || o.cacheID() == r.cacheID()
		}
		if !dup {
			m.repos = append(m.repos, r)
		}
	}
	return m
}

// gcmPolicy is one set of gc options.
type gcmPolicy struct {
	maxSize    int64 // -1: no --max-size
	keepLast   int   // 0: no --keep-last
	keepWithin int   // days; 0: no --keep-within
	keepRefs   bool
	pinRepos   map[string]bool // cache ids pinned whole
	pinRevs    map[string]bool // commit hashes pinned
	pinFiles   map[string]bool // "cache id:glob" file pins
	grace0     bool            // --grace 0: orphan blobs are cleanup items
	touch      string          // "type/id@hash" touched before gc, or ""
}

func (p gcmPolicy) budget() bool { return p.maxSize >= 0 }

// pinned says whether a pin keeps v: its repo, itself, or a file of it
// matching a file pin's glob.
func (p gcmPolicy) pinned(v *gcmRev) bool {
	if p.pinRepos[v.repo.cacheID()] || p.pinRevs[v.hash] {
		return true
	}
	for k := range p.pinFiles {
		id, glob, _ := strings.Cut(k, ":")
		if id != v.repo.cacheID() {
			continue
		}
		for f := range v.files {
			if ok, _ := path.Match(glob, f); ok {
				return true
			}
		}
	}
	return false
}

func (p gcmPolicy) args() []string {
	var a []string
	if p.maxSize >= 0 {
		a = append(a, "--max-size", strconv.FormatInt(p.maxSize, 10))
	}
	if p.keepLast > 0 {
		a = append(a, "--keep-last", strconv.Itoa(p.keepLast))
	}
	if p.keepWithin > 0 {
		a = append(a, "--keep-within", fmt.Sprintf("%dd", p.keepWithin))
	}
	if p.keepRefs {
		a = append(a, "--keep-refs")
	}
	if p.grace0 {
		a = append(a, "--grace", "0")
	}
	return a
}

func (p gcmPolicy) String() string {
	s := strings.Join(p.args(), " ")
	for _, k := range gcmSortedKeys(p.pinRepos) {
		s += " pin:" + k
	}
	for _, k := range gcmSortedKeys(p.pinRevs) {
		s += " pin:" + k
	}
	for _, k := range gcmSortedKeys(p.pinFiles) {
		s += " pin:" + k
	}
	if p.touch != "" {
		s += " touch:" + p.touch
	}
	return s
}

func gcmSortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// gcmGenPolicy draws a policy for a cache of used bytes: mostly a budget
// between 0 and used (sometimes exactly used, or above it), keep-last 0–3,
// keep-within, keep-refs, a pin (repo, revision or file glob); sometimes no
// budget, then with at least one keep rule.
func gcmGenPolicy(rng *rand.Rand, m *gcmCache) gcmPolicy {
	p := gcmPolicy{maxSize: -1, pinRepos: map[string]bool{}, pinRevs: map[string]bool{}, pinFiles: map[string]bool{}}
	used := m.used()
	switch x := rng.Intn(20); {
	case x < 2:
		// no budget
	case x < 3:
		p.maxSize = used
	case x < 4:
		p.maxSize = used + int64(rng.Intn(1000))
	case x < 6:
		p.maxSize = 0
	default:
		p.maxSize = rng.Int63n(used + 1)
	}
	if rng.Intn(2) == 0 {
		p.keepLast = 1 + rng.Intn(3)
	}
	if rng.Intn(4) == 0 {
		p.keepWithin = []int{2, 30, 41, 90, 180}[rng.Intn(5)]
	}
	p.keepRefs = rng.Intn(3) == 0
	if rng.Intn(3) == 0 {
		revs := m.allRevs()
		switch rng.Intn(3) {
		case 0:
			p.pinRepos[m.repos[rng.Intn(len(m.repos))].cacheID()] = true
		case 1:
			p.pinRevs[revs[rng.Intn(len(revs))].hash] = true
		default:
			// the revisions holding f<j>.bin or f<k>.bin of one repo,
			// j a file of one of its revisions (pin refuses a glob that
			// matches nothing)
			v := revs[rng.Intn(len(revs))]
			var js []string
			for f := range v.files {
				if j, ok := strings.CutPrefix(f, "f"); ok {
					js = append(js, strings.TrimSuffix(j, ".bin"))
				}
			}
			sort.Strings(js)
			p.pinFiles[fmt.Sprintf("%s:f[%s%d].bin", v.repo.cacheID(), js[rng.Intn(len(js))], rng.Intn(5))] = true
		}
	}
	p.grace0 = p.budget() && rng.Intn(2) == 0
	if rng.Intn(4) == 0 {
		v := m.allRevs()[rng.Intn(len(m.allRevs()))]
		p.touch = v.repo.cacheID() + "@" + v.hash
	}
	if !p.budget() && p.keepLast == 0 && p.keepWithin == 0 && !p.keepRefs {
		p.keepLast = 1
	}
	return p
}

// gcmPlanned is one evicted item of the model's plan.
type gcmPlanned struct {
	rev    *gcmRev        // nil for a cleanup item
	inc    *gcmIncomplete // an interrupted download
	orphan *gcmOrphan     // an orphan blob
	freed  int64
}

// gcmPlan is what the rules say gc does.
type gcmPlan struct {
	usedBefore, usedAfter int64
	freed                 int64 // revisions and interrupted downloads
	shortfall             int64
	evicted               []gcmPlanned // in eviction order; downloads first
	keptBy                map[*gcmRev][]string
	evictedRev            map[*gcmRev]bool
	// reachable: evicting every candidate meets the budget.
	reachable bool
	// folderExtra: what repos going whole take besides their blobs (young
	// orphans, downloads no cleanup item names), which delete's own plan
	// does not count.
	folderExtra int64
}

// gcmLess is the last-use order: least recently used first; ties by cache
// id, then commit hash, ascending.
func gcmLess(a, b *gcmRev) bool {
	if la, lb := a.lastUse(), b.lastUse(); la != lb {
		return la < lb
	}
	if a.repo.cacheID() != b.repo.cacheID() {
		return a.repo.cacheID() < b.repo.cacheID()
	}
	return a.hash < b.hash
}

// keepReasons returns the keep rules that keep v, as the prefixes of the
// reasons gc gives.
func (p gcmPolicy) keepReasons(v *gcmRev, now int64) []string {
	var out []string
	if p.pinned(v) {
		out = append(out, "pinned")
	}
	if p.keepLast > 0 {
		// most recent first; ties by commit hash ascending, as the rules
		// break every tie (so among revisions used at one time keep-last
		// keeps the one the last-use order would evict first: the rules do
		// not say which of two tied revisions is "more recent").
		revs := slices.Clone(v.repo.revs)
		sort.Slice(revs, func(i, j int) bool {
			if a, b := revs[i].lastUse(), revs[j].lastUse(); a != b {
				return a > b
			}
			return revs[i].hash < revs[j].hash
		})
		if i := slices.Index(revs, v); i < p.keepLast {
			out = append(out, fmt.Sprintf("keep-last %d", p.keepLast))
		}
	}
	if p.keepWithin > 0 && v.lastUse() >= now-int64(p.keepWithin)*gcmDay {
		out = append(out, "keep-within")
	}
	if p.keepRefs {
		for _, r := range v.refs() {
			out = append(out, "ref "+r)
		}
	}
	return out
}

// plan applies the rules.
func (m *gcmCache) plan(p gcmPolicy, now int64) gcmPlan {
	pl := gcmPlan{usedBefore: m.used(), keptBy: map[*gcmRev][]string{}, evictedRev: map[*gcmRev]bool{}}
	var detached, named []*gcmRev
	for _, v := range m.allRevs() {
		if rs := p.keepReasons(v, now); len(rs) > 0 {
			pl.keptBy[v] = rs
		} else if len(v.refs()) == 0 {
			detached = append(detached, v)
		} else {
			named = append(named, v)
		}
	}
	sort.Slice(detached, func(i, j int) bool { return gcmLess(detached[i], detached[j]) })
	sort.Slice(named, func(i, j int) bool { return gcmLess(named[i], named[j]) })
	cands := append(detached, named...)

	// remaining: per repo, the revisions not evicted yet.
	remaining := map[*gcmRepo]map[*gcmRev]bool{}
	for _, r := range m.repos {
		remaining[r] = map[*gcmRev]bool{}
		for _, v := range r.revs {
			remaining[r][v] = true
		}
	}
	used := pl.usedBefore
	// cleaned: repos whose interrupted downloads (inc) and orphans (orph)
	// are cleanup items already, counted there.
	cleanedInc, cleanedOrph := map[*gcmRepo]bool{}, map[*gcmRepo]bool{}
	evict := func(v *gcmRev) {
		delete(remaining[v.repo], v)
		var freed int64
		for k, b := range v.blobs() {
			linked := false
			for o := range remaining[v.repo] {
				_, ok := o.blobs()[k]
				linked = linked || ok
			}
			if !linked {
				freed += b.size()
			}
		}
		used -= freed
		// The repo's last revision takes the whole folder: what it holds
		// besides the blobs its snapshots link (orphans, however young,
		// and interrupted downloads) goes too, freeing disk but not used.
		if len(remaining[v.repo]) == 0 {
			var extra int64
			if !cleanedInc[v.repo] {
				for _, in := range v.repo.incompletes {
					extra += in.size
				}
			}
			if !cleanedOrph[v.repo] {
				for _, o := range v.repo.orphans {
					extra += int64(len(o.content))
				}
			}
			freed += extra
			pl.folderExtra += extra
		}
		pl.freed += freed
		pl.evicted = append(pl.evicted, gcmPlanned{rev: v, freed: freed})
		pl.evictedRev[v] = true
	}

	if p.budget() {
		// reachable: does evicting every candidate meet the budget?
		all := m.used()
		for _, r := range m.repos {
			kept := map[string]bool{}
			for _, v := range r.revs {
				if _, ok := pl.keptBy[v]; ok {
					for k := range v.blobs() {
						kept[k] = true
					}
				}
			}
			for _, v := range r.revs {
				for k, b := range v.blobs() {
					if !kept[k] {
						kept[k] = true // count once
						all -= b.size()
					}
				}
			}
		}
		pl.reachable = all <= p.maxSize
		if used > p.maxSize {
			for _, r := range m.repos {
				cleanedInc[r], cleanedOrph[r] = true, p.grace0
				for i := range r.incompletes {
					in := &r.incompletes[i]
					pl.evicted = append(pl.evicted, gcmPlanned{inc: in, freed: in.size})
					pl.freed += in.size
				}
				for i := range r.orphans {
					if o := &r.orphans[i]; p.grace0 {
						n := int64(len(o.content))
						pl.evicted = append(pl.evicted, gcmPlanned{orphan: o, freed: n})
						pl.freed += n
					}
				}
			}
			for _, v := range cands {
				if used <= p.maxSize {
					break
				}
				evict(v)
			}
		}
		pl.shortfall = max(0, used-p.maxSize)
	} else if p.keepLast > 0 || p.keepWithin > 0 || p.keepRefs {
		// without a budget the keep options decide (pins are no option:
		// with pins alone nothing goes).
		for _, v := range cands {
			evict(v)
		}
	}
	pl.usedAfter = used
	return pl
}

// gcmOutput is `hfidx gc --format json`.
type gcmOutput struct {
	DryRun        bool  `json:"dry_run"`
	ExpectedFreed int64 `json:"expected_freed_size"`
	UsedBefore    int64 `json:"used_before"`
	UsedAfter     int64 `json:"used_after"`
	Budget        struct {
		MaxSize *int64 `json:"max_size"`
		MinFree *int64 `json:"min_free"`
	} `json:"budget"`
	Shortfall int64     `json:"shortfall"`
	Items     []gcmItem `json:"items"`
}

type gcmItem struct {
	Target   string   `json:"target"`
	RepoID   string   `json:"repo_id"`
	RepoType string   `json:"repo_type"`
	Revision string   `json:"revision"`
	Action   string   `json:"action"`
	Reasons  []string `json:"reasons"`
	Freed    int64    `json:"freed_size"`
	Kind     string   `json:"kind"`
}

func (it gcmItem) String() string {
	return fmt.Sprintf("%s %s %s/%s@%.8s freed=%d %q", it.Action, it.Kind, it.RepoType, it.RepoID, it.Revision, it.Freed, it.Reasons)
}

// gcmCheckPlan compares gc's JSON plan with the model's and returns every
// disagreement: first the properties the issue names (checked on gc's
// output with the model's facts), then the exact plan.
func gcmCheckPlan(m *gcmCache, p gcmPolicy, now int64, want gcmPlan, got gcmOutput) []string {
	var errs []string
	bad := func(format string, args ...any) { errs = append(errs, fmt.Sprintf(format, args...)) }
	revByKey := map[string]*gcmRev{}
	for _, v := range m.allRevs() {
		revByKey[v.repo.typ+"/"+v.repo.id+"@"+v.hash] = v
	}
	var gotEvicted []*gcmRev
	gotKept := map[*gcmRev]gcmItem{}
	var gotCleanup []gcmItem
	var sum int64
	seenKeep := false
	for i, it := range got.Items {
		switch it.Action {
		case "evict":
			sum += it.Freed
			if seenKeep {
				bad("items[%d] %v: an evicted item after a kept one", i, it)
			}
		case "keep":
			seenKeep = true
			if it.Freed != 0 {
				bad("items[%d] %v: a kept item frees bytes", i, it)
			}
		default:
			bad("items[%d] %v: action %q", i, it, it.Action)
		}
		if len(it.Reasons) == 0 {
			bad("items[%d] %v: no reason", i, it)
		}
		if it.Kind != "revision" {
			if it.Action == "evict" {
				if len(gotEvicted) > 0 {
					bad("items[%d] %v: a cleanup item after an evicted revision", i, it)
				}
				gotCleanup = append(gotCleanup, it)
			}
			continue
		}
		v := revByKey[it.RepoType+"/"+it.RepoID+"@"+it.Revision]
		if v == nil {
			bad("items[%d] %v: no such revision in the cache", i, it)
			continue
		}
		if it.Action == "evict" {
			gotEvicted = append(gotEvicted, v)
		} else {
			if _, dup := gotKept[v]; dup {
				bad("items[%d] %v: listed twice", i, it)
			}
			gotKept[v] = it
		}
	}

	// the properties.
	if got.UsedBefore != want.usedBefore {
		bad("used_before = %d, want %d (scan's size_on_disk)", got.UsedBefore, want.usedBefore)
	}
	if p.budget() {
		if got.Budget.MaxSize == nil || *got.Budget.MaxSize != p.maxSize {
			bad("budget.max_size = %v, want %d", got.Budget.MaxSize, p.maxSize)
		}
		if want.reachable && got.UsedAfter > p.maxSize {
			bad("budget not met though reachable: used_after = %d > max-size %d", got.UsedAfter, p.maxSize)
		}
		if got.UsedAfter > p.maxSize && got.Shortfall != got.UsedAfter-p.maxSize {
			bad("shortfall = %d, want used_after-max_size = %d", got.Shortfall, got.UsedAfter-p.maxSize)
		}
	} else {
		if got.Budget.MaxSize != nil || got.Budget.MinFree != nil {
			bad("budget = %v/%v without a budget, want null/null", got.Budget.MaxSize, got.Budget.MinFree)
		}
		if len(gotCleanup) > 0 {
			bad("%d cleanup item(s) evicted without a budget", len(gotCleanup))
		}
	}
	for _, v := range gotEvicted {
		if rs := want.keptBy[v]; len(rs) > 0 {
			bad("%s@%s evicted though kept by %q", v.repo.cacheID(), v.hash, rs)
		}
	}
	for i := 1; i < len(gotEvicted); i++ {
		a, b := gotEvicted[i-1], gotEvicted[i]
		da, db := len(a.refs()) == 0, len(b.refs()) == 0
		if (!da && db) || (da == db && !gcmLess(a, b)) {
			bad("eviction order: %s@%.8s (last use %d, detached %v) before %s@%.8s (last use %d, detached %v)",
				a.repo.cacheID(), a.hash, a.lastUse(), da, b.repo.cacheID(), b.hash, b.lastUse(), db)
		}
	}
	if sum != got.ExpectedFreed {
		bad("sum of freed_size = %d, expected_freed_size = %d", sum, got.ExpectedFreed)
	}

	// the exact plan.
	var wantEvicted []*gcmRev
	nInc := 0 // cleanup items
	for _, e := range want.evicted {
		if e.rev != nil {
			wantEvicted = append(wantEvicted, e.rev)
		} else {
			nInc++
		}
	}
	if !slices.Equal(gotEvicted, wantEvicted) {
		bad("evicted revisions:\n  got  %s\n  want %s", gcmRevList(gotEvicted), gcmRevList(wantEvicted))
	} else {
		j := 0
		for _, it := range got.Items {
			if it.Action != "evict" || it.Kind != "revision" {
				continue
			}
			for want.evicted[j].rev == nil {
				j++
			}
			if it.Freed != want.evicted[j].freed {
				bad("%v: freed_size = %d, want %d", it, it.Freed, want.evicted[j].freed)
			}
			j++
		}
	}
	if len(gotCleanup) != nInc {
		bad("%d cleanup item(s) evicted, want %d (interrupted downloads, orphans): %v", len(gotCleanup), nInc, gotCleanup)
	} else {
		for _, it := range gotCleanup {
			ok := false
			for _, e := range want.evicted {
				if e.inc != nil && strings.Contains(it.Target, e.inc.name) {
					ok = true
					if it.Kind != "incomplete" || it.Freed != e.inc.size {
						bad("%v (%s): want kind incomplete freeing %d", it, it.Target, e.inc.size)
					}
				}
				if e.orphan != nil && strings.Contains(it.Target, e.orphan.etag()) {
					ok = true
					if it.Kind != "orphan" || it.Freed != e.freed {
						bad("%v (%s): want kind orphan freeing %d", it, it.Target, e.freed)
					}
				}
			}
			if !ok {
				bad("cleanup item %v (%s) is none of the interrupted downloads", it, it.Target)
			}
		}
	}
	for _, v := range m.allRevs() {
		if want.evictedRev[v] {
			continue
		}
		it, ok := gotKept[v]
		if !ok {
			if !slices.Contains(gotEvicted, v) {
				bad("%s@%s is in no item", v.repo.cacheID(), v.hash)
			}
			continue
		}
		if rs := want.keptBy[v]; len(rs) > 0 {
			match := false
			for _, w := range rs {
				for _, r := range it.Reasons {
					match = match || strings.HasPrefix(r, w)
				}
			}
			if !match {
				bad("%v: kept by %q, the reasons say none", it, rs)
			}
		} else if p.budget() && !slices.ContainsFunc(it.Reasons, func(r string) bool { return strings.Contains(r, "budget holds") }) {
			bad("%v: kept because the budget holds, the reasons do not say so", it)
		}
	}
	if got.ExpectedFreed != want.freed {
		bad("expected_freed_size = %d, want %d", got.ExpectedFreed, want.freed)
	}
	if got.UsedAfter != want.usedAfter {
		bad("used_after = %d, want %d", got.UsedAfter, want.usedAfter)
	}
	if got.Shortfall != want.shortfall {
		bad("shortfall = %d, want %d", got.Shortfall, want.shortfall)
	}
	return errs
}

// gcmPlanBytes is a dry run's JSON without the free space of the
// filesystem, which other writers change between two runs.
func gcmPlanBytes(out string) string {
	var v map[string]any
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		return out
	}
	delete(v, "free_before")
	delete(v, "free_after")
	b, _ := json.Marshal(v)
	return string(b)
}

// describe prints the cache as the model sees it, one line a revision.
func (m *gcmCache) describe(now int64) string {
	var b strings.Builder
	for _, r := range m.repos {
		fmt.Fprintf(&b, "  %s (%d bytes) refs %v incomplete %v orphans %d\n", r.cacheID(), r.size(), r.refs, r.incompletes, len(r.orphans))
		for _, v := range r.revs {
			var fs []string
			for p, bl := range v.files {
				fs = append(fs, fmt.Sprintf("%s=blob%s/%dB/%dd", p, bl.key, bl.size(), (now-bl.lastUse())/gcmDay))
			}
			sort.Strings(fs)
			fmt.Fprintf(&b, "    %s last use %d d, refs %v: %s\n", v.hash, (now-v.lastUse())/gcmDay, v.refs(), strings.Join(fs, " "))
		}
	}
	return b.String()
}

func gcmRevList(vs []*gcmRev) string {
	var s []string
	for _, v := range vs {
		d := ""
		if len(v.refs()) == 0 {
			d = " detached"
		}
		s = append(s, fmt.Sprintf("%s@%.8s(%d%s)", v.repo.cacheID(), v.hash, v.lastUse(), d))
	}
	return "[" + strings.Join(s, " ") + "]"
}

// gcmEnv runs hfidx on one cache with its own index and state.
type gcmEnv struct {
	hub, db, state string
}

func (e gcmEnv) run(args ...string) cmdResult {
	return hfidx(append(args, "--cache-dir", e.hub, "--db", e.db, "--state", e.state)...)
}

// gcmBlobBytes sums the sizes of the regular files under every repo's blobs/
// folder, by path.
func gcmBlobBytes(t *testing.T, hub string) (int64, map[string]int64) {
	t.Helper()
	files := map[string]int64{}
	var total int64
	repos, _ := filepath.Glob(filepath.Join(hub, "*s--*", "blobs"))
	for _, d := range repos {
		err := filepath.WalkDir(d, func(p string, de fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if de.Type().IsRegular() {
				fi, err := de.Info()
				if err != nil {
					return err
				}
				rel, _ := filepath.Rel(hub, p)
				files[filepath.ToSlash(rel)] = fi.Size()
				total += fi.Size()
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return total, files
}

// gcmCheckDisk re-checks the cache after a real run, from the disk alone: the
// repo folders, revisions, refs and blobs left are what the model keeps
// (a repo with no revision left is gone whole), every snapshot link
// resolves, and no blob is left that no snapshot links.
func gcmCheckDisk(t *testing.T, hub string, m *gcmCache, pl gcmPlan) []string {
	var errs []string
	bad := func(format string, args ...any) { errs = append(errs, fmt.Sprintf(format, args...)) }
	incEvicted := map[string]bool{}
	for _, e := range pl.evicted {
		if e.inc != nil {
			incEvicted[e.inc.name] = true
		}
		if e.orphan != nil {
			incEvicted[e.orphan.etag()] = true
		}
	}
	for _, r := range m.repos {
		dir := filepath.Join(hub, cachetest.FolderName(r.typ, r.id))
		var left []string
		for _, v := range r.revs {
			if !pl.evictedRev[v] {
				left = append(left, v.hash)
			}
		}
		sort.Strings(left)
		if len(left) == 0 {
			if _, err := os.Lstat(dir); err == nil {
				bad("%s: every revision evicted, the folder is still there", r.cacheID())
			}
			continue
		}
		ents, err := os.ReadDir(filepath.Join(dir, "snapshots"))
		if err != nil {
			bad("%s: %v", r.cacheID(), err)
			continue
		}
		var have []string
		for _, e := range ents {
			have = append(have, e.Name())
		}
		if !slices.Equal(have, left) {
			bad("%s: revisions left %v, want %v", r.cacheID(), have, left)
		}
		linked := map[string]bool{}
		for _, h := range have {
			root := filepath.Join(dir, "snapshots", h)
			filepath.WalkDir(root, func(p string, de fs.DirEntry, err error) error {
				if err != nil || de.Type()&fs.ModeSymlink == 0 {
					return nil
				}
				if _, err := os.Stat(p); err != nil {
					bad("%s: link %s does not resolve: %v", r.cacheID(), p, err)
				}
				tg, _ := os.Readlink(p)
				linked[filepath.Base(tg)] = true
				return nil
			})
		}
		var wantBlobs, haveBlobs []string
		for k := range linked {
			wantBlobs = append(wantBlobs, k)
		}
		for _, in := range r.incompletes {
			if !incEvicted[in.name] {
				wantBlobs = append(wantBlobs, in.name+".incomplete")
			}
		}
		for _, o := range r.orphans {
			if !incEvicted[o.etag()] {
				wantBlobs = append(wantBlobs, o.etag())
			}
		}
		ents, _ = os.ReadDir(filepath.Join(dir, "blobs"))
		for _, e := range ents {
			haveBlobs = append(haveBlobs, e.Name())
		}
		sort.Strings(wantBlobs)
		if !slices.Equal(haveBlobs, wantBlobs) {
			bad("%s: blobs %v, want %v", r.cacheID(), haveBlobs, wantBlobs)
		}
		var wantRefs, haveRefs []string
		for name, h := range r.refs {
			if slices.Contains(left, h) {
				wantRefs = append(wantRefs, name)
			}
		}
		sort.Strings(wantRefs)
		ents, _ = os.ReadDir(filepath.Join(dir, "refs"))
		for _, e := range ents {
			haveRefs = append(haveRefs, e.Name())
		}
		if !slices.Equal(haveRefs, wantRefs) {
			bad("%s: refs %v, want %v", r.cacheID(), haveRefs, wantRefs)
		}
	}
	return errs
}

// TestGCModel holds hfidx gc to the model on seeded caches × seeded
// policies: the dry run's plan equals the model's (evicted set and order,
// per-item freed bytes, totals, shortfall, a reason for every kept
// revision), two dry runs print the same bytes, `delete --dry-run` of the
// evicted targets frees what gc planned, the real run frees those bytes on
// disk and leaves exactly the model's revisions (scan's total is
// used_after), and a second dry run plans nothing. HFIDX_GC_SEED replays a
// seed, HFIDX_GC_CASES sets the number of cases.
func TestGCModel(t *testing.T) {
	seed := time.Now().UnixNano()
	if s := os.Getenv("HFIDX_GC_SEED"); s != "" {
		var err error
		if seed, err = strconv.ParseInt(s, 10, 64); err != nil {
			t.Fatalf("HFIDX_GC_SEED=%q: %v", s, err)
		}
	}
	cases := 12
	if testing.Short() {
		cases = 4
	}
	if s := os.Getenv("HFIDX_GC_CASES"); s != "" {
		var err error
		if cases, err = strconv.Atoi(s); err != nil {
			t.Fatalf("HFIDX_GC_CASES=%q: %v", s, err)
		}
	}
	t.Logf("seed %d (replay with HFIDX_GC_SEED=%d), %d case(s)", seed, seed, cases)
	rng := rand.New(rand.NewSource(seed))
	dir := t.TempDir()
	dir, _ = filepath.EvalSymlinks(dir)
	failed := 0
	for i := 0; i < cases && failed < 10; i++ {
		caseSeed := rng.Int63()
		if errs := gcmCase(t, filepath.Join(dir, strconv.Itoa(i)), caseSeed); len(errs) > 0 {
			failed++
			t.Errorf("case %d (HFIDX_GC_SEED=%d HFIDX_GC_CASES=%d):\n%s", i, seed, i+1, strings.Join(errs, "\n"))
		}
	}
}

// gcmCase runs one case drawn from caseSeed and returns the disagreements,
// each run's context first.
func gcmCase(t *testing.T, dir string, caseSeed int64) (errs []string) {
	t.Helper()
	rng := rand.New(rand.NewSource(caseSeed))
	now := time.Now().Unix()
	m := gcmGenCache(rng, now)
	p := gcmGenPolicy(rng, m)
	spec := m.spec()
	defer func() {
		if len(errs) > 0 {
			errs = append([]string{"policy: " + p.String(), "cache:\n" + m.describe(now)}, errs...)
		}
	}()
	e := gcmEnv{hub: filepath.Join(dir, "hub"), db: filepath.Join(dir, "index.db"), state: filepath.Join(dir, "state.db")}
	cachetest.Build(t, e.hub, spec)
	for _, k := range gcmSortedKeys(p.pinRepos) {
		if r := e.run("pin", k); r.code != 0 {
			return []string{fmt.Sprintf("pin %s: exit %d: %s", k, r.code, r.stderr)}
		}
	}
	for _, k := range append(gcmSortedKeys(p.pinRevs), gcmSortedKeys(p.pinFiles)...) {
		if r := e.run("pin", k); r.code != 0 {
			return []string{fmt.Sprintf("pin %s: exit %d: %s", k, r.code, r.stderr)}
		}
	}
	if p.touch != "" {
		if r := e.run("touch", "="+p.touch); r.code != 0 {
			return []string{fmt.Sprintf("touch %s: exit %d: %s", p.touch, r.code, r.stderr)}
		}
		for _, v := range m.allRevs() {
			if v.repo.cacheID()+"@"+v.hash == p.touch {
				for _, b := range v.files {
					b.used = now
				}
			}
		}
	}
	want := m.plan(p, now)

	var sc struct {
		Size int64 `json:"size_on_disk"`
	}
	r := e.run("scan", "--format", "json")
	if err := json.Unmarshal([]byte(r.stdout), &sc); err != nil || r.code != 0 {
		return []string{fmt.Sprintf("scan: exit %d, %v: %s", r.code, err, r.stderr)}
	}
	if sc.Size != want.usedBefore {
		return []string{fmt.Sprintf("the model's used %d != scan's size_on_disk %d (the generator is wrong)", want.usedBefore, sc.Size)}
	}

	args := append([]string{"gc", "--dry-run", "--format", "json"}, p.args()...)
	r1 := e.run(args...)
	if r1.code != 0 {
		return []string{fmt.Sprintf("%s: exit %d: %s%s", strings.Join(args, " "), r1.code, r1.stdout, r1.stderr)}
	}
	var got gcmOutput
	if err := json.Unmarshal([]byte(r1.stdout), &got); err != nil {
		return []string{fmt.Sprintf("gc JSON: %v: %s", err, r1.stdout)}
	}
	if !got.DryRun {
		errs = append(errs, "dry run: dry_run = false")
	}
	errs = append(errs, gcmCheckPlan(m, p, now, want, got)...)
	if r2 := e.run(args...); gcmPlanBytes(r2.stdout) != gcmPlanBytes(r1.stdout) || r2.code != r1.code {
		errs = append(errs, fmt.Sprintf("two dry runs differ:\n%s\n%s", r1.stdout, r2.stdout))
	}
	if len(errs) > 0 {
		return append(errs, "gc output: "+r1.stdout)
	}

	// delete of the same revisions frees what gc planned for them.
	var targets []string
	var revFreed int64
	for _, it := range got.Items {
		if it.Action == "evict" && it.Kind == "revision" {
			targets = append(targets, it.Target)
			revFreed += it.Freed
		}
	}
	if len(targets) > 0 {
		dr := e.run(append([]string{"delete", "--dry-run", "--format", "json"}, targets...)...)
		var del struct {
			Freed   int64    `json:"expected_freed_size"`
			Unknown []string `json:"unknown"`
		}
		if err := json.Unmarshal([]byte(dr.stdout), &del); err != nil || dr.code != 0 {
			errs = append(errs, fmt.Sprintf("delete --dry-run %q: exit %d, %v: %s", targets, dr.code, err, dr.stderr))
		} else if del.Freed != revFreed-want.folderExtra || len(del.Unknown) > 0 {
			errs = append(errs, fmt.Sprintf("delete --dry-run of the evicted targets frees %d (unknown %q), gc planned %d for them", del.Freed, del.Unknown, revFreed))
		}
	}

	// the real run.
	before, _ := gcmBlobBytes(t, e.hub)
	real := append([]string{"gc", "-y", "--format", "json"}, p.args()...)
	rr := e.run(real...)
	var done gcmOutput
	if err := json.Unmarshal([]byte(rr.stdout), &done); err != nil || rr.code != 0 {
		return append(errs, fmt.Sprintf("%s: exit %d, %v: %s%s", strings.Join(real, " "), rr.code, err, rr.stdout, rr.stderr))
	}
	if done.DryRun || done.ExpectedFreed != got.ExpectedFreed || len(done.Items) != len(got.Items) {
		errs = append(errs, fmt.Sprintf("real run: dry_run %v, expected_freed_size %d, %d items; the dry run: %d, %d items",
			done.DryRun, done.ExpectedFreed, len(done.Items), got.ExpectedFreed, len(got.Items)))
	}
	after, _ := gcmBlobBytes(t, e.hub)
	if before-after != want.freed {
		errs = append(errs, fmt.Sprintf("the real run freed %d bytes of blobs on disk, planned %d", before-after, want.freed))
	}
	errs = append(errs, gcmCheckDisk(t, e.hub, m, want)...)
	r = e.run("scan", "--format", "json")
	if err := json.Unmarshal([]byte(r.stdout), &sc); err != nil || r.code != 0 {
		errs = append(errs, fmt.Sprintf("scan after: exit %d, %v: %s", r.code, err, r.stderr))
	} else if sc.Size != want.usedAfter {
		errs = append(errs, fmt.Sprintf("scan after the real run: size_on_disk %d, used_after %d", sc.Size, want.usedAfter))
	}

	// a second run right after plans nothing.
	r3 := e.run(args...)
	var again gcmOutput
	if err := json.Unmarshal([]byte(r3.stdout), &again); err != nil || r3.code != 0 {
		return append(errs, fmt.Sprintf("second dry run: exit %d, %v: %s", r3.code, err, r3.stderr))
	}
	for _, it := range again.Items {
		if it.Action == "evict" {
			errs = append(errs, fmt.Sprintf("second run evicts %v (%s)", it, it.Target))
		}
	}
	if again.ExpectedFreed != 0 || again.UsedBefore != want.usedAfter {
		errs = append(errs, fmt.Sprintf("second run: expected_freed_size %d, used_before %d (want 0, %d)", again.ExpectedFreed, again.UsedBefore, want.usedAfter))
	}
	return errs
}

// TestGCModelSelf checks the model itself on a hand-made cache, so that a
// disagreement with gc is not the model's fault.
func TestGCModelSelf(t *testing.T) {
	now := int64(1_800_000_000)
	day := func(d int64) int64 { return now - d*gcmDay - gcmDay/2 }
	a := &gcmRepo{typ: "model", id: "org/a", refs: map[string]string{}}
	shared := &gcmBlob{key: "s", content: []byte("shared-10b"), atime: day(100)}
	old := &gcmBlob{key: "o", content: []byte("old-5"), atime: day(300)}
	newb := &gcmBlob{key: "n", content: []byte("new-blob-12!"), atime: day(1)}
	a1 := &gcmRev{repo: a, hash: "1111", files: map[string]*gcmBlob{"s": shared, "o": old}}    // last use 100 d
	a2 := &gcmRev{repo: a, hash: "2222", files: map[string]*gcmBlob{"s": shared, "t": shared}} // 100 d, detached
	a3 := &gcmRev{repo: a, hash: "3333", files: map[string]*gcmBlob{"n": newb, "s2": shared}}  // 1 d
	a.revs = []*gcmRev{a1, a2, a3}
	a.refs["main"] = "3333"
	a.refs["v1"] = "1111"
	b := &gcmRepo{typ: "dataset", id: "org/b", refs: map[string]string{}}
	b1 := &gcmRev{repo: b, hash: "9999", files: map[string]*gcmBlob{"x": {key: "x", content: []byte("0123456789abcdef"), atime: day(100)}}}
	b.revs = []*gcmRev{b1}
	b.refs["main"] = "9999"
	m := &gcmCache{repos: []*gcmRepo{a, b}}
	if got := m.used(); got != 10+5+12+16 {
		t.Fatalf("used = %d, want 43", got)
	}
	order := func(pl gcmPlan) string {
		var s []string
		for _, e := range pl.evicted {
			s = append(s, fmt.Sprintf("%s:%d", e.rev.hash, e.freed))
		}
		return strings.Join(s, " ")
	}
	for _, c := range []struct {
		p                          gcmPolicy
		want                       string
		usedAfter, shortfall, free int64
	}{
		// detached 2222 first (frees nothing: 1111 and 3333 share its blob),
		// then by last use: 1111 and 9999 tie at 100 d, dataset/ < model/.
		{gcmPolicy{maxSize: 30}, "2222:0 9999:16", 27, 0, 16},
		{gcmPolicy{maxSize: 27}, "2222:0 9999:16", 27, 0, 16},
		{gcmPolicy{maxSize: 26}, "2222:0 9999:16 1111:5", 22, 0, 21},
		{gcmPolicy{maxSize: 0}, "2222:0 9999:16 1111:5 3333:22", 0, 0, 43},
		{gcmPolicy{maxSize: 43}, "", 43, 0, 0},
		{gcmPolicy{maxSize: 0, keepLast: 1}, "2222:0 1111:5", 38, 38, 5},
		{gcmPolicy{maxSize: 0, keepRefs: true}, "2222:0", 43, 43, 0},
		{gcmPolicy{maxSize: 0, keepWithin: 2}, "2222:0 9999:16 1111:5", 22, 22, 21},
		{gcmPolicy{maxSize: 0, pinRepos: map[string]bool{"model/org/a": true}}, "9999:16", 27, 27, 16},
		// 1111 and 2222 tie at 100 d: the lower hash counts as the more
		// recent for keep-last.
		{gcmPolicy{maxSize: -1, keepLast: 2}, "2222:0", 43, 0, 0},
		{gcmPolicy{maxSize: -1, keepRefs: true}, "2222:0", 43, 0, 0},
		{gcmPolicy{maxSize: -1}, "", 43, 0, 0},
		// pins are no option: without a budget or a keep option nothing goes.
		{gcmPolicy{maxSize: -1, pinRevs: map[string]bool{"1111": true}}, "", 43, 0, 0},
		{gcmPolicy{maxSize: -1, keepRefs: true, pinFiles: map[string]bool{"model/org/a:[st]": true}}, "", 43, 0, 0},
		{gcmPolicy{maxSize: 0, pinFiles: map[string]bool{"model/org/a:o": true}}, "2222:0 9999:16 3333:12", 15, 15, 28},
	} {
		pl := m.plan(c.p, now)
		if got := order(pl); got != c.want || pl.usedAfter != c.usedAfter || pl.shortfall != c.shortfall || pl.freed != c.free {
			t.Errorf("plan(%v) = %q used_after %d shortfall %d freed %d, want %q %d %d %d",
				c.p, got, pl.usedAfter, pl.shortfall, pl.freed, c.want, c.usedAfter, c.shortfall, c.free)
		}
	}
}

const gcmLockSpec = `
root-entries
repo model org/a
rev 1111111111111111111111111111111111111111
file w.bin "0123456789" time=1500000000
ref main 1111111111111111111111111111111111111111
rev 2222222222222222222222222222222222222222
file w.bin "abcdefghijklmnopqrst" time=1400000000
repo dataset org/d
rev 4444444444444444444444444444444444444444
file data.csv "a,b\n1,2\n" time=1550000000
`

// TestGCDownloadLock: while another process holds a download lock of
// org/a, every revision of org/a is kept ("download in progress") and the
// rest of the plan stands; gc --auto skips quietly and deletes nothing;
// once the lock is free the same gc takes org/a too.
func TestGCDownloadLock(t *testing.T) {
	c, err := cachetest.Parse(gcmLockSpec)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	e := gcmEnv{hub: filepath.Join(dir, "hub"), db: filepath.Join(dir, "index.db"), state: filepath.Join(dir, "state.db")}
	cachetest.Build(t, e.hub, c)
	locks, _ := filepath.Glob(filepath.Join(e.hub, ".locks", "models--org--a", "*.lock"))
	if len(locks) == 0 {
		t.Fatal("no download lock of org/a was built")
	}
	f, err := os.OpenFile(locks[0], os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := flock.Lock(f, false); err != nil {
		t.Fatal(err)
	}

	plan := func(args ...string) gcmOutput {
		t.Helper()
		r := e.run(append([]string{"gc", "--format", "json"}, args...)...)
		var out gcmOutput
		if err := json.Unmarshal([]byte(r.stdout), &out); err != nil || r.code != 0 {
			t.Fatalf("gc %q: exit %d, %v: %s%s", args, r.code, err, r.stdout, r.stderr)
		}
		return out
	}
	out := plan("--dry-run", "--max-size", "0")
	for _, it := range out.Items {
		switch it.RepoID {
		case "org/a":
			if it.Action != "keep" || !slices.ContainsFunc(it.Reasons, func(r string) bool { return strings.Contains(r, "download in progress") }) {
				t.Errorf("lock held: %v, want kept, download in progress", it)
			}
		case "org/d":
			if it.Action != "evict" {
				t.Errorf("lock held: %v, want evicted (its repo has no lock held)", it)
			}
		}
	}
	if out.UsedAfter != 30 || out.Shortfall != 30 || out.ExpectedFreed != 8 {
		t.Errorf("lock held: used_after %d, shortfall %d, freed %d; want 30, 30, 8", out.UsedAfter, out.Shortfall, out.ExpectedFreed)
	}

	before := contentState(t, e.hub)
	r := e.run("gc", "--auto", "--max-size", "0", "--max-delete", "10")
	if r.code != 0 || strings.Count(strings.TrimRight(r.stdout, "\n"), "\n") != 0 || !strings.Contains(r.stdout, "skip") {
		t.Errorf("gc --auto while a download runs: exit %d, stdout %q, stderr %q; want exit 0 and one line saying it skipped", r.code, r.stdout, r.stderr)
	}
	if d := diffStates(before, contentState(t, e.hub)); d != "" {
		t.Errorf("gc --auto while a download runs changed the cache:\n%s", d)
	}

	flock.Unlock(f)
	out = plan("-y", "--max-size", "0")
	if out.UsedAfter != 0 || out.ExpectedFreed != 38 {
		t.Errorf("lock free: used_after %d, freed %d; want 0, 38", out.UsedAfter, out.ExpectedFreed)
	}
	if _, err := os.Lstat(filepath.Join(e.hub, "models--org--a")); err == nil {
		t.Errorf("lock free: org/a is still there")
	}
}
