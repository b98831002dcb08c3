//go:build linux

package cache

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hfidx/hfidx/cache/cachetest"
)

// raceRepo is the repo folder the race kinds delete from.
const raceRepo = "models--org--name"

// raceAttempts is how many times a round of the loop racer runs the
// removal at most: again after each error, as a user would.
const raceAttempts = 4

// raceKind is one folder the executor removes from while a racer swaps it.
type raceKind struct {
	name string
	// folder is the folder swapped, relative to the root (slash-separated).
	folder string
	// build writes a fresh cache (or assets cache) at root and returns the
	// removal to run: Execute of a Deletion, or RemoveAssets of a plan.
	build func(t *testing.T, root string) func() error
}

// at returns the absolute path of a slash path relative to root.
func at(root, rel string) string { return filepath.Join(root, filepath.FromSlash(rel)) }

// ats returns the absolute paths of rel, each formatted with 0..n-1.
func ats(root, rel string, n int) []string {
	var out []string
	for i := range n {
		out = append(out, at(root, fmt.Sprintf(rel, i)))
	}
	return out
}

func execute(d *Deletion) func() error {
	return func() error { _, err := d.Execute(); return err }
}

// raceKinds lists every folder kind the executor removes from. Each plan
// names many entries under the swapped folder, so that a removal by path
// through the link has many chances to land.
func raceKinds() []raceKind {
	a := raceRepo
	return []raceKind{
		{"repo blobs", a + "/blobs", func(t *testing.T, root string) func() error {
			e := map[string]string{a + "/refs/main": "file:" + h1, a + "/snapshots/" + h1 + "/keep.txt": "link:../../blobs/keep", a + "/blobs/keep": "file:keep"}
			for i := range 16 {
				e[fmt.Sprintf(a+"/blobs/o%02d", i)] = fmt.Sprintf("file:orphan %d", i)
			}
			for i := range 4 {
				e[fmt.Sprintf(a+"/blobs/x%d.incomplete", i)] = "file:partial"
			}
			tree(t, root, e)
			return execute(&Deletion{Root: root, Blobs: ats(root, a+"/blobs/o%02d", 16), Incomplete: ats(root, a+"/blobs/x%d.incomplete", 4)})
		}},
		{"snapshots", a + "/snapshots", func(t *testing.T, root string) func() error {
			e := map[string]string{a + "/refs/main": "file:" + h1, a + "/snapshots/" + h1 + "/keep.txt": "link:../../blobs/keep", a + "/blobs/keep": "file:keep"}
			var snaps []string
			for i := range 6 {
				c := hexName(i)
				for f := range 3 {
					e[fmt.Sprintf("%s/snapshots/%s/f%d.txt", a, c, f)] = fmt.Sprintf("link:../../blobs/b%d", f)
				}
				e[a+"/snapshots/"+c+"/d/g.txt"] = "link:../../../blobs/b0"
				snaps = append(snaps, at(root, a+"/snapshots/"+c))
			}
			for f := range 3 {
				e[fmt.Sprintf("%s/blobs/b%d", a, f)] = "file:blob"
			}
			tree(t, root, e)
			return execute(&Deletion{Root: root, Snapshots: snaps})
		}},
		{"refs", a + "/refs", func(t *testing.T, root string) func() error {
			e := map[string]string{a + "/snapshots/" + h1 + "/keep.txt": "link:../../blobs/keep", a + "/blobs/keep": "file:keep"}
			for i := range 16 {
				e[fmt.Sprintf(a+"/refs/r%02d", i)] = "file:" + h1
			}
			tree(t, root, e)
			return execute(&Deletion{Root: root, Refs: ats(root, a+"/refs/r%02d", 16)})
		}},
		{"nested refs folder", a + "/refs/refs", func(t *testing.T, root string) func() error {
			e := map[string]string{a + "/refs/main": "file:" + h1, a + "/snapshots/" + h1 + "/keep.txt": "link:../../blobs/keep", a + "/blobs/keep": "file:keep"}
			for i := range 16 {
				e[fmt.Sprintf(a+"/refs/refs/pr/%d", i)] = "file:" + h1
			}
			for i := range 4 {
				e[fmt.Sprintf(a+"/refs/refs/pr/%d.%08x.tmp", i, 0xabcdef00+i)] = "file:" + h1
			}
			tree(t, root, e)
			left := []string{}
			for i := range 4 {
				left = append(left, at(root, fmt.Sprintf(a+"/refs/refs/pr/%d.%08x.tmp", i, 0xabcdef00+i)))
			}
			left = append(left, at(root, a+"/refs/refs/pr"), at(root, a+"/refs/refs"))
			return execute(&Deletion{Root: root, Refs: ats(root, a+"/refs/refs/pr/%d", 16), Leftovers: left})
		}},
		{"revision sub-folder (files)", a + "/snapshots/" + h1 + "/sub", func(t *testing.T, root string) func() error {
			e := map[string]string{a + "/refs/main": "file:" + h1, a + "/blobs/b": "file:blob", a + "/snapshots/" + h1 + "/top.txt": "link:../../blobs/b"}
			for i := range 16 {
				e[fmt.Sprintf(a+"/snapshots/"+h1+"/sub/f%02d", i)] = "link:../../../blobs/b"
			}
			tree(t, root, e)
			return execute(&Deletion{Root: root, Files: ats(root, a+"/snapshots/"+h1+"/sub/f%02d", 16)})
		}},
		{"revision (files)", a + "/snapshots/" + h1, func(t *testing.T, root string) func() error {
			e := map[string]string{a + "/refs/main": "file:" + h1, a + "/blobs/b": "file:blob", a + "/snapshots/" + h1 + "/d/g.txt": "link:../../../blobs/b"}
			for i := range 16 {
				e[fmt.Sprintf(a+"/snapshots/"+h1+"/f%02d", i)] = "link:../../blobs/b"
			}
			tree(t, root, e)
			return execute(&Deletion{Root: root, Files: ats(root, a+"/snapshots/"+h1+"/f%02d", 16)})
		}},
		{"revision (whole)", a + "/snapshots/" + h2, func(t *testing.T, root string) func() error {
			e := map[string]string{a + "/refs/main": "file:" + h1, a + "/blobs/b": "file:blob", a + "/snapshots/" + h1 + "/a.txt": "link:../../blobs/b"}
			for i := range 16 {
				e[fmt.Sprintf(a+"/snapshots/"+h2+"/f%02d", i)] = "link:../../blobs/b"
			}
			tree(t, root, e)
			return execute(&Deletion{Root: root, Snapshots: []string{at(root, a+"/snapshots/"+h2)}})
		}},
		{"repo folder (its entries)", a, func(t *testing.T, root string) func() error {
			e := merge(stdRepo(a), map[string]string{a + "/trees/" + h3 + ".json": "file:{}"})
			for i := range 8 {
				e[fmt.Sprintf(a+"/blobs/o%02d", i)] = "file:orphan"
				e[fmt.Sprintf(a+"/refs/r%02d", i)] = "file:" + h1
			}
			tree(t, root, e)
			d := partial(root, a)
			d.Blobs = append(d.Blobs, ats(root, a+"/blobs/o%02d", 8)...)
			d.Refs = append(d.Refs, ats(root, a+"/refs/r%02d", 8)...)
			d.Leftovers = []string{at(root, a+"/.no_exist/"+h3), at(root, a+"/trees/"+h3+".json")}
			return execute(d)
		}},
		{"repo folder (whole)", a, func(t *testing.T, root string) func() error {
			tree(t, root, merge(stdRepo(a), stdRepo("models--org--keep"), map[string]string{".locks/" + a + "/b1.lock": "file:"}))
			return execute(&Deletion{Root: root, Repos: []string{at(root, a)}})
		}},
		{"store blobs/<xx>", "blobs/aa", buildStoreRace},
		{".locks/<folder>", ".locks/models--org--gone", func(t *testing.T, root string) func() error {
			e := merge(stdRepo(a))
			for i := range 8 {
				e[fmt.Sprintf(".locks/models--org--gone/e%02d.lock", i)] = "file:"
			}
			tree(t, root, e)
			return execute(&Deletion{Root: root, Leftovers: []string{at(root, ".locks/models--org--gone")}})
		}},
		{".locks", ".locks", func(t *testing.T, root string) func() error {
			e := merge(stdRepo(a), map[string]string{".locks/" + a + "/b1.lock": "file:", ".locks/" + a + "/b2.lock": "file:"})
			for i := range 6 {
				for l := range 2 {
					e[fmt.Sprintf(".locks/models--org--gone%d/e%d.lock", i, l)] = "file:"
				}
			}
			tree(t, root, e)
			left := append(ats(root, ".locks/models--org--gone%d", 6), at(root, ".locks/"+a))
			return execute(&Deletion{Root: root, Repos: []string{at(root, a)}, Leftovers: left})
		}},
		{".no_exist", a + "/.no_exist", func(t *testing.T, root string) func() error {
			e := map[string]string{a + "/refs/main": "file:" + h1, a + "/snapshots/" + h1 + "/keep.txt": "link:../../blobs/keep", a + "/blobs/keep": "file:keep"}
			var left []string
			for i := range 8 {
				e[a+"/.no_exist/"+hexName(i)+"/absent.txt"] = "file:"
				e[a+"/.no_exist/"+hexName(i)+"/sub/absent.json"] = "file:"
				left = append(left, at(root, a+"/.no_exist/"+hexName(i)))
			}
			tree(t, root, e)
			return execute(&Deletion{Root: root, Leftovers: left})
		}},
		{"trees", a + "/trees", func(t *testing.T, root string) func() error {
			e := map[string]string{a + "/refs/main": "file:" + h1, a + "/snapshots/" + h1 + "/keep.txt": "link:../../blobs/keep", a + "/blobs/keep": "file:keep"}
			var left []string
			for i := range 12 {
				e[a+"/trees/"+hexName(i)+".json"] = "file:{}"
				left = append(left, at(root, a+"/trees/"+hexName(i)+".json"))
			}
			tree(t, root, e)
			return execute(&Deletion{Root: root, Leftovers: left})
		}},
		{"assets <library>", "LIB", func(t *testing.T, root string) func() error {
			e := map[string]string{"OTHER/ns/sub/f": "file:other"}
			var targets []AssetTarget
			for i := range 8 {
				ns := fmt.Sprintf("NS%02d", i)
				e["LIB/"+ns+"/sub/f"] = "file:asset"
				e["LIB/"+ns+"/sub2/g"] = "file:asset"
				targets = append(targets, AssetTarget{Library: "LIB", Namespace: ns})
			}
			tree(t, root, e)
			p := PlanAssets(root, mustScan(t, root), targets)
			return func() error { _, err := p.RemoveAssets(); return err }
		}},
		{"assets <library>/<namespace>", "LIB/NS", func(t *testing.T, root string) func() error {
			e := map[string]string{"LIB/KEEP/sub/f": "file:other"}
			var targets []AssetTarget
			for i := range 8 {
				sub := fmt.Sprintf("SUB%02d", i)
				e["LIB/NS/"+sub+"/f"] = "file:asset"
				e["LIB/NS/"+sub+"/d/g"] = "file:asset"
				targets = append(targets, AssetTarget{Library: "LIB", Namespace: "NS", Subfolder: sub})
			}
			tree(t, root, e)
			p := PlanAssets(root, mustScan(t, root), targets)
			return func() error { _, err := p.RemoveAssets(); return err }
		}},
	}
}

// buildStoreRace writes a marked shared store whose prefix folder blobs/aa
// holds 12 payloads, each linked by an entry of raceRepo (deleted whole)
// and every third one also by models--org--keep, whose manifest line the
// sweep keeps and so rewrites the manifest. Every fourth payload has lost
// its .lock file, which the sweep creates.
func buildStoreRace(t *testing.T, root string) func() error {
	c := cachetest.Cache{Store: &cachetest.Store{}}
	for i := range 12 {
		hash := fmt.Sprintf("aa%062x", i)
		e := fmt.Sprintf("e%02d", i)
		target := "../../blobs/aa/" + hash
		refs := []string{raceRepo + "/blobs/" + e}
		c.Extra = append(c.Extra, cachetest.Entry{Path: raceRepo + "/blobs/" + e, Kind: cachetest.EntrySymlink, Target: target})
		if i%3 == 0 {
			refs = append(refs, "models--org--keep/blobs/"+e)
			c.Extra = append(c.Extra, cachetest.Entry{Path: "models--org--keep/blobs/" + e, Kind: cachetest.EntrySymlink, Target: target})
		}
		c.Store.Payloads = append(c.Store.Payloads, cachetest.Payload{Hash: hash, Content: []byte("payload " + e), Refs: refs})
	}
	c.Extra = append(c.Extra,
		cachetest.Entry{Path: raceRepo + "/snapshots/" + h1 + "/f", Kind: cachetest.EntrySymlink, Target: "../../blobs/e00"},
		cachetest.Entry{Path: "models--org--keep/snapshots/" + h1 + "/f", Kind: cachetest.EntrySymlink, Target: "../../blobs/e00"})
	cachetest.Build(t, root, c)
	for i := 1; i < 12; i += 4 {
		if err := os.Remove(at(root, fmt.Sprintf("blobs/aa/aa%062x.lock", i))); err != nil {
			t.Fatal(err)
		}
	}
	return execute(&Deletion{Root: root, Repos: []string{at(root, raceRepo)}})
}

// TestRaceSwappedFolder attacks the executor (Deletion.Execute, with the
// shared-store sweep and the .locks handling, and AssetPlan.RemoveAssets)
// with a second writer that swaps a folder it removes from for a symlink to
// a directory outside the cache, with renameat2(RENAME_EXCHANGE), while it
// runs. The symlink lies beside the folder and leads to a copy of it (the
// same names: blobs, snapshots, refs, files, .lock and .refs files), so an
// executor that checks a folder and then removes by path deletes the copy.
// Each folder kind the executor removes from is attacked in rounds, on a
// fresh cache each: by a racer exchanging the two in a loop (a run it makes
// fail is run again, up to raceAttempts runs, as a user would), and by a
// slow attacker exchanging them once, 0–2 ms after the start. Any entry of the
// outside tree removed, created or changed (content, size, mode, times,
// link target) fails the test; an error from the executor is expected and
// only counted. HFIDX_RACE_ROUNDS sets the rounds per kind and attacker,
// HFIDX_RACE_SEED replays the slow attacker's delays.
func TestRaceSwappedFolder(t *testing.T) {
	rounds := raceRounds(t)
	seed := time.Now().UnixNano()
	if s := os.Getenv("HFIDX_RACE_SEED"); s != "" {
		var err error
		if seed, err = strconv.ParseInt(s, 10, 64); err != nil {
			t.Fatalf("HFIDX_RACE_SEED=%q: %v", s, err)
		}
	}
	t.Logf("seed %d (HFIDX_RACE_SEED to replay), %d rounds per kind (HFIDX_RACE_ROUNDS)", seed, rounds)
	rng := rand.New(rand.NewPCG(uint64(seed), 0))
	for _, attacker := range []struct {
		name string
		once bool
	}{{"loop", false}, {"slow", true}} {
		t.Run(attacker.name, func(t *testing.T) {
			for _, k := range raceKinds() {
				t.Run(k.name, func(t *testing.T) {
					var tally raceTally
					base := newRoot(t)
					for i := range rounds {
						raceRound(t, k, filepath.Join(base, strconv.Itoa(i)), attacker.once, rng, &tally)
					}
					t.Logf("%s", tally.String())
					for _, e := range sortedKeys(tally.errorSamples) {
						t.Logf("error ×%d: %s", tally.errorSamples[e], e)
					}
					if tally.escapes > 0 {
						t.Errorf("%d of %d rounds changed the tree outside the cache (%d entries removed, %d created, %d changed), first:\n%s",
							tally.escapes, tally.rounds, tally.removed, tally.created, tally.changed, strings.Join(tally.examples, "\n"))
					}
				})
			}
		})
	}
}

// raceRound runs one round of kind k in dir: the cache at dir/hub, the
// copy of the swapped folder at dir/outside/decoy.
func raceRound(t *testing.T, k raceKind, dir string, once bool, rng *rand.Rand, tally *raceTally) {
	t.Helper()
	root := filepath.Join(dir, "hub")
	run := k.build(t, root)
	folder := at(root, k.folder)
	outside := filepath.Join(dir, "outside")
	decoy := filepath.Join(outside, "decoy")
	if err := os.Mkdir(outside, 0o755); err != nil {
		t.Fatal(err)
	}
	copyTree(t, folder, decoy)
	if err := os.WriteFile(filepath.Join(outside, "canary"), []byte("canary"), 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(filepath.Dir(folder), ".race-"+filepath.Base(folder))
	if err := os.Symlink(decoy, link); err != nil {
		t.Fatal(err)
	}
	before := exactState(t, outside)

	// The loop racer meets the retries too.
	runs := raceAttempts
	if once {
		runs = 1
	}
	r := startRacer(folder, link, once, rng)
	var errs []error
	for range runs {
		panicked, err := safely(run)
		if panicked != nil {
			t.Errorf("%s panicked: %v", k.name, panicked)
		}
		if err == nil {
			break
		}
		errs = append(errs, err)
	}
	swaps := r.halt()
	tally.add(dir, diffExact(before, exactState(t, outside)), errs, swaps)
	if err := os.RemoveAll(dir); err != nil {
		t.Fatalf("clean up round: %v", err)
	}
}

// escapeEnv is one row's trees: a cache at root and an exact copy at out
// (outside, so that a path escaping the cache finds the same names), an
// assets cache at assets and its copy at outAssets, and links: hop leads to
// a folder beside out (so hop/../hub is out), rootLink to out,
// assetsLink to outAssets, and assets/LINK to a folder in outAssets (so
// assets/LINK/../LIB is outAssets/LIB).
type escapeEnv struct {
	dir, root, out, assets, outAssets string
	hop, rootLink, assetsLink         string
}

func newEscapeEnv(t *testing.T) *escapeEnv {
	dir := newRoot(t)
	e := &escapeEnv{dir: dir, root: filepath.Join(dir, "hub"), out: filepath.Join(dir, "out", "hub"),
		assets: filepath.Join(dir, "assets"), outAssets: filepath.Join(dir, "out", "assets", "a"),
		hop: filepath.Join(dir, "hop"), rootLink: filepath.Join(dir, "hub-link"), assetsLink: filepath.Join(dir, "assets-link")}
	const a = raceRepo
	cache := merge(stdRepo(a), map[string]string{
		"models--org--..x/refs/main":              "file:" + h1,
		"models--org--..x/snapshots/" + h1 + "/f": "link:../../blobs/b",
		"models--org--..x/blobs/b":                "file:b",
		a + "/blobs/x.incomplete":                 "file:partial",
		a + "/trees/" + h3 + ".json":              "file:{}",
		a + "/refs/..x":                           "file:" + h1,
		a + "/refs/...":                           "file:" + h1,
		a + "/snapshots/" + h1 + "/..x":           "link:../../blobs/b1",
		a + "/snapshots/" + h1 + "/..y/f":         "link:../../../blobs/b1",
		".locks/models--org--gone/e.lock":         "file:",
		"blobs/.huggingface-shared-blobs":         "file:1\n",
		"blobs/aa/" + hashA:                       "file:payload",
		"blobs/aa/" + hashA + ".refs":             "file:models--org--gone/blobs/e\n",
		"blobs/aa/" + hashA + ".lock":             "file:",
	})
	tree(t, e.root, cache)
	tree(t, e.out, cache)
	assets := map[string]string{"LIB/NS/SUB/f": "file:asset", "LIB2/NS/SUB/f": "file:asset", "..x/NS/SUB/f": "file:asset"}
	tree(t, e.assets, assets)
	tree(t, e.outAssets, assets)
	tree(t, dir, map[string]string{
		"out/deep/":          "dir:",
		"out/assets/a/deep/": "dir:",
		"hop":                "link:" + filepath.Join(dir, "out", "deep"),
		"hub-link":           "link:" + e.out,
		"assets-link":        "link:" + e.outAssets,
		"assets/LINK":        "link:" + filepath.Join(e.outAssets, "deep"),
		"hub-link2":          "link:" + e.root,
	})
	return e
}

// TestEscapeLexicalPath: planned paths that leave the cache by their
// spelling (a ".." component, a path outside the root or beside it with the
// root as a prefix, an unclean path, a root spelled through a link or not
// clean) are refused with a *PathError before anything is removed, for
// every kind of a Deletion, the shared-store payloads and the .locks
// leftovers included; an AssetPlan path of that kind makes RemoveAssets
// fail (with any error) having removed nothing. A name that only starts
// with ".." (such as "..x" or "...") is an ordinary name inside the cache
// and is removed. A root (or assets dir) that is itself a symlink makes the
// removal fail with any error. In every row the copy of the cache outside
// it, which holds the same names, is untouched.
func TestEscapeLexicalPath(t *testing.T) {
	const a = raceRepo
	type row struct {
		name string
		want string // "refuse", "remove" (gone is removed, nil error) or "fail" (any error)
		// plan returns the Deletion or the AssetPlan run.
		plan func(e *escapeEnv) (*Deletion, *AssetPlan)
		gone func(e *escapeEnv) string
	}
	set := func(d *Deletion, kind, p string) *Deletion {
		switch kind {
		case "file":
			d.Files = append(d.Files, p)
		case "incomplete":
			d.Incomplete = append(d.Incomplete, p)
		case "leftover":
			d.Leftovers = append(d.Leftovers, p)
		case "payload":
			d.Payloads = append(d.Payloads, p)
		case "ref":
			d.Refs = append(d.Refs, p)
		case "snapshot":
			d.Snapshots = append(d.Snapshots, p)
		case "repo":
			d.Repos = append(d.Repos, p)
		}
		return d
	}
	var rows []row
	// Every kind the existing refusal test does not cover, each spelled
	// out of the cache in every way; a valid path comes first, so that a
	// lazy check would remove it before reaching the bad one.
	for _, k := range []struct{ kind, rel string }{
		{"file", a + "/snapshots/" + h1 + "/one.txt"},
		{"file", a + "/snapshots/" + h2 + "/d/two.txt"},
		{"incomplete", a + "/blobs/x.incomplete"},
		{"leftover", a + "/.no_exist/" + h3},
		{"leftover", a + "/trees/" + h3 + ".json"},
		{"leftover", ".locks/models--org--gone"},
		{"payload", "blobs/aa/" + hashA},
	} {
		first, rest, _ := strings.Cut(k.rel, "/")
		for _, sp := range []struct {
			name  string
			spell func(e *escapeEnv) string
		}{
			{"outside", func(e *escapeEnv) string { return filepath.Join(e.out, k.rel) }},
			{"dotdot escaping", func(e *escapeEnv) string { return e.root + "/../out/hub/" + k.rel }},
			{"dotdot through a link", func(e *escapeEnv) string { return e.hop + "/../hub/" + k.rel }},
			{"dotdot inside", func(e *escapeEnv) string { return e.root + "/" + first + "/../" + k.rel }},
			{"dot inside", func(e *escapeEnv) string { return e.root + "/" + first + "/./" + rest }},
			{"double slash", func(e *escapeEnv) string { return e.root + "//" + k.rel }},
			{"trailing slash", func(e *escapeEnv) string { return e.root + "/" + k.rel + "/" }},
			{"root as a prefix", func(e *escapeEnv) string { return e.root + "-x/" + k.rel }},
			{"via a link to the root", func(e *escapeEnv) string { return filepath.Join(e.dir, "hub-link2", k.rel) }},
			{"relative", func(e *escapeEnv) string { return k.rel }},
		} {
			rows = append(rows, row{name: k.kind + " " + k.rel + ": " + sp.name, want: "refuse",
				plan: func(e *escapeEnv) (*Deletion, *AssetPlan) {
					d := &Deletion{Root: e.root, Snapshots: []string{at(e.root, a+"/snapshots/"+h3)}}
					return set(d, k.kind, sp.spell(e)), nil
				}})
		}
	}
	// Names that only start with "..": inside, removed.
	for _, k := range []struct{ kind, rel string }{
		{"ref", a + "/refs/..x"},
		{"ref", a + "/refs/..."},
		{"file", a + "/snapshots/" + h1 + "/..x"},
		{"file", a + "/snapshots/" + h1 + "/..y/f"},
		{"repo", "models--org--..x"},
	} {
		rows = append(rows, row{name: k.kind + " named " + k.rel, want: "remove",
			plan: func(e *escapeEnv) (*Deletion, *AssetPlan) {
				return set(&Deletion{Root: e.root}, k.kind, at(e.root, k.rel)), nil
			},
			gone: func(e *escapeEnv) string { return at(e.root, k.rel) }})
	}
	snap := a + "/snapshots/" + h2
	rows = append(rows,
		row{name: "root not clean, through a link", want: "refuse", plan: func(e *escapeEnv) (*Deletion, *AssetPlan) {
			return &Deletion{Root: e.hop + "/../hub", Snapshots: []string{at(e.root, snap)}}, nil
		}},
		row{name: "root with a trailing slash", want: "refuse", plan: func(e *escapeEnv) (*Deletion, *AssetPlan) {
			return &Deletion{Root: e.root + "/", Snapshots: []string{at(e.root, snap)}}, nil
		}},
		row{name: "root empty", want: "refuse", plan: func(e *escapeEnv) (*Deletion, *AssetPlan) {
			return &Deletion{Root: "", Snapshots: []string{at(e.root, snap)}}, nil
		}},
		row{name: "root relative", want: "refuse", plan: func(e *escapeEnv) (*Deletion, *AssetPlan) {
			return &Deletion{Root: "hub", Snapshots: []string{at(e.root, snap)}}, nil
		}},
		row{name: "root a symlink, path spelled through its target", want: "refuse", plan: func(e *escapeEnv) (*Deletion, *AssetPlan) {
			return &Deletion{Root: e.rootLink, Snapshots: []string{at(e.out, snap)}}, nil
		}},
		row{name: "root a symlink", want: "fail", plan: func(e *escapeEnv) (*Deletion, *AssetPlan) {
			return &Deletion{Root: e.rootLink, Snapshots: []string{at(e.rootLink, snap)}, Leftovers: []string{at(e.rootLink, ".locks/models--org--gone")},
				Payloads: []string{at(e.rootLink, "blobs/aa/"+hashA)}}, nil
		}},
		row{name: "assets: dotdot after a link", want: "fail", plan: func(e *escapeEnv) (*Deletion, *AssetPlan) {
			return nil, &AssetPlan{Dir: e.assets, Paths: []string{e.assets + "/LINK/../LIB"}}
		}},
		row{name: "assets: dotdot inside", want: "fail", plan: func(e *escapeEnv) (*Deletion, *AssetPlan) {
			return nil, &AssetPlan{Dir: e.assets, Paths: []string{e.assets + "/LIB2/../LIB"}}
		}},
		row{name: "assets: dotdot escaping", want: "fail", plan: func(e *escapeEnv) (*Deletion, *AssetPlan) {
			return nil, &AssetPlan{Dir: e.assets, Paths: []string{e.assets + "/../out/assets/a/LIB"}}
		}},
		row{name: "assets: outside", want: "fail", plan: func(e *escapeEnv) (*Deletion, *AssetPlan) {
			return nil, &AssetPlan{Dir: e.assets, Paths: []string{filepath.Join(e.outAssets, "LIB")}}
		}},
		row{name: "assets: dir as a prefix", want: "fail", plan: func(e *escapeEnv) (*Deletion, *AssetPlan) {
			return nil, &AssetPlan{Dir: e.assets, Paths: []string{e.assets + "-link/LIB"}}
		}},
		row{name: "assets: dir a symlink", want: "fail", plan: func(e *escapeEnv) (*Deletion, *AssetPlan) {
			return nil, &AssetPlan{Dir: e.assetsLink, Paths: []string{filepath.Join(e.assetsLink, "LIB")}}
		}},
		row{name: "assets: library named ..x", want: "remove", plan: func(e *escapeEnv) (*Deletion, *AssetPlan) {
			return nil, PlanAssets(e.assets, mustScan(t, e.assets), []AssetTarget{{Library: "..x"}})
		}, gone: func(e *escapeEnv) string { return filepath.Join(e.assets, "..x") }},
	)
	// A refused plan changes nothing (each row checks it), so those rows
	// share one set of trees.
	shared := newEscapeEnv(t)
	for _, tc := range rows {
		t.Run(tc.name, func(t *testing.T) {
			e := shared
			if tc.want != "refuse" {
				e = newEscapeEnv(t)
			}
			outBefore := exactState(t, filepath.Join(e.dir, "out"))
			cacheBefore, assetsBefore := treeState(t, e.root), treeState(t, e.assets)
			d, ap := tc.plan(e)
			var err error
			var removed []string
			var panicked any
			if d != nil {
				var res DeleteResult
				panicked, err = safely(func() error { var err error; res, err = d.Execute(); return err })
				removed = paths(res.Removed)
			} else {
				panicked, err = safely(func() error { var err error; removed, err = ap.RemoveAssets(); return err })
			}
			if panicked != nil {
				t.Fatalf("panicked: %v", panicked)
			}
			t.Logf("error: %v; removed %d", err, len(removed))
			if diff := diffExact(outBefore, exactState(t, filepath.Join(e.dir, "out"))); !diff.none() {
				t.Errorf("the tree outside the cache changed (%d removed, %d created, %d changed):\n%s",
					diff.removed, diff.created, diff.changed, strings.Join(diff.lines, "\n"))
			}
			switch tc.want {
			case "refuse":
				var pe *PathError
				if !errors.As(err, &pe) {
					t.Errorf("error %v, want a *PathError", err)
				}
				fallthrough
			case "fail":
				if err == nil {
					t.Errorf("no error (removed %v), want the plan refused", removed)
				}
				if len(removed) != 0 {
					t.Errorf("removed %v before failing", removed)
				}
				if tc.want == "refuse" || d == nil {
					sameState(t, "the cache", cacheBefore, treeState(t, e.root))
					sameState(t, "the assets cache", assetsBefore, treeState(t, e.assets))
				}
			case "remove":
				if err != nil {
					t.Errorf("error %v, want %s removed", err, tc.gone(e))
				}
				if _, err := os.Lstat(tc.gone(e)); !errors.Is(err, os.ErrNotExist) {
					t.Errorf("%s still there (%v), want it removed", tc.gone(e), err)
				}
			}
		})
	}
}

// sortedKeys is for stable logs.
func sortedKeys(m map[string]int) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
