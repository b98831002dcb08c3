package cache

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// tree builds entries under root. Keys are '/'-separated paths; values are
// "file:<content>", "link:<target>", "dir:" or "fifo:".
func tree(t *testing.T, root string, entries map[string]string) {
	t.Helper()
	keys := make([]string, 0, len(entries))
	for k := range entries {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		p := filepath.Join(root, filepath.FromSlash(k))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		kind, val, _ := strings.Cut(entries[k], ":")
		var err error
		switch kind {
		case "file":
			err = os.WriteFile(p, []byte(val), 0o644)
		case "link":
			err = os.Symlink(val, p)
		case "dir":
			err = os.MkdirAll(p, 0o755)
		case "fifo":
			err = mkfifo(t, p, 0o644)
		default:
			t.Fatalf("bad entry %q", entries[k])
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}

type result struct {
	repos      map[string]*Repo
	warnings   []Warning
	incomplete []Incomplete
	payloads   []Payload
	summary    Summary
}

func scanTree(t *testing.T, root string) *result {
	t.Helper()
	res := &result{repos: map[string]*Repo{}}
	sum, err := Scan(root, Options{Jobs: 2}, Handler{
		Repo:       func(r *Repo) error { res.repos[r.Folder] = r; return nil },
		Warning:    func(w Warning) error { res.warnings = append(res.warnings, w); return nil },
		Incomplete: func(in Incomplete) error { res.incomplete = append(res.incomplete, in); return nil },
		Payload:    func(p Payload) error { res.payloads = append(res.payloads, p); return nil },
	})
	if err != nil {
		t.Fatalf("Scan: %v", err)
	}
	res.summary = sum
	return res
}

func newRoot(t *testing.T) string {
	root, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return root
}

const (
	h1 = "1111111111111111111111111111111111111111"
	h2 = "2222222222222222222222222222222222222222"
	h3 = "3333333333333333333333333333333333333333"
)

func hasMessage(ws []Warning, sub string) bool {
	for _, w := range ws {
		if strings.Contains(w.Message, sub) {
			return true
		}
	}
	return false
}

func TestScanHealthyRepo(t *testing.T) {
	root := newRoot(t)
	tree(t, root, map[string]string{
		"models--org--a/blobs/aaa":                      "file:hello",
		"models--org--a/blobs/bbb":                      "file:hi",
		"models--org--a/blobs/orphan":                   "file:orphan!",
		"models--org--a/refs/main":                      "file:" + h1,
		"models--org--a/refs/refs/pr/1":                 "file:" + h2,
		"models--org--a/snapshots/" + h1 + "/x.txt":     "link:../../blobs/aaa",
		"models--org--a/snapshots/" + h1 + "/d/y.txt":   "link:../../../blobs/bbb",
		"models--org--a/snapshots/" + h1 + "/z.txt":     "link:../../blobs/aaa",
		"models--org--a/snapshots/" + h2 + "/x.txt":     "link:../../blobs/aaa",
		"models--org--a/snapshots/" + h2 + "/.DS_Store": "file:mac",
		"models--org--a/.no_exist/" + h1 + "/missing":   "file:",
		"CACHEDIR.TAG":                   "file:Signature: 8a477f597d28d172789f06886806bc55",
		".locks/models--org--a/aaa.lock": "file:",
		".DS_Store":                      "file:",
	})
	res := scanTree(t, root)
	if len(res.warnings) != 0 {
		t.Fatalf("warnings = %v, want none", res.warnings)
	}
	r := res.repos["models--org--a"]
	if r == nil || r.Damaged() || r.Type != Model || r.ID != "org/a" {
		t.Fatalf("repo = %+v", r)
	}
	if len(r.Revisions) != 2 || len(r.Revisions[0].Files) != 3 || len(r.Revisions[1].Files) != 2 {
		t.Fatalf("revisions = %+v", r.Revisions)
	}
	if len(r.Blobs) != 4 { // aaa, bbb, orphan, .DS_Store copy
		t.Errorf("%d blobs, want 4: %+v", len(r.Blobs), r.Blobs)
	}
	names := map[string]int{}
	for _, ref := range r.Refs {
		names[ref.Name] = ref.Revision
	}
	if names["main"] != 0 || names["refs/pr/1"] != 1 || len(names) != 2 {
		t.Errorf("refs = %+v", r.Refs)
	}
	f := r.Revisions[0].Files
	sort.Slice(f, func(i, j int) bool { return f[i].RelPath < f[j].RelPath })
	if f[0].RelPath != "d/y.txt" || r.Blobs[f[0].Blob].Path != filepath.Join(root, "models--org--a/blobs/bbb") {
		t.Errorf("nested file = %+v", f[0])
	}
	if r.Blobs[f[1].Blob].Path != r.Blobs[f[2].Blob].Path {
		t.Errorf("x.txt and z.txt should share one blob")
	}
}

func TestScanDamagedRepos(t *testing.T) {
	for _, tc := range []struct {
		name    string
		entries map[string]string
		want    string
	}{
		{"broken link", map[string]string{"snapshots/" + h1 + "/f": "link:../../blobs/nope"}, "blob missing"},
		{"loop self", map[string]string{"snapshots/" + h1 + "/f": "link:f"}, "symlink loop"},
		{"loop pair", map[string]string{"snapshots/" + h1 + "/a": "link:b", "snapshots/" + h1 + "/b": "link:a"}, "symlink loop"},
		{"dangling ref", map[string]string{"snapshots/" + h1 + "/": "dir:", "refs/main": "file:" + h2}, "missing commit"},
		{"ref not utf8", map[string]string{"snapshots/" + h1 + "/": "dir:", "refs/main": "file:\xff\xfe"}, "not valid UTF-8"},
		{"ref huge", map[string]string{"snapshots/" + h1 + "/": "dir:", "refs/main": "file:" + strings.Repeat("a", 5000)}, "larger than"},
		{"refs is file", map[string]string{"snapshots/" + h1 + "/": "dir:", "refs": "file:x"}, "refs directory cannot be a file"},
		{"ref dangling link", map[string]string{"snapshots/" + h1 + "/": "dir:", "refs/main": "link:nowhere"}, "dangling symlink"},
		{"no snapshots", map[string]string{"refs/main": "file:" + h1}, "snapshots folder is missing"},
		{"file in snapshots", map[string]string{"snapshots/oops": "file:x"}, "found a file"},
		{"revision symlink", map[string]string{"snapshots/" + h1: "link:/"}, "not followed"},
		{"revision dangling", map[string]string{"snapshots/" + h1: "link:/nonexistent-hfidx"}, "dangling symlink"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := newRoot(t)
			entries := map[string]string{}
			for k, v := range tc.entries {
				entries["models--org--x/"+k] = v
			}
			tree(t, root, entries)
			res := scanTree(t, root)
			r := res.repos["models--org--x"]
			if r == nil {
				t.Fatalf("repo not listed; warnings %v", res.warnings)
			}
			if !r.Damaged() || !hasMessage(r.Problems, tc.want) {
				t.Errorf("problems = %v, want one containing %q", r.Problems, tc.want)
			}
			for _, w := range r.Problems {
				if !strings.HasPrefix(w.Path, "models--org--x") {
					t.Errorf("warning %q does not name the entry", w)
				}
			}
		})
	}
}

// TestScanNotes covers entries huggingface_hub accepts (or should) that
// hfidx reports without marking the repo damaged.
func TestScanNotes(t *testing.T) {
	outside := newRoot(t)
	tree(t, outside, map[string]string{"secret.bin": "file:0123456789"})
	for _, tc := range []struct {
		name    string
		entries map[string]string
		want    string
		files   int
	}{
		{"trailing newline", map[string]string{"snapshots/" + h1 + "/": "dir:", "refs/main": "file:" + h1 + "\n"}, "ends with a newline", 0},
		{"tmp ref", map[string]string{"snapshots/" + h1 + "/": "dir:", "refs/main.1a2b3c4d.tmp": "file:" + h3}, "temporary file", 0},
		{"outside link", map[string]string{"snapshots/" + h1 + "/f": "link:" + filepath.Join(outside, "secret.bin")}, "links outside its repo", 1},
		{"dir link", map[string]string{"snapshots/" + h1 + "/d": "link:/", "snapshots/" + h1 + "/g": "file:x"}, "symlink to a directory", 1},
		{"fifo", map[string]string{"snapshots/" + h1 + "/p": "fifo:"}, "FIFO", 1},
		{"incomplete dir", map[string]string{"snapshots/" + h1 + "/": "dir:", "blobs/x.incomplete/": "dir:"}, "directory named like", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := newRoot(t)
			entries := map[string]string{}
			for k, v := range tc.entries {
				entries["models--org--x/"+k] = v
			}
			tree(t, root, entries)
			res := scanTree(t, root)
			r := res.repos["models--org--x"]
			if r == nil || r.Damaged() {
				t.Fatalf("repo = %+v, want listed and healthy", r)
			}
			if !hasMessage(r.Notes, tc.want) {
				t.Errorf("notes = %v, want one containing %q", r.Notes, tc.want)
			}
			if n := len(r.Revisions[0].Files); n != tc.files {
				t.Errorf("%d files, want %d", n, tc.files)
			}
		})
	}
}

func TestScanTopLevel(t *testing.T) {
	root := newRoot(t)
	tree(t, root, map[string]string{
		"models--org--a/snapshots/" + h1 + "/":     "dir:",
		"kernels--org--k/snapshots/" + h1 + "/":    "dir:",
		"modelx--foo/snapshots/" + h1 + "/":        "dir:",
		"not-a-repo/":                              "dir:",
		"stray.txt":                                "file:x",
		"models--alias":                            "link:models--org--a",
		"models--gone":                             "link:models--nope",
		"not-a-repo/blobs/x.incomplete":            "file:12345",
		"models--org--a/blobs/y.123abc.incomplete": "file:123",
	})
	res := scanTree(t, root)
	if r := res.repos["kernels--org--k"]; r == nil || r.Type != Kernel || r.Damaged() {
		t.Errorf("kernel repo = %+v", r)
	}
	if r := res.repos["models--alias"]; r == nil || r.Link != "models--org--a" || !r.Damaged() || len(r.Revisions) != 0 {
		t.Errorf("symlinked repo = %+v", r)
	}
	if r := res.repos["models--gone"]; r == nil || !hasMessage(r.Problems, "dangling") {
		t.Errorf("dangling repo link = %+v", r)
	}
	warned := map[string]bool{}
	for _, w := range res.warnings {
		warned[w.Entry] = true
	}
	for _, e := range []string{"modelx--foo", "not-a-repo", "stray.txt"} {
		if !warned[e] {
			t.Errorf("no warning for %s: %v", e, res.warnings)
		}
	}
	if res.repos["modelx--foo"] != nil {
		t.Errorf("modelx--foo listed as a repo")
	}
	if len(res.incomplete) != 1 || res.incomplete[0].Stat.Size != 5 {
		t.Errorf("top-level incomplete = %+v", res.incomplete)
	}
	if r := res.repos["models--org--a"]; len(r.Incomplete) != 1 || r.Incomplete[0].Stat.Size != 3 {
		t.Errorf("repo incomplete = %+v", r.Incomplete)
	}
}

func TestScanSharedStore(t *testing.T) {
	root := newRoot(t)
	hash := strings.Repeat("ab", 32)
	orphan := strings.Repeat("cd", 32)
	tree(t, root, map[string]string{
		"blobs/.huggingface-shared-blobs":          "file:1\n",
		"blobs/ab/" + hash:                         "file:0123456789",
		"blobs/ab/" + hash + ".refs":               "file:models--o--a/blobs/e1\nmodels--o--b/blobs/e1\n",
		"blobs/ab/" + hash + ".lock":               "file:",
		"blobs/cd/" + orphan:                       "file:xyz",
		"blobs/cd/" + orphan + ".refs":             "file:",
		"models--o--a/blobs/e1":                    "link:../../blobs/ab/" + hash,
		"models--o--a/snapshots/" + h1 + "/w.bin":  "link:../../blobs/e1",
		"models--o--b/blobs/e1":                    "link:../../blobs/ab/" + hash,
		"models--o--b/snapshots/" + h2 + "/w.bin":  "link:../../blobs/e1",
		"models--o--c/snapshots/" + h3 + "/direct": "link:../../../blobs/ab/" + hash,
	})
	res := scanTree(t, root)
	if !res.summary.Store || len(res.warnings) != 0 {
		t.Fatalf("store = %v, warnings = %v", res.summary.Store, res.warnings)
	}
	if len(res.payloads) != 2 {
		t.Fatalf("payloads = %+v", res.payloads)
	}
	for _, name := range []string{"models--o--a", "models--o--b"} {
		r := res.repos[name]
		b := r.Blobs[r.Revisions[0].Files[0].Blob]
		if b.Path != filepath.Join(root, name, "blobs/e1") || b.Payload != filepath.Join(root, "blobs/ab", hash) || b.Stat.Size != 10 {
			t.Errorf("%s blob = %+v, want first hop with payload", name, b)
		}
	}
	r := res.repos["models--o--c"]
	if b := r.Blobs[r.Revisions[0].Files[0].Blob]; b.Payload == "" || b.Kind != BlobExternal {
		t.Errorf("direct store link = %+v", b)
	}

	// Without the marker the folder is foreign: a warning, no payloads.
	if err := os.WriteFile(filepath.Join(root, "blobs/.huggingface-shared-blobs"), []byte("2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	res = scanTree(t, root)
	if res.summary.Store || len(res.payloads) != 0 || !hasMessage(res.warnings, "without the shared-store marker") {
		t.Errorf("unmarked store: store=%v payloads=%d warnings=%v", res.summary.Store, len(res.payloads), res.warnings)
	}
}

func TestScanPermissionDenied(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("running as root: permission bits do not stop root")
	}
	root := newRoot(t)
	tree(t, root, map[string]string{
		"models--o--a/snapshots/" + h1 + "/f": "file:x",
		"models--o--a/refs/main":              "file:" + h1,
		"models--o--b/snapshots/" + h1 + "/f": "file:x",
	})
	if err := os.Chmod(filepath.Join(root, "models--o--a/refs/main"), 0); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(filepath.Join(root, "models--o--b/snapshots"), 0); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(filepath.Join(root, "models--o--b/snapshots"), 0o755) })
	res := scanTree(t, root)
	if r := res.repos["models--o--a"]; !hasMessage(r.Problems, "permission denied") {
		t.Errorf("unreadable ref: %v", r.Problems)
	}
	if r := res.repos["models--o--b"]; !hasMessage(r.Problems, "permission denied") {
		t.Errorf("unreadable snapshots: %v", r.Problems)
	}
}
