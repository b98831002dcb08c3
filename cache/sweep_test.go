package cache

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hfidx/hfidx/cache/cachetest"
)

const hashA = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"

// storeRoot builds a marked store holding one payload named hashA whose
// manifest has the given lines, and returns the root and the payload.
func storeRoot(t *testing.T, refs ...string) (string, string) {
	t.Helper()
	spec := "store\npayload \"12345\" hash=" + hashA
	for _, r := range refs {
		spec += " ref=" + r
	}
	c, err := cachetest.Parse(spec + "\n")
	if err != nil {
		t.Fatal(err)
	}
	root := filepath.Join(t.TempDir(), "hub")
	cachetest.Build(t, root, c)
	root, _ = filepath.EvalSymlinks(root)
	return root, filepath.Join(root, "blobs", "aa", hashA)
}

func sweepOne(t *testing.T, root, payload string) DeleteResult {
	t.Helper()
	res, err := (&Deletion{Root: root, Payloads: []string{payload}}).Execute()
	if err != nil {
		t.Fatalf("Execute: %v", err)
	}
	return res
}

func TestSweepCases(t *testing.T) {
	for _, tc := range []struct {
		name   string
		refs   []string
		setup  func(t *testing.T, root, payload string)
		gone   bool
		reason string
	}{
		{name: "only invalid lines", refs: []string{"models--o--gone/blobs/x", "../outside", "/abs/path", "foo/blobs/x"}, gone: true},
		{name: "empty manifest", gone: true},
		{name: "no manifest", setup: func(t *testing.T, root, p string) { os.Remove(p + ".refs") }, reason: "no manifest"},
		{name: "symlinked manifest", setup: func(t *testing.T, root, p string) {
			os.Rename(p+".refs", p+".real")
			os.Symlink(filepath.Base(p)+".real", p+".refs")
		}, reason: "not a regular file"},
		{name: "symlinked lock", setup: func(t *testing.T, root, p string) {
			os.Remove(p + ".lock")
			os.WriteFile(p+".other", nil, 0o666)
			os.Symlink(filepath.Base(p)+".other", p+".lock")
		}, reason: "cannot open the lock"},
		{name: "soft lock", setup: func(t *testing.T, root, p string) { os.WriteFile(p+".lock.soft", nil, 0o666) }, reason: "soft lock"},
		{name: "live link listed", refs: []string{"models--o--a/blobs/e"}, setup: func(t *testing.T, root, p string) {
			link(t, root, "models--o--a", p)
		}, reason: "still referenced by 1"},
		{name: "live link not listed", setup: func(t *testing.T, root, p string) {
			link(t, root, "weird-folder", p)
		}, reason: "still referenced by 1"},
		{name: "kernel link listed", refs: []string{"kernels--o--k/blobs/e"}, setup: func(t *testing.T, root, p string) {
			link(t, root, "kernels--o--k", p)
		}, reason: "still referenced"},
		{name: "unreadable line target", refs: []string{"models--o--a/blobs/e"}, setup: func(t *testing.T, root, p string) {
			// models--o--a is a file: ENOTDIR while checking the line is doubt.
			os.WriteFile(filepath.Join(root, "models--o--a"), nil, 0o644)
		}, reason: "cannot check reference"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root, p := storeRoot(t, tc.refs...)
			if tc.setup != nil {
				tc.setup(t, root, p)
			}
			res := sweepOne(t, root, p)
			_, err := os.Lstat(p)
			gone := errors.Is(err, os.ErrNotExist)
			if gone != tc.gone {
				t.Fatalf("payload gone = %v, want %v (result %+v)", gone, tc.gone, res)
			}
			if tc.gone {
				if len(res.Removed) != 1 || res.Removed[0].Size != 5 || res.Removed[0].Kind != "payload" {
					t.Errorf("removed %+v, want the 5-byte payload", res.Removed)
				}
				if _, err := os.Lstat(p + ".refs"); !errors.Is(err, os.ErrNotExist) {
					t.Errorf("manifest left behind")
				}
				if _, err := os.Lstat(p + ".lock"); err != nil {
					t.Errorf("lock file removed: %v", err)
				}
				return
			}
			if len(res.KeptPayloads) != 1 || !strings.Contains(res.KeptPayloads[0].Reason, tc.reason) {
				t.Errorf("kept %+v, want reason containing %q", res.KeptPayloads, tc.reason)
			}
		})
	}
}

// link makes <root>/<folder>/blobs/e a relative link to payload.
func link(t *testing.T, root, folder, payload string) {
	t.Helper()
	dir := filepath.Join(root, folder, "blobs")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	rel, _ := filepath.Rel(dir, payload)
	if err := os.Symlink(rel, filepath.Join(dir, "e")); err != nil {
		t.Fatal(err)
	}
}

func TestExecuteRefusesBadShapes(t *testing.T) {
	root, p := storeRoot(t)
	for _, d := range []*Deletion{
		{Payloads: []string{filepath.Join(root, "blobs", "ab", hashA)}},                   // wrong prefix
		{Payloads: []string{filepath.Join(root, "models--o--a", "blobs", hashA)}},         // not in the store
		{Files: []string{filepath.Join(root, "models--o--a", "refs", "x", "y")}},          // not under snapshots
		{Files: []string{filepath.Join(root, "models--o--a", "snapshots", "c")}},          // a snapshot, not an entry
		{Incomplete: []string{filepath.Join(root, "models--o--a", "blobs", "x")}},         // not *.incomplete
		{Leftovers: []string{filepath.Join(root, "models--o--a", "blobs", "x")}},          // not a leftover kind
		{Leftovers: []string{filepath.Join(root, "models--o--a", "trees", "x")}},          // not a .json listing
		{Leftovers: []string{filepath.Join(root, ".locks", "a", "b")}},                    // too deep
		{Leftovers: []string{filepath.Join(root, "models--o--a", ".no_exist", "c", "f")}}, // inside a commit
	} {
		d.Root = root
		_, err := d.Execute()
		var pe *PathError
		if !errors.As(err, &pe) {
			t.Errorf("Execute(%+v) = %v, want a *PathError", d, err)
		}
	}
	if _, err := os.Lstat(p); err != nil {
		t.Errorf("payload touched: %v", err)
	}
}

// TestLeftoversBeforeWholeRepo: an interrupted download and a leftover of a
// repo removed whole are removed (and measured) before the folder goes.
func TestLeftoversBeforeWholeRepo(t *testing.T) {
	c, err := cachetest.Parse(`repo model o/a
rev 1111111111111111111111111111111111111111
file x "x"
incomplete abc size=50
noexist 2222222222222222222222222222222222222222 y
`)
	if err != nil {
		t.Fatal(err)
	}
	root := filepath.Join(t.TempDir(), "hub")
	cachetest.Build(t, root, c)
	root, _ = filepath.EvalSymlinks(root)
	repo := filepath.Join(root, "models--o--a")
	inc := filepath.Join(repo, "blobs", "abc.incomplete")
	ne := filepath.Join(repo, ".no_exist", "2222222222222222222222222222222222222222")
	res, err := (&Deletion{Root: root, Repos: []string{repo}, Incomplete: []string{inc}, Leftovers: []string{ne}}).Execute()
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, r := range res.Removed {
		kinds = append(kinds, r.Kind)
		if r.Kind == "incomplete" && r.Size != 50 {
			t.Errorf("incomplete measured %d bytes, want 50", r.Size)
		}
	}
	if strings.Join(kinds, ",") != "incomplete,leftover,repo" || len(res.Missing) != 0 {
		t.Errorf("removed %v missing %v, want incomplete,leftover,repo and nothing missing", kinds, res.Missing)
	}
}
