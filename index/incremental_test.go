package index

import (
	"flag"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/hfidx/hfidx/bench/synth"
	"github.com/hfidx/hfidx/cache"
	"github.com/hfidx/hfidx/cache/cachetest"
	"github.com/hfidx/hfidx/schema"
)

var (
	incSeed  = flag.Int64("inc-seed", 0, "seed of TestIncrementalEqualsFull (0: from the clock)")
	incCases = flag.Int("inc-cases", 24, "caches TestIncrementalEqualsFull mutates")
)

// racy is the racy window of these tests: longer than the timestamp
// granularity of the file systems tests run on, short enough to wait out.
const racy = 30 * time.Millisecond

// dumpQueries render every table that holds facts of the cache, with
// foreign keys replaced by natural keys and without row ids, so that two
// indexes of the same cache dump the same text whatever order rows were
// written in. Sync bookkeeping (sync_state, meta times) is left out.
var dumpQueries = []string{
	`SELECT 'repo', folder, path, repo_type, repo_id, cache_id, link_target, damaged, atime, mtime, mtime_ns, ctime_ns FROM repos`,
	`SELECT 'revision', r.folder, v.commit_hash, v.snapshot_path, v.link_target, v.mtime
		FROM revisions v JOIN repos r ON r.id = v.repo`,
	`SELECT 'ref', r.folder, f.name, f.path, f.commit_hash, v.commit_hash
		FROM refs f JOIN repos r ON r.id = f.repo LEFT JOIN revisions v ON v.id = f.revision`,
	`SELECT 'blob', b.path, r.folder, b.kind, b.missing, b.size, b.usage, b.atime, b.mtime, b.dev, b.ino, b.nlink, p.hash
		FROM blobs b LEFT JOIN repos r ON r.id = b.repo LEFT JOIN payloads p ON p.id = b.payload`,
	`SELECT 'file', r.folder, v.commit_hash, f.rel_path, f.file_name, f.file_path, f.kind, f.link_target, b.path
		FROM files f JOIN revisions v ON v.id = f.revision JOIN repos r ON r.id = v.repo LEFT JOIN blobs b ON b.id = f.blob`,
	`SELECT 'payload', hash, path, size, usage, atime, mtime, manifest FROM payloads`,
	`SELECT 'incomplete', i.path, i.entry, r.folder, i.size, i.mtime FROM incomplete_files i LEFT JOIN repos r ON r.id = i.repo`,
	`SELECT 'warning', w.entry, r.folder, w.path, w.message, w.damaging FROM warnings w LEFT JOIN repos r ON r.id = w.repo`,
	`SELECT 'no_exist', r.folder, n.commit_hash, n.rel_path, n.path FROM no_exist n JOIN repos r ON r.id = n.repo`,
	`SELECT 'meta', key, value FROM meta WHERE key IN ('cache_dir', 'store')`,
	`SELECT 'verified', dev, ino, size, mtime_ns, algo, digest FROM verified`,
}

// dump returns the facts of the index at path, one sorted line per row.
func dump(t *testing.T, path string) []string {
	t.Helper()
	db, err := schema.OpenReadOnly(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var lines []string
	for _, q := range dumpQueries {
		rows, err := db.Queryx(q)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		for rows.Next() {
			vals, err := rows.SliceScan()
			if err != nil {
				t.Fatal(err)
			}
			parts := make([]string, len(vals))
			for i, v := range vals {
				if b, ok := v.([]byte); ok {
					v = string(b)
				}
				parts[i] = fmt.Sprint(v)
			}
			lines = append(lines, strings.Join(parts, " | "))
		}
		rows.Close()
	}
	slices.Sort(lines)
	return lines
}

// diffLines reports the lines only in a and only in b.
func diffLines(a, b []string) string {
	var out []string
	for _, l := range a {
		if !slices.Contains(b, l) {
			out = append(out, "- "+l)
		}
	}
	for _, l := range b {
		if !slices.Contains(a, l) {
			out = append(out, "+ "+l)
		}
	}
	return strings.Join(out, "\n")
}

// mutator changes a built cache the way downloads, hand edits and other
// tools do.
type mutator struct {
	t    *testing.T
	rng  *rand.Rand
	root string
	n    int
}

func (m *mutator) repos() []string {
	des, err := os.ReadDir(m.root)
	if err != nil {
		m.t.Fatal(err)
	}
	var out []string
	for _, d := range des {
		if d.IsDir() && strings.Contains(d.Name(), "--") && !strings.HasPrefix(d.Name(), ".") {
			out = append(out, filepath.Join(m.root, d.Name()))
		}
	}
	return out
}

func (m *mutator) list(dir string) []string {
	des, _ := os.ReadDir(dir)
	var out []string
	for _, d := range des {
		out = append(out, filepath.Join(dir, d.Name()))
	}
	return out
}

func (m *mutator) pick(s []string) (string, bool) {
	if len(s) == 0 {
		return "", false
	}
	return s[m.rng.IntN(len(s))], true
}

func (m *mutator) hex(n int) string {
	const digits = "0123456789abcdef"
	b := make([]byte, n)
	for i := range b {
		b[i] = digits[m.rng.IntN(16)]
	}
	return string(b)
}

// mutate applies one random change and returns what it did.
func (m *mutator) mutate() string {
	m.n++
	repo, ok := m.pick(m.repos())
	if !ok {
		m.newRepo()
		return "new repo"
	}
	snaps := m.list(filepath.Join(repo, "snapshots"))
	blobs := m.list(filepath.Join(repo, "blobs"))
	switch m.rng.IntN(12) {
	case 0: // a new revision, and refs/main moved to it
		src, ok := m.pick(snaps)
		if !ok {
			break
		}
		commit := m.hex(40)
		if err := synth.CopySnapshot(src, filepath.Join(repo, "snapshots", commit), false); err != nil {
			m.t.Fatal(err)
		}
		os.MkdirAll(filepath.Join(repo, "refs"), 0o755)
		m.writeInPlace(filepath.Join(repo, "refs", "main"), commit)
		return "new revision in " + repo
	case 1: // a ref rewritten in place, as huggingface_hub does
		if snap, ok := m.pick(snaps); ok {
			if fi, err := os.Lstat(filepath.Join(repo, "refs")); err == nil && fi.IsDir() {
				m.writeInPlace(filepath.Join(repo, "refs", "main"), filepath.Base(snap))
				return "refs/main moved in " + repo
			}
		}
	case 2: // a blob removed
		if b, ok := m.pick(blobs); ok {
			os.Remove(b)
			return "blob removed: " + b
		}
	case 3: // an interrupted download appears
		if fi, err := os.Stat(filepath.Join(repo, "blobs")); err == nil && fi.IsDir() {
			p := filepath.Join(repo, "blobs", m.hex(64)+".incomplete")
			os.WriteFile(p, []byte("partial"), 0o644)
			return "incomplete added in " + repo
		}
	case 4: // an interrupted download grows
		for _, b := range blobs {
			if strings.HasSuffix(b, ".incomplete") {
				f, err := os.OpenFile(b, os.O_APPEND|os.O_WRONLY, 0)
				if err == nil {
					f.WriteString("more bytes")
					f.Close()
					return "incomplete grew: " + b
				}
			}
		}
	case 5: // a repo deleted
		os.RemoveAll(repo)
		return "repo removed: " + repo
	case 6:
		m.newRepo()
		return "new repo"
	case 7: // a blob's content changed in place
		if b, ok := m.pick(blobs); ok {
			if f, err := os.OpenFile(b, os.O_APPEND|os.O_WRONLY, 0); err == nil {
				f.WriteString("x")
				f.Close()
				return "blob appended: " + b
			}
		}
	case 8: // a blob read (its access time moves)
		if b, ok := m.pick(blobs); ok {
			if fi, err := os.Stat(b); err == nil {
				os.Chtimes(b, time.Now().Add(time.Duration(m.rng.IntN(1000))*time.Hour), fi.ModTime())
				return "blob atime moved: " + b
			}
		}
	case 9: // a snapshot file removed
		if snap, ok := m.pick(snaps); ok {
			if f, ok := m.pick(m.list(snap)); ok {
				if fi, err := os.Lstat(f); err == nil && !fi.IsDir() {
					os.Remove(f)
					return "snapshot file removed: " + f
				}
			}
		}
	case 10: // a stray entry at the top
		os.WriteFile(filepath.Join(m.root, fmt.Sprintf("stray-%d.txt", m.n)), []byte("x"), 0o644)
		return "stray file"
	case 11: // a .no_exist marker
		if snap, ok := m.pick(snaps); ok {
			d := filepath.Join(repo, ".no_exist", filepath.Base(snap))
			os.MkdirAll(d, 0o755)
			os.WriteFile(filepath.Join(d, fmt.Sprintf("missing-%d.json", m.n)), nil, 0o644)
			return "no_exist marker in " + repo
		}
	}
	return "nothing"
}

// writeInPlace rewrites a file without replacing it, as huggingface_hub
// rewrites refs/main.
func (m *mutator) writeInPlace(p, content string) {
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return // refs is not a folder in some damaged repos
	}
	f.WriteString(content)
	f.Close()
}

func (m *mutator) newRepo() {
	dir := filepath.Join(m.root, fmt.Sprintf("models--new--repo-%d", m.n))
	commit := m.hex(40)
	etag := m.hex(40)
	os.MkdirAll(filepath.Join(dir, "blobs"), 0o755)
	os.MkdirAll(filepath.Join(dir, "refs"), 0o755)
	os.MkdirAll(filepath.Join(dir, "snapshots", commit), 0o755)
	os.WriteFile(filepath.Join(dir, "blobs", etag), []byte("content "+etag), 0o644)
	os.Symlink("../../blobs/"+etag, filepath.Join(dir, "snapshots", commit, "config.json"))
	os.WriteFile(filepath.Join(dir, "refs", "main"), []byte(commit), 0o644)
}

// pinAtimes sets the access time of every folder whose atime a listing
// would move (on relatime mounts: not later than its mtime) far in the
// future, keeping its modification time, so that two syncs in a row see
// the same atime. Setting times moves the folder's ctime, as any change.
func pinAtimes(t *testing.T, root string) {
	t.Helper()
	future := time.Unix(4_102_444_800, 0)
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			if st, err := cache.Lstat(p); err == nil && st.Atime.Nanos() <= max(st.Mtime.Nanos(), st.Ctime.Nanos()) {
				os.Chtimes(p, future, st.Mtime.Time())
			}
		}
		return nil
	})
}

// TestIncrementalEqualsFull applies random sequences of changes to random
// caches and checks after each that the incrementally updated index holds
// exactly the rows a full sync of the same tree writes.
func TestIncrementalEqualsFull(t *testing.T) {
	seed := *incSeed
	if seed == 0 {
		seed = cachetest.Seed(t)
	}
	var incremental, unchanged, rescanned int
	for c := 0; c < *incCases; c++ {
		cs := seed + int64(c)
		spec := cachetest.Random(cs, cachetest.RandomOptions{Store: c%4 == 1, Corrupt: c%3 == 2})
		dir := t.TempDir()
		root := filepath.Join(dir, "hub")
		cachetest.Build(t, root, spec)
		pinAtimes(t, root)
		time.Sleep(racy + 10*time.Millisecond) // the first sync's stamps are then trusted
		inc := filepath.Join(dir, "inc.db")
		opts := Options{RacyWindow: racy, Summary: c%2 == 0}
		if c%5 == 4 {
			// Repos of more than six entries are streamed, on every sync.
			opts.RepoBudget = 6
		}
		if _, err := Sync(root, inc, opts); err != nil {
			t.Fatal(err)
		}
		m := &mutator{t: t, rng: rand.New(rand.NewPCG(uint64(cs), 7)), root: root}
		for round := 0; round < 5; round++ {
			var did []string
			for range 1 + m.rng.IntN(3) {
				did = append(did, m.mutate())
			}
			pinAtimes(t, root)
			st, err := Sync(root, inc, opts)
			if err != nil {
				t.Fatalf("seed %d round %d: %v", cs, round, err)
			}
			if st.Mode == "incremental" {
				incremental++
				unchanged += st.Unchanged
				rescanned += st.Rescanned
			} else if !strings.Contains(st.Reason, "another repo") && !strings.Contains(st.Reason, "store") {
				t.Errorf("seed %d round %d: full sync (%s) after %v", cs, round, st.Reason, did)
			}
			fresh := filepath.Join(dir, fmt.Sprintf("full-%d.db", round))
			want, err := Sync(root, fresh, Options{Rebuild: true, Summary: true})
			if err != nil {
				t.Fatal(err)
			}
			if opts.Summary {
				got := [9]int64{int64(st.Repos), int64(st.Damaged), int64(st.Revisions), int64(st.Files), int64(st.Blobs),
					int64(st.Payloads), int64(st.Incomplete), int64(st.Warnings), st.SizeOnDisk}
				exp := [9]int64{int64(want.Repos), int64(want.Damaged), int64(want.Revisions), int64(want.Files), int64(want.Blobs),
					int64(want.Payloads), int64(want.Incomplete), int64(want.Warnings), want.SizeOnDisk}
				if got != exp {
					t.Fatalf("seed %d round %d: summary %v, a full sync's %v", cs, round, got, exp)
				}
			}
			if d := diffLines(dump(t, fresh), dump(t, inc)); d != "" {
				t.Fatalf("seed %d round %d: after %v the incremental index differs from a full sync (- full, + incremental):\n%s",
					cs, round, did, d)
			}
		}
	}
	t.Logf("%d incremental syncs: %d repos found unchanged, %d listed again", incremental, unchanged, rescanned)
	if incremental == 0 || unchanged == 0 {
		t.Errorf("the incremental path was not exercised: %d incremental syncs, %d unchanged repos", incremental, unchanged)
	}
}

// TestIncrementalSkipsUnchanged checks that a sync of an unchanged cache
// lists no repo again, and that a change inside one repo's folders makes
// exactly that repo listed again.
func TestIncrementalSkipsUnchanged(t *testing.T) {
	spec := cachetest.Random(42, cachetest.RandomOptions{Repos: 6, Corrupt: true})
	dir := t.TempDir()
	root := filepath.Join(dir, "hub")
	cachetest.Build(t, root, spec)
	time.Sleep(racy + 10*time.Millisecond)
	db := filepath.Join(dir, "index.db")
	opts := Options{RacyWindow: racy}
	first, err := Sync(root, db, Options{RacyWindow: racy, Summary: true})
	if err != nil {
		t.Fatal(err)
	}
	if first.Mode != "full" {
		t.Fatalf("first sync is %s, want full", first.Mode)
	}
	time.Sleep(racy + 10*time.Millisecond)
	before, _ := os.ReadFile(db)
	beforeInfo, _ := os.Stat(db)
	st, err := Sync(root, db, opts)
	if err != nil {
		t.Fatal(err)
	}
	after, _ := os.ReadFile(db)
	afterInfo, _ := os.Stat(db)
	if string(before) != string(after) || !beforeInfo.ModTime().Equal(afterInfo.ModTime()) {
		t.Errorf("a sync with nothing to write changed the index file")
	}
	if CheckedAt(db).Before(afterInfo.ModTime()) {
		t.Errorf("CheckedAt %v is before the index's last write %v", CheckedAt(db), afterInfo.ModTime())
	}
	// Damaged repos are listed again every time, and found as they were.
	if first.Damaged == 0 || st.Mode != "incremental" || st.Rescanned != first.Damaged || st.Unchanged != first.Repos-first.Damaged {
		t.Fatalf("unchanged cache: mode %s, %d listed again, %d unchanged; want incremental, %d, %d (%s)",
			st.Mode, st.Rescanned, st.Unchanged, first.Damaged, first.Repos-first.Damaged, st.Reason)
	}
	folder := cachetest.FolderName(spec.Repos[0].Type, spec.Repos[0].ID)
	os.MkdirAll(filepath.Join(root, folder, ".no_exist", strings.Repeat("a", 40)), 0o755)
	st, err = Sync(root, db, opts)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode != "incremental" || st.Rescanned != 1+first.Damaged {
		t.Fatalf("one repo changed: mode %s, %d listed again; want incremental, %d (%s)", st.Mode, st.Rescanned, 1+first.Damaged, st.Reason)
	}
	st, err = Sync(root, db, Options{RacyWindow: racy, Rebuild: true})
	if err != nil || st.Mode != "full" {
		t.Fatalf("--rebuild: mode %s, err %v; want a full sync", st.Mode, err)
	}
	var n int
	dbx, err := sqlx.Open("sqlite", db)
	if err != nil {
		t.Fatal(err)
	}
	defer dbx.Close()
	if err := dbx.Get(&n, `SELECT count(*) FROM sync_state`); err != nil || n != first.Repos {
		t.Fatalf("sync_state has %d rows (%v), want one per repo (%d)", n, err, first.Repos)
	}
}

// TestSyncKeepsSchema checks that a full sync, which drops the secondary
// indexes while it loads rows, leaves the same schema objects a fresh
// index has.
func TestSyncKeepsSchema(t *testing.T) {
	dir := t.TempDir()
	root := filepath.Join(dir, "hub")
	cachetest.Build(t, root, cachetest.Random(7, cachetest.RandomOptions{Repos: 3}))
	synced := filepath.Join(dir, "synced.db")
	if _, err := Sync(root, synced, Options{}); err != nil {
		t.Fatal(err)
	}
	fresh := filepath.Join(dir, "fresh.db")
	db, err := schema.Create(fresh)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	objects := func(path string) []string {
		db, err := sqlx.Open("sqlite", path)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		var out []string
		if err := db.Select(&out, `SELECT type || ' ' || name || ': ' || coalesce(sql, '') FROM sqlite_schema ORDER BY type, name`); err != nil {
			t.Fatal(err)
		}
		return out
	}
	want, got := objects(fresh), objects(synced)
	if d := diffLines(want, got); d != "" {
		t.Fatalf("schema after sync differs from a fresh index (- fresh, + synced):\n%s", d)
	}
	if !slices.ContainsFunc(got, func(s string) bool { return strings.HasPrefix(s, "index files_blob:") }) {
		t.Fatalf("no files_blob index in %v", got)
	}
}

// TestIncrementalCrossRepo: a repo whose snapshot links a blob of another
// repo. Nothing changed: nothing is written; the owner of the blob changed:
// a full sync; each time the index equals a full sync's.
func TestIncrementalCrossRepo(t *testing.T) {
	dir := t.TempDir()
	root := filepath.Join(dir, "hub")
	commit := strings.Repeat("a", 40)
	for _, repo := range []string{"models--org--a", "models--org--b"} {
		for _, d := range []string{"blobs", "refs", "snapshots/" + commit} {
			os.MkdirAll(filepath.Join(root, repo, d), 0o755)
		}
		os.WriteFile(filepath.Join(root, repo, "refs", "main"), []byte(commit), 0o644)
	}
	os.WriteFile(filepath.Join(root, "models--org--b", "blobs", "bbbb"), []byte("shared"), 0o644)
	os.Symlink("../../blobs/bbbb", filepath.Join(root, "models--org--b", "snapshots", commit, "own"))
	os.Symlink("../../../models--org--b/blobs/bbbb", filepath.Join(root, "models--org--a", "snapshots", commit, "borrowed"))
	pinAtimes(t, root)
	time.Sleep(racy + 10*time.Millisecond)
	db := filepath.Join(dir, "index.db")
	opts := Options{RacyWindow: racy}
	check := func(step string, mode string) Stats {
		t.Helper()
		pinAtimes(t, root)
		st, err := Sync(root, db, opts)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode != mode {
			t.Fatalf("%s: sync %s (%s), want %s", step, st.Mode, st.Reason, mode)
		}
		fresh := filepath.Join(dir, "fresh-"+strings.ReplaceAll(step, " ", "-")+".db")
		if _, err := Sync(root, fresh, Options{Rebuild: true}); err != nil {
			t.Fatal(err)
		}
		if d := diffLines(dump(t, fresh), dump(t, db)); d != "" {
			t.Fatalf("%s: index differs from a full sync:\n%s", step, d)
		}
		return st
	}
	check("first", "full")
	time.Sleep(racy + 10*time.Millisecond)
	before, _ := os.ReadFile(db)
	check("nothing changed", "incremental")
	if after, _ := os.ReadFile(db); string(after) != string(before) {
		t.Error("a sync with nothing changed rewrote the index")
	}
	os.WriteFile(filepath.Join(root, "models--org--b", "snapshots", commit, "more"), nil, 0o644)
	st := check("owner changed", "full")
	if !strings.Contains(st.Reason, "another repo") {
		t.Errorf("owner changed: reason %q", st.Reason)
	}
	os.WriteFile(filepath.Join(root, "models--org--a", "snapshots", commit, "more"), nil, 0o644)
	check("borrower changed", "full")
}
