package query_test

import (
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/hfidx/hfidx/cache"
	"github.com/hfidx/hfidx/cache/cachetest"
	"github.com/hfidx/hfidx/index"
	"github.com/hfidx/hfidx/internal/flock"
	"github.com/hfidx/hfidx/query"
	"github.com/hfidx/hfidx/schema"
)

// build writes a cache from a text spec and returns its resolved root.
func build(t *testing.T, spec string) string {
	t.Helper()
	c, err := cachetest.Parse(spec)
	if err != nil {
		t.Fatal(err)
	}
	root := filepath.Join(t.TempDir(), "hub")
	cachetest.Build(t, root, c)
	root, _ = filepath.EvalSymlinks(root)
	return root
}

// execute runs a plan as `hfidx delete` does and returns the result and
// the bytes measured freed.
func execute(t *testing.T, root string, p *query.Plan, wait bool) (cache.DeleteResult, int64) {
	t.Helper()
	d := &cache.Deletion{Root: root, Repos: p.Repos, Snapshots: p.Snapshots, Refs: p.Refs, Blobs: p.Blobs,
		Files: p.Files, Payloads: p.Payloads, Wait: wait}
	res, err := d.Execute()
	if err != nil {
		t.Fatalf("Execute: %v", err)
	}
	var freed int64
	for _, r := range res.Removed {
		freed += r.Size
		if r.Kind == "repo" {
			freed += p.Sizes[r.Path]
		}
	}
	for _, cp := range p.Copies {
		for _, s := range p.Snapshots {
			if strings.HasPrefix(cp, s+"/") {
				freed += p.Sizes[cp]
			}
		}
	}
	return res, freed
}

// deleteAndCheck plans targets, executes the plan, and checks that what
// was freed is what was planned and that nothing whole broke.
func deleteAndCheck(t *testing.T, root string, targets ...string) (*query.Plan, cache.DeleteResult) {
	t.Helper()
	before := breakage(t, root)
	p := plan(t, root, targets...)
	res, freed := execute(t, root, p, false)
	if freed != p.ExpectedFreedSize {
		t.Errorf("delete %v: freed %d, planned %d (result %+v)", targets, freed, p.ExpectedFreedSize, res)
	}
	checkConsistent(t, root, before)
	return p, res
}

func exists(p string) bool { _, err := os.Lstat(p); return err == nil }

func payloadPaths(t *testing.T, root string) []string {
	t.Helper()
	var out []string
	ms, _ := filepath.Glob(filepath.Join(root, "blobs", "*", "*"))
	for _, m := range ms {
		if b := filepath.Base(m); len(b) == 64 {
			out = append(out, m)
		}
	}
	sort.Strings(out)
	return out
}

// payloadOf returns the payload the repo entry linking <file> in the
// first snapshot of folder leads to.
func payloadOf(t *testing.T, root, folder, file string) string {
	t.Helper()
	snaps, _ := filepath.Glob(filepath.Join(root, folder, "snapshots", "*", file))
	if len(snaps) == 0 {
		t.Fatalf("no %s in %s", file, folder)
	}
	entry := filepath.Join(filepath.Dir(snaps[0]), mustReadlink(t, snaps[0]))
	return filepath.Clean(filepath.Join(filepath.Dir(entry), mustReadlink(t, entry)))
}

func mustReadlink(t *testing.T, p string) string {
	t.Helper()
	s, err := os.Readlink(p)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// The Rust port's base fixture (shared-blobs.md §8): a 10-byte payload
// shared by repos A (c0, c1) and B (c2), a 7-byte one only A's c1 uses,
// and a 3-byte orphan with an empty manifest.
const storeSpec = `
store
payload "abc"
repo model o/a
rev c000000000000000000000000000000000000000
shared x.bin "0123456789"
rev c100000000000000000000000000000000000000
shared x.bin "0123456789"
shared y.bin "abcdefg"
ref main c000000000000000000000000000000000000000
ref v1 c100000000000000000000000000000000000000
repo model o/b
rev c200000000000000000000000000000000000000
shared x.bin "0123456789"
ref main c200000000000000000000000000000000000000
`

func TestStoreSizes(t *testing.T) {
	root := build(t, storeSpec)
	db := syncedDB(t, root)
	var sizes []struct {
		ID   string `db:"cache_id"`
		Size int64  `db:"size_on_disk"`
	}
	if err := db.Select(&sizes, `SELECT cache_id, size_on_disk FROM repo_usage ORDER BY cache_id`); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(sizes) != "[{model/o/a 17} {model/o/b 10}]" {
		t.Errorf("repo sizes = %v, want A 17 and B 10 (logical, as the library)", sizes)
	}
	var total int64
	if err := db.Get(&total, `SELECT size_on_disk FROM cache_usage`); err != nil {
		t.Fatal(err)
	}
	if total != 20 {
		t.Errorf("cache total = %d, want 20 (each payload once, the orphan included)", total)
	}
}

func TestStoreDeleteRevisionFreesOnlyItsPayload(t *testing.T) {
	root := build(t, storeSpec)
	shared, only := payloadOf(t, root, "models--o--b", "x.bin"), ""
	ys, _ := filepath.Glob(filepath.Join(root, "models--o--a", "snapshots", "c1*", "y.bin"))
	entry := filepath.Join(filepath.Dir(ys[0]), mustReadlink(t, ys[0]))
	only = filepath.Clean(filepath.Join(filepath.Dir(entry), mustReadlink(t, entry)))

	p, _ := deleteAndCheck(t, root, "model/o/a@c100000000000000000000000000000000000000")
	if p.ExpectedFreedSize != 7 || len(p.Payloads) != 1 || p.Payloads[0] != only {
		t.Errorf("plan frees %d, payloads %v; want 7 and [%s]", p.ExpectedFreedSize, p.Payloads, only)
	}
	for _, b := range p.Blobs {
		if strings.HasPrefix(b, filepath.Join(root, "blobs")+"/") {
			t.Errorf("plan takes the payload %s for a repo blob", b)
		}
	}
	if exists(only) || exists(only+".refs") {
		t.Errorf("A's own payload or its manifest still there")
	}
	if !exists(only + ".lock") {
		t.Errorf("the lock file was removed; it must stay")
	}
	if !exists(shared) {
		t.Errorf("the shared payload went though c0 and B still use it")
	}
}

func TestStoreSharedPayloadGoesWithItsLastReference(t *testing.T) {
	root := build(t, storeSpec)
	shared := payloadOf(t, root, "models--o--b", "x.bin")

	// B alone: its folder goes, the payload stays, the manifest lists A only.
	p, res := deleteAndCheck(t, root, "model/o/b")
	if p.ExpectedFreedSize != 0 || len(p.Payloads) != 0 {
		t.Errorf("delete B plans %d bytes, payloads %v; want 0 and none", p.ExpectedFreedSize, p.Payloads)
	}
	if !exists(shared) {
		t.Fatalf("payload removed while A still links it")
	}
	m, _ := os.ReadFile(shared + ".refs")
	if strings.Contains(string(m), "models--o--b") || !strings.Contains(string(m), "models--o--a/blobs/") {
		t.Errorf("manifest after deleting B = %q, want A's entry only", m)
	}
	if len(res.KeptPayloads) != 1 || !strings.Contains(res.KeptPayloads[0].Reason, "still referenced") {
		t.Errorf("kept payloads = %+v, want the shared one, still referenced", res.KeptPayloads)
	}

	// Then A: the last reference goes, so does the payload (10 + 7 bytes).
	p, _ = deleteAndCheck(t, root, "model/o/a")
	if p.ExpectedFreedSize != 17 || len(p.Payloads) != 2 {
		t.Errorf("delete A plans %d bytes, payloads %v; want 17 and two", p.ExpectedFreedSize, p.Payloads)
	}
	if exists(shared) || exists(shared+".refs") {
		t.Errorf("payload or manifest left after its last reference went")
	}
	if got := payloadPaths(t, root); len(got) != 1 {
		t.Errorf("payloads left = %v, want only the orphan", got)
	}
}

func TestStoreBothReposAtOnce(t *testing.T) {
	root := build(t, storeSpec)
	p, _ := deleteAndCheck(t, root, "model/o/a", "model/o/b")
	if p.ExpectedFreedSize != 17 || p.ExpectedFreedUsage < 2*4096 {
		t.Errorf("plan frees %d bytes, %d allocated; want 17 and two payloads' blocks", p.ExpectedFreedSize, p.ExpectedFreedUsage)
	}
	if got := payloadPaths(t, root); len(got) != 1 {
		t.Errorf("payloads left = %v, want only the orphan", got)
	}
}

func TestStoreManifestMissingKeepsPayload(t *testing.T) {
	root := build(t, storeSpec)
	shared := payloadOf(t, root, "models--o--b", "x.bin")
	if err := os.Remove(shared + ".refs"); err != nil {
		t.Fatal(err)
	}
	p, res := deleteAndCheck(t, root, "model/o/a", "model/o/b")
	if p.ExpectedFreedSize != 7 {
		t.Errorf("plan frees %d, want 7: a payload without a manifest is never swept", p.ExpectedFreedSize)
	}
	if !exists(shared) {
		t.Errorf("payload without a manifest was removed")
	}
	found := false
	for _, k := range res.KeptPayloads {
		found = found || k.Path == shared && strings.Contains(k.Reason, "no manifest")
	}
	if !found {
		t.Errorf("kept payloads = %+v, want %s for its missing manifest", res.KeptPayloads, shared)
	}
}

func TestStoreLiveLinkMissingFromManifest(t *testing.T) {
	root := build(t, storeSpec)
	shared := payloadOf(t, root, "models--o--b", "x.bin")
	// A tool linked B without writing the manifest: only A's lines remain.
	m, _ := os.ReadFile(shared + ".refs")
	var keep []string
	for _, l := range strings.Split(strings.TrimSpace(string(m)), "\n") {
		if !strings.Contains(l, "models--o--b") {
			keep = append(keep, l)
		}
	}
	if err := os.WriteFile(shared+".refs", []byte(strings.Join(keep, "\n")+"\n"), 0o666); err != nil {
		t.Fatal(err)
	}
	deleteAndCheck(t, root, "model/o/a")
	if !exists(shared) {
		t.Fatalf("payload removed while B links it (missing from the manifest)")
	}
	m, _ = os.ReadFile(shared + ".refs")
	if !strings.Contains(string(m), "models--o--b/blobs/") {
		t.Errorf("manifest = %q, want B's live link added", m)
	}
}

func TestStoreHeldLock(t *testing.T) {
	root := build(t, storeSpec)
	shared := payloadOf(t, root, "models--o--b", "x.bin")
	f, err := os.OpenFile(shared+".lock", os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := flock.Lock(f, true); err != nil {
		t.Fatal(err)
	}
	p := plan(t, root, "model/o/a", "model/o/b")
	res, _ := execute(t, root, p, false)
	if !exists(shared) {
		t.Fatalf("payload removed while another process holds its lock")
	}
	found := false
	for _, k := range res.KeptPayloads {
		found = found || k.Path == shared && strings.Contains(k.Reason, "lock held")
	}
	if !found {
		t.Errorf("kept payloads = %+v, want %s skipped for its lock", res.KeptPayloads, shared)
	}

	// With Wait the sweep waits for the lock; a payload swept once the
	// holder lets go. Nothing links it any more, so a new plan sweeps it.
	p = plan(t, root)
	p.Payloads = []string{shared}
	type outcome struct {
		res cache.DeleteResult
		err error
	}
	done := make(chan outcome)
	go func() {
		res, err := (&cache.Deletion{Root: root, Payloads: p.Payloads, Wait: true}).Execute()
		done <- outcome{res, err}
	}()
	flock.Unlock(f)
	o := <-done
	if o.err != nil {
		t.Fatalf("Execute with Wait: %v", o.err)
	}
	res = o.res
	if exists(shared) {
		t.Errorf("payload still there after waiting for the lock: %+v", res)
	}
}

func TestStoreWithoutMarkerIsNotAStore(t *testing.T) {
	root := build(t, strings.Replace(storeSpec, "store\n", "store nomarker\n", 1))
	shared := payloadOf(t, root, "models--o--b", "x.bin")
	p, res := deleteAndCheck(t, root, "model/o/a", "model/o/b")
	// Without a marker the library's plain sum applies (10+7 for A, 10
	// for B) and no payload is planned.
	if len(p.Payloads) != 0 || p.ExpectedFreedSize != 27 {
		t.Errorf("plan of an unmarked store: payloads %v, %d bytes; want none and 27", p.Payloads, p.ExpectedFreedSize)
	}
	if !exists(shared) || !exists(shared+".refs") {
		t.Errorf("a file of an unmarked blobs/ was removed")
	}
	if len(res.KeptPayloads) != 0 {
		t.Errorf("swept without a marker: %+v", res.KeptPayloads)
	}
}

// TestStoreManifestLines: stale, foreign and malformed lines are dropped
// and the payload still goes; a kernel repo's line protects it.
func TestStoreManifestLines(t *testing.T) {
	root := build(t, storeSpec)
	shared := payloadOf(t, root, "models--o--b", "x.bin")
	m, _ := os.ReadFile(shared + ".refs")
	junk := "models--o--gone/blobs/x\n../outside\n/abs/path\nfoo/blobs/x\n"
	if err := os.WriteFile(shared+".refs", append(m, junk...), 0o666); err != nil {
		t.Fatal(err)
	}
	deleteAndCheck(t, root, "model/o/b")
	got, _ := os.ReadFile(shared + ".refs")
	lines := strings.Split(strings.TrimSpace(string(got)), "\n")
	if len(lines) != 1 || !strings.HasPrefix(lines[0], "models--o--a/blobs/") {
		t.Errorf("manifest rewritten to %q, want A's entry only", got)
	}

	// A kernels-- link to the payload, listed in the manifest, keeps it.
	k := filepath.Join(root, "kernels--o--k", "blobs")
	if err := os.MkdirAll(k, 0o755); err != nil {
		t.Fatal(err)
	}
	rel, _ := filepath.Rel(k, shared)
	if err := os.Symlink(rel, filepath.Join(k, "e")); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(shared+".refs", append(got, "kernels--o--k/blobs/e\n"...), 0o666)
	deleteAndCheck(t, root, "model/o/a")
	if !exists(shared) {
		t.Errorf("payload removed while a kernel repo links it")
	}
}

// TestRandomStoreDeletes: random caches with a store; random revisions
// and repos deleted; freed equals planned, nothing whole breaks, no
// payload is ever planned as a repo blob, and no payload a remaining link
// uses disappears.
func TestRandomStoreDeletes(t *testing.T) {
	base := *seedFlag
	if base == 0 {
		base = cachetest.Seed(t)
	}
	for i := 0; i < *casesFlag; i++ {
		seed := base + int64(i)
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			t.Parallel()
			c := cachetest.Random(seed, cachetest.RandomOptions{Store: true, Corrupt: i%4 == 0})
			root := filepath.Join(t.TempDir(), "hub")
			cachetest.Build(t, root, c)
			root, _ = filepath.EvalSymlinks(root)
			dbPath := filepath.Join(t.TempDir(), "index.db")
			if _, err := index.Sync(root, dbPath, index.Options{}); err != nil {
				t.Fatal(err)
			}
			db, err := schema.OpenReadOnly(dbPath)
			if err != nil {
				t.Fatal(err)
			}
			var revs []struct {
				query.RevisionKey
				Excl int64 `db:"exclusive_size"`
			}
			if err := db.Select(&revs, `SELECT r.folder AS folder, u.commit_hash AS hash, u.exclusive_size
				FROM revision_usage u JOIN repos r ON r.id = u.repo`); err != nil {
				t.Fatal(err)
			}
			rng := rand.New(rand.NewSource(seed))
			sel := query.NewSelection()
			for _, k := range revs {
				one := query.NewSelection()
				one.Revisions[k.RevisionKey] = true
				p, err := query.MakePlan(db, one)
				if err != nil {
					t.Fatal(err)
				}
				if p.ExpectedFreedSize != k.Excl {
					t.Errorf("seed %d: %s@%s exclusive_size %d, plan frees %d", seed, k.Folder, k.Hash, k.Excl, p.ExpectedFreedSize)
				}
				if rng.Intn(3) == 0 {
					sel.Revisions[k.RevisionKey] = true
				}
			}
			p, err := query.MakePlan(db, sel)
			db.Close()
			if err != nil {
				t.Fatal(err)
			}
			store := filepath.Join(root, "blobs") + "/"
			for _, b := range append(append([]string{}, p.Blobs...), p.Repos...) {
				if strings.HasPrefix(b, store) {
					t.Fatalf("seed %d: payload %s planned as a repo path", seed, b)
				}
			}
			before := breakage(t, root)
			res, freed := execute(t, root, p, false)
			if freed != p.ExpectedFreedSize || len(res.Missing)+len(res.Kept) > 0 {
				t.Errorf("seed %d: freed %d, planned %d; missing %v kept %v payloads kept %v", seed, freed, p.ExpectedFreedSize,
					res.Missing, res.Kept, res.KeptPayloads)
			}
			checkConsistent(t, root, before)
		})
	}
}
