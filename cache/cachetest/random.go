package cachetest

import (
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// RandomOptions tunes Random.
type RandomOptions struct {
	// Repos is the number of repos; 0 picks 1 to 12.
	Repos int
	// MaxRevisions bounds the revisions of a repo; 0 means 6.
	MaxRevisions int
	// Store adds a marked shared blob store, shared files and orphan
	// payloads.
	Store bool
	// Sparse adds, rarely, sparse multi-GB files of the SparseSizes.
	Sparse bool
	// Corrupt damages some repos in ways huggingface_hub and hfidx both warn
	// about (BrokenLink, DanglingRef, RefsIsFile, NoSnapshots,
	// FileInSnapshots) and adds invalid top-level entries.
	Corrupt bool
}

// Seed returns a seed for Random derived from the clock and logs it, so a
// failing run can be replayed by passing the logged seed to Random.
func Seed(t testing.TB) int64 {
	t.Helper()
	seed := time.Now().UnixNano()
	t.Logf("cachetest: random seed %d", seed)
	return seed
}

// gen holds the state of one Random call.
type gen struct {
	rng     *rand.Rand
	opts    RandomOptions
	clock   int64 // next blob time, in seconds
	future  int64 // next folder atime, in seconds
	commits []string
	shared  map[string]Time // payload times by content, so a payload has one time
}

// Random returns a cache spec drawn from seed: the same seed and options
// always give the same spec. Contents are small (a few KB in all) unless
// opts.Sparse adds sparse files.
//
// Every time is set. Blob times are distinct. Folder access times are in
// the far future: a scanner that lists a folder bumps its atime on relatime
// mounts only when the atime is not later than the mtime and ctime, so these
// stay as built and the oracle stays right for repos without blobs.
func Random(seed int64, opts RandomOptions) Cache {
	g := &gen{
		rng:    rand.New(rand.NewPCG(uint64(seed), 0x9e3779b97f4a7c15)),
		opts:   opts,
		shared: map[string]Time{},
	}
	if g.opts.MaxRevisions == 0 {
		g.opts.MaxRevisions = 6
	}
	g.clock = 1_500_000_000 + g.rng.Int64N(100_000_000)
	g.future = 4_102_444_800 + g.rng.Int64N(1_000_000) // after 2100-01-01

	var c Cache
	n := opts.Repos
	if n == 0 {
		n = 1 + g.rng.IntN(12)
	}
	if opts.Store {
		c.Store = &Store{}
	}
	folders := map[string]bool{}
	for len(c.Repos) < n {
		r := g.repo()
		f := r.folder()
		if folders[f] {
			continue
		}
		folders[f] = true
		c.Repos = append(c.Repos, r)
	}
	c.RootEntries = g.chance(0.5)

	if opts.Store {
		for i := range g.rng.IntN(3) {
			p := Payload{Content: []byte(fmt.Sprintf("orphan payload %d %x", i, g.rng.Uint64())), Time: g.blobTime()}
			if g.chance(0.5) {
				// Stale lines of a repo deleted by hand.
				p.Refs = []string{"models--gone--repo/blobs/" + g.hex(64)}
			}
			c.Store.Payloads = append(c.Store.Payloads, p)
		}
	}
	if opts.Corrupt {
		extras := []Entry{
			{Path: "stray.txt", Kind: EntryFile, Content: []byte("stray\n"), Time: g.blobTime()},
			{Path: "not-a-repo", Kind: EntryDir, Time: g.folderTime()},
			{Path: "weird--thing", Kind: EntryDir, Time: g.folderTime()},
		}
		for _, e := range extras {
			if g.chance(0.5) {
				c.Extra = append(c.Extra, e)
			}
		}
		if len(c.Extra) == 0 {
			c.Extra = append(c.Extra, extras[g.rng.IntN(len(extras))])
		}
		kinds := []CorruptionKind{BrokenLink, DanglingRef, RefsIsFile, NoSnapshots, FileInSnapshots}
		damaged := false
		for i := range c.Repos {
			if g.chance(0.2) || (!damaged && i == len(c.Repos)-1) {
				k := kinds[g.rng.IntN(len(kinds))]
				c.Repos[i].Corrupt = []Corruption{{Kind: k, Time: g.blobTime()}}
				damaged = true
			}
		}
	}
	return c
}

func (g *gen) chance(p float64) bool { return g.rng.Float64() < p }

func (g *gen) hex(n int) string {
	b := make([]byte, (n+1)/2)
	for i := range b {
		b[i] = byte(g.rng.Uint32())
	}
	return hex.EncodeToString(b)[:n]
}

// blobTime returns a new, distinct time with microseconds: the access time
// after the modification time.
func (g *gen) blobTime() Time {
	g.clock += 1 + g.rng.Int64N(100_000)
	m := Unix(g.clock, g.rng.Int64N(1_000_000)*1000)
	a := m.Add(time.Duration(g.rng.Int64N(1_000_000_000)) * time.Microsecond)
	return Time{Atime: a, Mtime: m}
}

// folderTime returns a past modification time and a far-future access time.
func (g *gen) folderTime() Time {
	g.clock += 1 + g.rng.Int64N(1000)
	g.future += 1 + g.rng.Int64N(1000)
	return Time{Atime: Unix(g.future, 0), Mtime: Unix(g.clock, g.rng.Int64N(1_000_000)*1000)}
}

func (g *gen) pick(s []string) string { return s[g.rng.IntN(len(s))] }

var (
	namespaces = []string{"org", "google-bert", "nyu-mll", "Org", "a.b", "user_1", "HuggingFaceTB"}
	names      = []string{"bert-base-uncased", "glue", "gpt2", "repo.v2", "x", "t5-small", "SmolLM2-135M", "fleurs"}
	paths      = []string{
		"config.json", "README.md", ".gitattributes", "model.safetensors", "tokenizer.json",
		"sub/a.txt", "sub/dir/b.bin", "data/train/part-0.parquet", "data/test/part-0.parquet", "sub/dir/deep/c.md",
	}
)

func (g *gen) repo() Repo {
	var r Repo
	switch x := g.rng.IntN(20); {
	case x < 10:
		r.Type = "model"
	case x < 15:
		r.Type = "dataset"
	case x < 18:
		r.Type = "space"
	default:
		r.Type = "kernel"
	}
	r.ID = g.pick(names)
	if g.chance(0.75) {
		r.ID = g.pick(namespaces) + "/" + r.ID
	}
	if g.chance(0.5) {
		r.ID += fmt.Sprintf("-%d", g.rng.IntN(100))
	}

	// mode: 0 symlinks, 1 copies, 2 mixed
	mode := 0
	switch x := g.rng.IntN(20); {
	case x < 4:
		mode = 1
	case x < 9:
		mode = 2
	}
	shareable := g.opts.Store && r.Type != "kernel" // the store only takes models, datasets, spaces

	// Contents used in this repo, so revisions share blobs; each content has
	// one blob time in the repo.
	type blob struct {
		data          []byte
		size          int64
		lfs, sharedOK bool
		time          Time
	}
	var pool []*blob
	newBlob := func() *blob {
		b := &blob{lfs: g.chance(0.3), time: g.blobTime()}
		if g.opts.Sparse && mode != 1 && g.chance(0.05) {
			b.size = SparseSizes[g.rng.IntN(len(SparseSizes))]
			b.lfs = true
		} else if !g.chance(0.05) { // otherwise empty
			b.data = make([]byte, g.rng.IntN(300))
			for i := range b.data {
				b.data[i] = byte('a' + g.rng.IntN(26))
			}
			b.data = append(b.data, fmt.Sprintf(" %x\n", g.rng.Uint64())...)
		}
		b.sharedOK = shareable && b.lfs && g.chance(0.5)
		pool = append(pool, b)
		return b
	}

	nrev := g.rng.IntN(g.opts.MaxRevisions + 1)
	for range nrev {
		rev := Revision{FolderTime: g.folderTime()}
		for {
			if len(g.commits) > 0 && g.chance(0.1) {
				rev.Hash = g.pick(g.commits) // the same commit in two repos
			} else {
				rev.Hash = g.hex(40)
			}
			if !slices.ContainsFunc(r.Revisions, func(x Revision) bool { return x.Hash == rev.Hash }) {
				break
			}
		}
		g.commits = append(g.commits, rev.Hash)
		nfiles := 0
		if !g.chance(0.1) { // else an empty revision
			nfiles = 1 + g.rng.IntN(5)
		}
		perm := g.rng.Perm(len(paths))[:nfiles]
		var inRev []*blob
		for _, pi := range perm {
			var b *blob
			switch {
			case len(inRev) > 0 && g.chance(0.15):
				b = inRev[g.rng.IntN(len(inRev))] // two entries, one blob
			case len(pool) > 0 && g.chance(0.5):
				b = pool[g.rng.IntN(len(pool))] // same content as another revision
			default:
				b = newBlob()
			}
			inRev = append(inRev, b)
			f := File{Path: paths[pi], Content: b.data, Size: b.size, Sparse: b.size != 0, LFS: b.lfs, Time: b.time}
			if mode == 1 || (mode == 2 && b.size == 0 && g.chance(0.4)) {
				f.Copy, f.Shared = true, false
				f.Time = g.blobTime() // a copy is its own blob
			} else if b.sharedOK {
				f.Shared = true
				key := string(b.data) + fmt.Sprint(b.size)
				if t, ok := g.shared[key]; ok {
					f.Time = t
				} else {
					g.shared[key] = f.Time
				}
			}
			rev.Files = append(rev.Files, f)
		}
		r.Revisions = append(r.Revisions, rev)
	}

	if nrev > 0 && g.chance(0.85) {
		r.Refs = map[string]string{"main": r.Revisions[nrev-1].Hash}
		if g.chance(0.3) {
			r.Refs["v1.0"] = r.Revisions[g.rng.IntN(nrev)].Hash
		}
		if g.chance(0.3) {
			r.Refs[fmt.Sprintf("refs/pr/%d", 1+g.rng.IntN(20))] = r.Revisions[g.rng.IntN(nrev)].Hash
		}
	}
	if g.chance(0.15) {
		commit := g.hex(40)
		if nrev > 0 {
			commit = r.Revisions[g.rng.IntN(nrev)].Hash
		}
		r.NoExist = map[string][]string{commit: {"missing.txt"}}
		if g.chance(0.5) {
			r.NoExist[commit] = append(r.NoExist[commit], "sub/adapter_config.json")
		}
	}
	for _, rev := range r.Revisions {
		if g.chance(0.2) {
			r.Trees = append(r.Trees, rev.Hash)
		}
	}
	if g.chance(0.1) {
		r.Incomplete = append(r.Incomplete, Incomplete{
			Name: g.hex(64) + "." + g.hex(8) + ".incomplete",
			Size: g.rng.Int64N(5000),
			Time: g.blobTime(),
		})
	}
	if g.chance(0.1) {
		r.OrphanBlobs = append(r.OrphanBlobs, Blob{
			Content: []byte(fmt.Sprintf("orphan %x\n", g.rng.Uint64())),
			LFS:     g.chance(0.5),
			Time:    g.blobTime(),
		})
	}
	r.FolderTime = g.folderTime()
	return r
}
