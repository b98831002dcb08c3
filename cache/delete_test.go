package cache

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hfidx/hfidx/internal/flock"
)

// stdRepo is a repo folder with three revisions: h1 (main) links the
// shared blob and b1, h2 (refs/pr/1) the shared blob and b2 from a
// sub-folder, h3 (detached) b3. Deleting h2 and h3 removes the ref
// refs/pr/1, both snapshots and the blobs b2 (4 bytes) and b3 (5 bytes).
func stdRepo(folder string) map[string]string {
	return map[string]string{
		folder + "/blobs/shared":                    "file:shared",
		folder + "/blobs/b1":                        "file:one",
		folder + "/blobs/b2":                        "file:two!",
		folder + "/blobs/b3":                        "file:three",
		folder + "/refs/main":                       "file:" + h1,
		folder + "/refs/refs/pr/1":                  "file:" + h2,
		folder + "/snapshots/" + h1 + "/s.txt":      "link:../../blobs/shared",
		folder + "/snapshots/" + h1 + "/one.txt":    "link:../../blobs/b1",
		folder + "/snapshots/" + h2 + "/s.txt":      "link:../../blobs/shared",
		folder + "/snapshots/" + h2 + "/d/two.txt":  "link:../../../blobs/b2",
		folder + "/snapshots/" + h3 + "/three.txt":  "link:../../blobs/b3",
		folder + "/.no_exist/" + h3 + "/absent.txt": "file:",
	}
}

func merge(ms ...map[string]string) map[string]string {
	out := map[string]string{}
	for _, m := range ms {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}

// partial is the plan deleting h2 and h3 of folder.
func partial(root, folder string) *Deletion {
	p := func(rel string) string { return filepath.Join(root, folder, filepath.FromSlash(rel)) }
	return &Deletion{
		Root:      root,
		Refs:      []string{p("refs/refs/pr/1")},
		Snapshots: []string{p("snapshots/" + h2), p("snapshots/" + h3)},
		Blobs:     []string{p("blobs/b2"), p("blobs/b3")},
	}
}

// treeState describes every entry under root (root excluded), keyed by
// its slash path relative to root: "dir", "link:<target>", "file:<content>"
// or the mode of anything else. Links are never followed.
func treeState(t *testing.T, root string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p == root {
			return nil
		}
		rel, _ := filepath.Rel(root, p)
		rel = filepath.ToSlash(rel)
		switch m := d.Type(); {
		case m.IsDir():
			out[rel] = "dir"
		case m&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			out[rel] = "link:" + target
		case m.IsRegular():
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			out[rel] = "file:" + string(b)
		default:
			out[rel] = m.String()
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// diffState returns the differences between two tree states, one per line.
func diffState(before, after map[string]string) string {
	var lines []string
	for k, v := range before {
		if w, ok := after[k]; !ok {
			lines = append(lines, "- "+k+" "+v)
		} else if w != v {
			lines = append(lines, "~ "+k+" "+v+" -> "+w)
		}
	}
	for k, v := range after {
		if _, ok := before[k]; !ok {
			lines = append(lines, "+ "+k+" "+v)
		}
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

func sameState(t *testing.T, what string, before, after map[string]string) {
	t.Helper()
	if d := diffState(before, after); d != "" {
		t.Errorf("%s changed:\n%s", what, d)
	}
}

// checkConsistent verifies, independently of the executor, that no ref of
// any repo names a missing snapshot and no snapshot link names a missing
// blob.
func checkConsistent(t *testing.T, root string) {
	t.Helper()
	des, err := os.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range des {
		if _, _, err := ParseFolderName(e.Name()); err != nil || !e.IsDir() {
			continue
		}
		repo := filepath.Join(root, e.Name())
		filepath.WalkDir(filepath.Join(repo, "refs"), func(p string, d fs.DirEntry, err error) error {
			if err != nil || !d.Type().IsRegular() {
				return nil
			}
			b, err := os.ReadFile(p)
			if err != nil {
				t.Errorf("read ref %s: %v", p, err)
				return nil
			}
			snap := filepath.Join(repo, "snapshots", strings.TrimSpace(string(b)))
			if fi, err := os.Stat(snap); err != nil || !fi.IsDir() {
				t.Errorf("ref %s names a missing snapshot %s", p, snap)
			}
			return nil
		})
		filepath.WalkDir(filepath.Join(repo, "snapshots"), func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.Type()&fs.ModeSymlink == 0 {
				return nil
			}
			if _, err := os.Stat(p); err != nil {
				t.Errorf("snapshot link %s names a missing blob: %v", p, err)
			}
			return nil
		})
	}
}

func paths(rs []Removal) []string {
	out := []string{}
	for _, r := range rs {
		out = append(out, r.Path)
	}
	return out
}

func sortedCopy(s []string) []string {
	out := append([]string{}, s...)
	sort.Strings(out)
	return out
}

func equalSets(a, b []string) bool {
	return strings.Join(sortedCopy(a), "\n") == strings.Join(sortedCopy(b), "\n")
}

func allPaths(d *Deletion) []string {
	var out []string
	for _, l := range [][]string{d.Refs, d.Snapshots, d.Blobs, d.Repos} {
		out = append(out, l...)
	}
	return out
}

func freed(rs []Removal) int64 {
	var n int64
	for _, r := range rs {
		n += r.Size
	}
	return n
}

func TestExecutePartialAndWhole(t *testing.T) {
	root := newRoot(t)
	tree(t, root, merge(stdRepo("models--org--a"), stdRepo("datasets--org--b")))
	d := partial(root, "models--org--a")
	d.Repos = []string{filepath.Join(root, "datasets--org--b")}
	res, err := d.Execute()
	if err != nil {
		t.Fatalf("Execute: %v", err)
	}
	if !equalSets(paths(res.Removed), allPaths(d)) {
		t.Errorf("removed %v, want %v", paths(res.Removed), allPaths(d))
	}
	if len(res.Missing)+len(res.Kept)+len(res.Skipped) != 0 {
		t.Errorf("result %+v, want only removals", res)
	}
	if got := freed(res.Removed); got != 9 {
		t.Errorf("freed %d bytes of blobs, want 9 (two! and three)", got)
	}
	for _, r := range res.Removed {
		if r.Kind != "blob" && r.Size != 0 {
			t.Errorf("removal %+v: only blobs carry a size", r)
		}
	}
	checkConsistent(t, root)
	got := treeState(t, root)
	for _, gone := range []string{"datasets--org--b", "models--org--a/snapshots/" + h2, "models--org--a/snapshots/" + h3,
		"models--org--a/blobs/b2", "models--org--a/blobs/b3", "models--org--a/refs/refs/pr/1"} {
		if _, ok := got[gone]; ok {
			t.Errorf("%s still exists", gone)
		}
	}
	// What the library leaves stays: the emptied ref folder, .no_exist.
	for _, kept := range []string{"models--org--a/refs/refs/pr", "models--org--a/.no_exist/" + h3 + "/absent.txt",
		"models--org--a/blobs/shared", "models--org--a/snapshots/" + h1 + "/one.txt"} {
		if _, ok := got[kept]; !ok {
			t.Errorf("%s was removed", kept)
		}
	}
	for k := range got {
		if strings.HasPrefix(k, DeletingPrefix) || strings.HasPrefix(k, ".locks") {
			t.Errorf("Execute left or created %s", k)
		}
	}
}

// TestExecuteNeverFollowsLinks: links out of the cache, in every place a
// plan can name, lose the link and never the target.
func TestExecuteNeverFollowsLinks(t *testing.T) {
	root, outside := newRoot(t), newRoot(t)
	tree(t, outside, map[string]string{
		"secret.bin":          "file:0123456789",
		"blob.bin":            "file:outside blob",
		"ref.txt":             "file:" + h2,
		"dir/inner.txt":       "file:inner",
		"snapdir/f.txt":       "file:snapshot elsewhere",
		"repodir/blobs/x":     "file:repo elsewhere",
		"repodir/snapshots/y": "link:../blobs/x",
	})
	out := func(rel string) string { return filepath.Join(outside, rel) }
	tree(t, root, merge(stdRepo("models--org--a"), map[string]string{
		// inside the snapshot deleted: a file link and a directory link out.
		"models--org--a/snapshots/" + h2 + "/secret.bin": "link:" + out("secret.bin"),
		"models--org--a/snapshots/" + h2 + "/d/dir":      "link:" + out("dir"),
		// a blob entry that is itself a link out of the cache.
		"models--org--a/blobs/b2-link":                      "link:" + out("blob.bin"),
		"models--org--a/snapshots/" + h2 + "/blob-link.txt": "link:../../blobs/b2-link",
		// a ref that is a link.
		"models--org--a/refs/refs/pr/1": "link:" + out("ref.txt"),
		// a snapshot folder that is a link to a folder out of the cache.
		"models--org--a/snapshots/" + h3: "link:" + out("snapdir"),
		// a repo folder that is a link out of the cache.
		"models--org--ext": "link:" + out("repodir"),
	}))
	before := treeState(t, outside)
	d := &Deletion{
		Root:      root,
		Refs:      []string{filepath.Join(root, "models--org--a/refs/refs/pr/1")},
		Snapshots: []string{filepath.Join(root, "models--org--a/snapshots", h2), filepath.Join(root, "models--org--a/snapshots", h3)},
		Blobs:     []string{filepath.Join(root, "models--org--a/blobs/b2"), filepath.Join(root, "models--org--a/blobs/b2-link")},
		Repos:     []string{filepath.Join(root, "models--org--ext")},
	}
	res, err := d.Execute()
	if err != nil {
		t.Fatalf("Execute: %v", err)
	}
	if !equalSets(paths(res.Removed), allPaths(d)) {
		t.Errorf("removed %v, want %v", paths(res.Removed), allPaths(d))
	}
	for _, r := range res.Removed {
		if r.Path == d.Blobs[1] && r.Size != 0 {
			t.Errorf("removing the link %s freed %d bytes, want 0", r.Path, r.Size)
		}
	}
	for _, p := range allPaths(d) {
		if _, err := os.Lstat(p); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s still exists (%v)", p, err)
		}
	}
	sameState(t, "the outside tree", before, treeState(t, outside))
	if b, err := os.ReadFile(out("secret.bin")); err != nil || string(b) != "0123456789" {
		t.Errorf("outside file = %q, %v; want its bytes intact", b, err)
	}
	checkConsistent(t, root)
}

// TestExecuteRefusesBadPaths: a planned path outside the cache, escaping it
// with "..", or not of its kind's shape is refused before anything is
// touched, even the leftovers of an interrupted run.
func TestExecuteRefusesBadPaths(t *testing.T) {
	const a = "models--org--a"
	type mod struct {
		name string
		kind string // which list gets the bad path
		path func(root, outside string) string
	}
	j := func(parts ...string) string { return filepath.Join(parts...) }
	raw := func(s string) func(root, outside string) string {
		return func(root, outside string) string { return strings.ReplaceAll(s, "ROOT", root) }
	}
	var cases []mod
	for _, kind := range []string{"blob", "snapshot", "ref", "repo"} {
		cases = append(cases,
			mod{"outside root", kind, func(root, outside string) string { return j(outside, a, "blobs", "b1") }},
			mod{"outside repo", kind, func(root, outside string) string { return j(outside, a) }},
			mod{"dotdot escaping", kind, func(root, outside string) string {
				return root + "/../" + filepath.Base(outside) + "/" + a + "/blobs/b1"
			}},
			mod{"dotdot clean", kind, func(root, outside string) string { return j(root, "..", filepath.Base(outside), a, "blobs", "b1") }},
			mod{"dotdot inside", kind, raw("ROOT/" + a + "/blobs/../blobs/b1")},
			mod{"trailing slash", kind, raw("ROOT/" + a + "/blobs/b1/")},
			mod{"relative", kind, func(root, outside string) string { return a + "/blobs/b1" }},
			mod{"empty", kind, raw("")},
			mod{"root", kind, raw("ROOT")},
			mod{"root parent", kind, func(root, outside string) string { return filepath.Dir(root) }},
			mod{"sibling with root as prefix", kind, func(root, outside string) string { return root + "x/" + a }},
			mod{"not a repo folder", kind, raw("ROOT/not-a-repo/blobs/b1")},
			mod{"shared store", kind, raw("ROOT/blobs/ab/ab12")},
			mod{"locks", kind, raw("ROOT/.locks/" + a + "/x.lock")},
			mod{"aside", kind, raw("ROOT/" + DeletingPrefix + a)},
		)
	}
	for _, c := range []struct{ kind, rel string }{
		{"blob", a},
		{"blob", a + "/blobs"},
		{"blob", a + "/snapshots/" + h1},
		{"blob", a + "/refs/main"},
		{"blob", a + "/blobs/sub/b1"},
		{"blob", a + "/snapshots/" + h1 + "/one.txt"},
		{"snapshot", a},
		{"snapshot", a + "/snapshots"},
		{"snapshot", a + "/snapshots/" + h1 + "/one.txt"},
		{"snapshot", a + "/blobs/b1"},
		{"snapshot", a + "/refs/main"},
		{"ref", a},
		{"ref", a + "/refs"},
		{"ref", a + "/snapshots/" + h1},
		{"ref", a + "/blobs/b1"},
		{"ref", a + "/.no_exist/" + h3},
		{"repo", a + "/blobs"},
		{"repo", a + "/snapshots/" + h1},
		{"repo", a + "/refs/main"},
		{"repo", ".locks"},
	} {
		cases = append(cases, mod{"shape " + c.rel, c.kind, raw("ROOT/" + c.rel)})
	}
	for _, tc := range cases {
		t.Run(tc.kind+"/"+tc.name, func(t *testing.T) {
			root, outside := newRoot(t), newRoot(t)
			entries := merge(stdRepo(a), stdRepo("models--org--b"), map[string]string{
				DeletingPrefix + "models--org--old/blobs/x": "file:left over",
				".locks/" + a + "/b1.lock":                  "file:",
			})
			tree(t, root, entries)
			tree(t, outside, stdRepo(a))
			tree(t, outside, map[string]string{"models--org--b/blobs/b1": "file:one"})
			bad := tc.path(root, outside)
			// Good paths first: a lazy check would remove them before
			// reaching the bad one.
			d := partial(root, a)
			d.Repos = []string{filepath.Join(root, "models--org--b")}
			switch tc.kind {
			case "blob":
				d.Blobs = append(d.Blobs, bad)
			case "snapshot":
				d.Snapshots = append(d.Snapshots, bad)
			case "ref":
				d.Refs = append(d.Refs, bad)
			case "repo":
				d.Repos = append(d.Repos, bad)
			}
			beforeRoot, beforeOut := treeState(t, root), treeState(t, outside)
			calls := 0
			d.Before = func(kind, path string) error { calls++; return nil }
			res, err := d.Execute()
			var pe *PathError
			if !errors.As(err, &pe) {
				t.Fatalf("Execute with %s %q: error %v, want a *PathError", tc.kind, bad, err)
			}
			if pe.Path != bad {
				t.Errorf("PathError names %q, want %q", pe.Path, bad)
			}
			if calls != 0 || len(res.Removed) != 0 {
				t.Errorf("Execute removed %v (%d calls of Before) before refusing", paths(res.Removed), calls)
			}
			sameState(t, "the cache", beforeRoot, treeState(t, root))
			sameState(t, "the outside tree", beforeOut, treeState(t, outside))
		})
	}
}

// TestExecuteSymlinkedParent: a path reached through a symlinked folder is
// refused, and what the link leads to is untouched.
func TestExecuteSymlinkedParent(t *testing.T) {
	const a = "models--org--a"
	for _, tc := range []struct {
		name    string
		link    string // entry of the repo replaced by a link to the outside copy
		kind    string
		planned string // relative to root
	}{
		{"snapshots folder", a + "/snapshots", "snapshot", a + "/snapshots/" + h2},
		{"blobs folder", a + "/blobs", "blob", a + "/blobs/orphan"},
		{"refs folder", a + "/refs", "ref", a + "/refs/refs/pr/1"},
		{"nested refs folder", a + "/refs/refs", "ref", a + "/refs/refs/pr/1"},
		{"repo folder, snapshot", a, "snapshot", a + "/snapshots/" + h2},
		{"repo folder, ref", a, "ref", a + "/refs/main"},
		{"repo folder, blob", a, "blob", a + "/blobs/orphan"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root, outside := newRoot(t), newRoot(t)
			// The copy the link leads to has a blob no snapshot links, so
			// that only the symlink check stands between it and removal.
			tree(t, outside, merge(stdRepo(a), map[string]string{a + "/blobs/orphan": "file:orphan"}))
			entries := stdRepo(a)
			for k := range entries {
				if k == tc.link || strings.HasPrefix(k, tc.link+"/") {
					delete(entries, k)
				}
			}
			entries[tc.link] = "link:" + filepath.Join(outside, filepath.FromSlash(tc.link))
			tree(t, root, entries)
			d := &Deletion{Root: root}
			p := filepath.Join(root, filepath.FromSlash(tc.planned))
			switch tc.kind {
			case "snapshot":
				d.Snapshots = []string{p}
			case "blob":
				d.Blobs = []string{p}
			case "ref":
				d.Refs = []string{p}
			}
			beforeOut := treeState(t, outside)
			before := treeState(t, root)
			res, err := d.Execute()
			var pe *PathError
			if !errors.As(err, &pe) {
				t.Fatalf("Execute: error %v (result %+v), want a *PathError", err, res)
			}
			if len(res.Removed) != 0 {
				t.Errorf("removed %v", paths(res.Removed))
			}
			sameState(t, "the link's target", beforeOut, treeState(t, outside))
			sameState(t, "the cache", before, treeState(t, root))
		})
	}
}

// TestExecuteSymlinkedRepo: a repo folder that is a symlink is unlinked,
// never renamed aside nor recursed into.
func TestExecuteSymlinkedRepo(t *testing.T) {
	root, outside := newRoot(t), newRoot(t)
	tree(t, outside, stdRepo("repo"))
	tree(t, root, merge(stdRepo("models--org--real"), map[string]string{
		"models--org--alias":    "link:models--org--real",
		"models--org--abs":      "link:" + filepath.Join(root, "models--org--real"),
		"models--org--ext":      "link:" + filepath.Join(outside, "repo"),
		"models--org--dangling": "link:nowhere",
	}))
	beforeReal := treeState(t, filepath.Join(root, "models--org--real"))
	beforeOut := treeState(t, outside)
	d := &Deletion{Root: root}
	for _, f := range []string{"models--org--alias", "models--org--abs", "models--org--ext", "models--org--dangling"} {
		d.Repos = append(d.Repos, filepath.Join(root, f))
	}
	res, err := d.Execute()
	if err != nil {
		t.Fatalf("Execute: %v", err)
	}
	if !equalSets(paths(res.Removed), d.Repos) {
		t.Errorf("removed %v, want %v", paths(res.Removed), d.Repos)
	}
	for _, p := range d.Repos {
		if _, err := os.Lstat(p); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s still exists", p)
		}
	}
	sameState(t, "the linked repo folder", beforeReal, treeState(t, filepath.Join(root, "models--org--real")))
	sameState(t, "the outside repo folder", beforeOut, treeState(t, outside))
	des, _ := os.ReadDir(root)
	if len(des) != 1 || des[0].Name() != "models--org--real" {
		t.Errorf("cache holds %v, want only models--org--real", des)
	}
}

// holdLock takes an exclusive flock on path through its own open file
// description, as another process would, and returns its release.
func holdLock(t *testing.T, path string) func() {
	t.Helper()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := flock.Lock(f, false); err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	release := func() {
		once.Do(func() {
			flock.Unlock(f)
			f.Close()
		})
	}
	t.Cleanup(release)
	return release
}

// free reports whether an exclusive lock on path can be taken now.
func free(t *testing.T, path string) bool {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := flock.Lock(f, false); err != nil {
		return false
	}
	flock.Unlock(f)
	return true
}

func TestExecuteSkipsLockedRepo(t *testing.T) {
	const a, b = "models--org--a", "models--org--b"
	root := newRoot(t)
	tree(t, root, merge(stdRepo(a), stdRepo(b), stdRepo("models--org--c"), map[string]string{
		".locks/" + a + "/other.lock": "file:",
		".locks/" + a + "/x.lock":     "file:",
		".locks/" + b + "/free.lock":  "file:",
	}))
	holdLock(t, filepath.Join(root, ".locks", a, "x.lock"))
	beforeA := treeState(t, filepath.Join(root, a))
	d := partial(root, a)
	d.Repos = []string{filepath.Join(root, b)}
	c := partial(root, "models--org--c")
	d.Refs, d.Snapshots, d.Blobs = append(d.Refs, c.Refs...), append(d.Snapshots, c.Snapshots...), append(d.Blobs, c.Blobs...)
	res, err := d.Execute()
	if err != nil {
		t.Fatalf("Execute: %v", err)
	}
	if len(res.Skipped) != 1 || res.Skipped[0].Folder != a || !strings.Contains(res.Skipped[0].Reason, "x.lock") {
		t.Errorf("skipped %+v, want %s for x.lock", res.Skipped, a)
	}
	sameState(t, "the locked repo", beforeA, treeState(t, filepath.Join(root, a)))
	want := append([]string{filepath.Join(root, b)}, allPaths(c)...)
	if !equalSets(paths(res.Removed), want) {
		t.Errorf("removed %v, want the other repos' paths %v", paths(res.Removed), want)
	}
	for _, r := range res.Removed {
		if strings.HasPrefix(r.Path, filepath.Join(root, a)+string(filepath.Separator)) {
			t.Errorf("removed %s from the locked repo", r.Path)
		}
	}
	if _, err := os.Lstat(filepath.Join(root, b)); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("%s not removed", b)
	}
	// The locks Execute took are released, the lock files left in place.
	for _, l := range []string{".locks/" + a + "/other.lock", ".locks/" + b + "/free.lock"} {
		if !free(t, filepath.Join(root, l)) {
			t.Errorf("%s is still locked after Execute", l)
		}
	}
	checkConsistent(t, root)
}

func TestExecuteWaitsForLock(t *testing.T) {
	const a = "models--org--a"
	root := newRoot(t)
	tree(t, root, merge(stdRepo(a), map[string]string{".locks/" + a + "/x.lock": "file:"}))
	release := holdLock(t, filepath.Join(root, ".locks", a, "x.lock"))
	const hold = 100 * time.Millisecond
	start := time.Now()
	go func() {
		time.Sleep(hold)
		release()
	}()
	d := &Deletion{Root: root, Repos: []string{filepath.Join(root, a)}, Wait: true}
	res, err := d.Execute()
	if err != nil {
		t.Fatalf("Execute: %v", err)
	}
	if took := time.Since(start); took < hold*9/10 {
		t.Errorf("Execute returned after %v, before the lock was released (%v)", took, hold)
	}
	if len(res.Skipped) != 0 || len(res.Removed) != 1 {
		t.Errorf("result %+v, want the repo removed", res)
	}
	if _, err := os.Lstat(filepath.Join(root, a)); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("%s not removed", a)
	}
	if _, err := os.Lstat(filepath.Join(root, ".locks", a, "x.lock")); err != nil {
		t.Errorf("the lock file was removed: %v", err)
	}
}

// TestExecuteKeepsRelinkedBlob: a revision created after the plan links a
// planned blob again; the blob is kept and the new link still resolves.
func TestExecuteKeepsRelinkedBlob(t *testing.T) {
	const a = "models--org--a"
	root := newRoot(t)
	tree(t, root, stdRepo(a))
	d := partial(root, a)
	// After the plan: h4 links b2 (relative, from a sub-folder), h5 links
	// b3 by an absolute path.
	h4 := "4444444444444444444444444444444444444444"
	h5 := "5555555555555555555555555555555555555555"
	tree(t, root, map[string]string{
		a + "/snapshots/" + h4 + "/sub/again.txt": "link:../../../blobs/b2",
		a + "/snapshots/" + h5 + "/abs.txt":       "link:" + filepath.Join(root, a, "blobs/b3"),
	})
	res, err := d.Execute()
	if err != nil {
		t.Fatalf("Execute: %v", err)
	}
	if !equalSets(res.Kept, d.Blobs) {
		t.Errorf("kept %v, want %v", res.Kept, d.Blobs)
	}
	want := append(append([]string{}, d.Refs...), d.Snapshots...)
	if !equalSets(paths(res.Removed), want) {
		t.Errorf("removed %v, want %v", paths(res.Removed), want)
	}
	for p, content := range map[string]string{
		a + "/snapshots/" + h4 + "/sub/again.txt": "two!",
		a + "/snapshots/" + h5 + "/abs.txt":       "three",
	} {
		if b, err := os.ReadFile(filepath.Join(root, p)); err != nil || string(b) != content {
			t.Errorf("%s reads %q, %v; want %q", p, b, err, content)
		}
	}
	checkConsistent(t, root)
}

// TestExecuteMissing: planned paths already gone are recorded, not errors.
func TestExecuteMissing(t *testing.T) {
	const a = "models--org--a"
	root := newRoot(t)
	tree(t, root, stdRepo(a))
	d := partial(root, a)
	gone := []string{
		filepath.Join(root, a, "refs/v9"),
		filepath.Join(root, a, "snapshots", "9999999999999999999999999999999999999999"),
		filepath.Join(root, a, "blobs/nope"),
		filepath.Join(root, "models--org--gone/blobs/x"),
		filepath.Join(root, "models--org--gone/refs/refs/pr/1"),
		filepath.Join(root, "models--org--gone2"),
	}
	d.Refs = append(d.Refs, gone[0], gone[4])
	d.Snapshots = append(d.Snapshots, gone[1])
	d.Blobs = append(d.Blobs, gone[2], gone[3])
	d.Repos = append(d.Repos, gone[5])
	res, err := d.Execute()
	if err != nil {
		t.Fatalf("Execute: %v", err)
	}
	if !equalSets(res.Missing, gone) {
		t.Errorf("missing %v, want %v", res.Missing, gone)
	}
	if !equalSets(paths(res.Removed), allPaths(partial(root, a))) {
		t.Errorf("removed %v", paths(res.Removed))
	}
	checkConsistent(t, root)
}

// TestExecuteDirectoryForFile: a directory where a ref or a blob was
// planned is refused, not removed recursively.
func TestExecuteDirectoryForFile(t *testing.T) {
	const a = "models--org--a"
	for _, kind := range []string{"ref", "blob"} {
		t.Run(kind, func(t *testing.T) {
			root := newRoot(t)
			tree(t, root, merge(stdRepo(a), map[string]string{a + "/blobs/dir/x": "file:x", a + "/refs/dir/x": "file:" + h1}))
			d := &Deletion{Root: root}
			if kind == "ref" {
				d.Refs = []string{filepath.Join(root, a, "refs/dir")}
			} else {
				d.Blobs = []string{filepath.Join(root, a, "blobs/dir")}
			}
			before := treeState(t, root)
			_, err := d.Execute()
			var pe *PathError
			if !errors.As(err, &pe) {
				t.Fatalf("Execute: %v, want a *PathError", err)
			}
			sameState(t, "the cache", before, treeState(t, root))
		})
	}
}

// TestExecuteFinishesAside: what an interrupted run renamed aside is never
// reported by Scan, and the next Execute, whatever its plan, removes it.
func TestExecuteFinishesAside(t *testing.T) {
	const a = "models--org--a"
	root, outside := newRoot(t), newRoot(t)
	tree(t, outside, map[string]string{"keep/me.txt": "file:keep"})
	aside := map[string]string{}
	for k, v := range stdRepo("models--org--old") {
		aside[DeletingPrefix+k] = v
	}
	tree(t, root, merge(stdRepo(a), aside, map[string]string{
		DeletingPrefix + "models--org--link": "link:" + filepath.Join(outside, "keep"),
	}))
	res := scanTree(t, root)
	if len(res.repos) != 1 || res.repos[a] == nil {
		t.Errorf("Scan reports repos %v, want only %s", res.repos, a)
	}
	if len(res.warnings) != 0 {
		t.Errorf("Scan warns %v", res.warnings)
	}
	if r := res.repos[a]; r != nil && (len(r.Problems) != 0 || len(r.Notes) != 0) {
		t.Errorf("Scan of %s: problems %v notes %v", a, r.Problems, r.Notes)
	}
	before := treeState(t, filepath.Join(root, a))
	beforeOut := treeState(t, outside)
	if _, err := (&Deletion{Root: root}).Execute(); err != nil {
		t.Fatalf("Execute of an empty plan: %v", err)
	}
	des, _ := os.ReadDir(root)
	if len(des) != 1 || des[0].Name() != a {
		t.Errorf("cache holds %v after Execute, want only %s", des, a)
	}
	sameState(t, "the repo", before, treeState(t, filepath.Join(root, a)))
	sameState(t, "the aside link's target", beforeOut, treeState(t, outside))
}

// TestExecuteOrder: within a repo, refs go before snapshots, snapshots
// before blobs, so that no instant has a ref naming a missing snapshot or a
// link naming a missing blob; whole repos go last.
func TestExecuteOrder(t *testing.T) {
	rank := map[string]int{"ref": 0, "snapshot": 1, "blob": 2, "repo": 3}
	root := newRoot(t)
	tree(t, root, merge(stdRepo("models--org--a"), stdRepo("models--org--b"), stdRepo("models--org--c")))
	d := partial(root, "models--org--a")
	c := partial(root, "models--org--c")
	// Interleaved in the plan, so that the order comes from Execute.
	d.Refs = append(c.Refs, d.Refs...)
	d.Snapshots = append(d.Snapshots, c.Snapshots...)
	d.Blobs = append(c.Blobs, d.Blobs...)
	d.Repos = []string{filepath.Join(root, "models--org--b")}
	type call struct{ kind, path string }
	var calls []call
	d.Before = func(kind, path string) error {
		calls = append(calls, call{kind, path})
		return nil
	}
	if _, err := d.Execute(); err != nil {
		t.Fatalf("Execute: %v", err)
	}
	if len(calls) != len(allPaths(d)) {
		t.Fatalf("Before called %d times, want %d", len(calls), len(allPaths(d)))
	}
	last := map[string]int{}
	for i, c := range calls {
		rel, _ := filepath.Rel(root, c.path)
		folder := strings.Split(rel, string(filepath.Separator))[0]
		if r, ok := last[folder]; ok && rank[c.kind] < r {
			t.Errorf("call %d: %s %s after a %d-ranked removal in the same repo", i, c.kind, rel, r)
		}
		last[folder] = rank[c.kind]
	}
	var kinds []string
	for _, c := range calls {
		kinds = append(kinds, c.kind)
	}
	// With models--org--b (whole) sorting between a and c, the sequence is
	// a's ref, snapshots, blobs; b; c's ref, snapshots, blobs.
	want := "ref snapshot snapshot blob blob repo ref snapshot snapshot blob blob"
	if got := strings.Join(kinds, " "); got != want {
		t.Errorf("order %q, want %q", got, want)
	}
}

// TestExecuteOrderWholeRepoLast: the documented order puts whole repos
// after blobs even when one plan names both in one repo folder.
func TestExecuteOrderWholeRepoLast(t *testing.T) {
	const a = "models--org--a"
	root := newRoot(t)
	tree(t, root, stdRepo(a))
	d := partial(root, a)
	d.Repos = []string{filepath.Join(root, a)}
	var kinds []string
	d.Before = func(kind, path string) error { kinds = append(kinds, kind); return nil }
	res, err := d.Execute()
	if err != nil {
		t.Fatalf("Execute: %v", err)
	}
	if got, want := strings.Join(kinds, " "), "ref snapshot snapshot blob blob repo"; got != want {
		t.Errorf("order %q, want %q", got, want)
	}
	if len(res.Missing) != 0 {
		t.Errorf("missing %v", res.Missing)
	}
}

// TestExecuteFaultInjection stops Execute at each removal in turn: the
// cache is consistent at every stop, and running the same plan again
// finishes the job, with what the first run removed reported Missing.
func TestExecuteFaultInjection(t *testing.T) {
	build := func(t *testing.T) (string, *Deletion) {
		root := newRoot(t)
		tree(t, root, merge(stdRepo("models--org--a"), stdRepo("datasets--org--b"), stdRepo("spaces--org--c"),
			map[string]string{"models--org--a/refs/v1": "file:" + h3}))
		d := partial(root, "models--org--a")
		d.Refs = append(d.Refs, filepath.Join(root, "models--org--a/refs/v1"))
		c := partial(root, "spaces--org--c")
		d.Refs = append(d.Refs, c.Refs...)
		d.Snapshots = append(d.Snapshots, c.Snapshots...)
		d.Blobs = append(d.Blobs, c.Blobs...)
		d.Repos = []string{filepath.Join(root, "datasets--org--b")}
		return root, d
	}
	root, d := build(t)
	if _, err := d.Execute(); err != nil {
		t.Fatalf("Execute: %v", err)
	}
	want := treeState(t, root)
	n := len(allPaths(d))
	errInjected := errors.New("injected fault")
	for k := 0; k < n; k++ {
		t.Run(fmt.Sprint(k), func(t *testing.T) {
			root, d := build(t)
			calls := 0
			d.Before = func(kind, path string) error {
				calls++
				if calls == k+1 {
					return errInjected
				}
				return nil
			}
			first, err := d.Execute()
			if !errors.Is(err, errInjected) {
				t.Fatalf("Execute: error %v, want the injected fault", err)
			}
			if len(first.Removed) != k {
				t.Errorf("removed %d paths before the fault, want %d", len(first.Removed), k)
			}
			checkConsistent(t, root)
			d.Before = nil
			second, err := d.Execute()
			if err != nil {
				t.Fatalf("second Execute: %v", err)
			}
			if !equalSets(second.Missing, paths(first.Removed)) {
				t.Errorf("second run missing %v, want what the first removed %v", second.Missing, paths(first.Removed))
			}
			if !equalSets(append(paths(first.Removed), paths(second.Removed)...), allPaths(d)) {
				t.Errorf("both runs removed %v and %v, want every planned path once", paths(first.Removed), paths(second.Removed))
			}
			if got := freed(first.Removed) + freed(second.Removed); got != 18 {
				t.Errorf("both runs freed %d bytes of blobs, want 18", got)
			}
			checkConsistent(t, root)
			sameState(t, "the final cache (against an uninterrupted run)", want, treeState(t, root))
		})
	}
}

func TestLeftovers(t *testing.T) {
	const a = "models--org--a"
	root := newRoot(t)
	tree(t, root, merge(stdRepo(a), stdRepo("models--org--b"), stdRepo("models--org--c"), map[string]string{
		a + "/.no_exist/" + h2 + "/x.json":   "file:",
		a + "/trees/" + h2 + ".json":         "file:{}",
		a + "/trees/" + h1 + ".json":         "file:{}",
		a + "/refs/refs/pr/2":                "file:" + h1,
		a + "/refs/refs/convert/parquet":     "file:" + h1,
		a + "/refs/deep/a/b":                 "file:" + h2,
		a + "/refs/deep/a/c":                 "file:" + h3,
		a + "/refs/half/a":                   "file:" + h2,
		a + "/refs/half/keep":                "file:" + h1,
		".locks/models--org--b/blob.lock":    "file:",
		".locks/models--org--a/blob.lock":    "file:",
		".locks/models--org--gone/blob.lock": "file:",
	}))
	p := func(rel string) string { return filepath.Join(root, filepath.FromSlash(rel)) }
	for _, tc := range []struct {
		name                   string
		snapshots, refs, repos []string
		want                   []string
	}{
		{"nothing", nil, nil, nil, nil},
		{"no_exist and trees", []string{p(a + "/snapshots/" + h2)}, nil, nil,
			[]string{p(a + "/.no_exist/" + h2), p(a + "/trees/" + h2 + ".json")}},
		{"no_exist only", []string{p(a + "/snapshots/" + h3)}, nil, nil, []string{p(a + "/.no_exist/" + h3)}},
		{"ref folder still used", nil, []string{p(a + "/refs/refs/pr/1")}, nil, nil},
		{"ref folder emptied", nil, []string{p(a + "/refs/refs/pr/1"), p(a + "/refs/refs/pr/2")}, nil,
			[]string{p(a + "/refs/refs/pr")}},
		{"nested folders emptied", nil, []string{p(a + "/refs/deep/a/b"), p(a + "/refs/deep/a/c")}, nil,
			[]string{p(a + "/refs/deep"), p(a + "/refs/deep/a")}},
		{"top-level ref", nil, []string{p(a + "/refs/main")}, nil, nil},
		{"sibling kept", nil, []string{p(a + "/refs/half/a")}, nil, nil},
		{"locks of a removed repo", nil, nil, []string{p("models--org--b"), p("models--org--x")},
			[]string{p(".locks/models--org--b")}},
		{"all at once", []string{p(a + "/snapshots/" + h2)}, []string{p(a + "/refs/refs/pr/1"), p(a + "/refs/refs/pr/2")},
			[]string{p("models--org--b")},
			[]string{p(".locks/models--org--b"), p(a + "/.no_exist/" + h2), p(a + "/refs/refs/pr"), p(a + "/trees/" + h2 + ".json")}},
	} {
		got := Leftovers(root, tc.snapshots, tc.refs, tc.repos)
		if strings.Join(got, "\n") != strings.Join(sortedCopy(tc.want), "\n") {
			t.Errorf("Leftovers(%s) = %v, want %v", tc.name, got, sortedCopy(tc.want))
		}
	}
}

// TestLeftoversFolderNamedRefs: a ref folder called "refs" below
// <repo>/refs is emptied like any other.
func TestLeftoversFolderNamedRefs(t *testing.T) {
	const a = "models--org--a"
	root := newRoot(t)
	tree(t, root, map[string]string{
		a + "/snapshots/" + h1 + "/f":   "file:x",
		a + "/refs/x/refs/y":            "file:" + h1,
		"models--org--c/refs/refs/pr/1": "file:" + h1,
	})
	p := func(rel string) string { return filepath.Join(root, filepath.FromSlash(rel)) }
	got := Leftovers(root, nil, []string{p(a + "/refs/x/refs/y")}, nil)
	want := []string{p(a + "/refs/x"), p(a + "/refs/x/refs")}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("Leftovers(refs/x/refs/y) = %v, want %v", got, want)
	}
	got = Leftovers(root, nil, []string{p("models--org--c/refs/refs/pr/1")}, nil)
	want = []string{p("models--org--c/refs/refs"), p("models--org--c/refs/refs/pr")}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("Leftovers(refs/refs/pr/1) = %v, want %v", got, want)
	}
}

// TestExecuteLongFolderName: a repo folder whose name is valid but close
// to the file-name limit is still removed whole.
func TestExecuteLongFolderName(t *testing.T) {
	root := newRoot(t)
	folder := "models--org--" + strings.Repeat("x", 240)
	tree(t, root, stdRepo(folder))
	d := &Deletion{Root: root, Repos: []string{filepath.Join(root, folder)}}
	res, err := d.Execute()
	if err != nil {
		t.Fatalf("Execute: %v", err)
	}
	if len(res.Removed) != 1 {
		t.Errorf("removed %v, want the repo", paths(res.Removed))
	}
	if _, err := os.Lstat(filepath.Join(root, folder)); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the repo folder is still there (%v)", err)
	}
}
