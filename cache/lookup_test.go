package cache

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/hfidx/hfidx/cache/reftest"
)

// lookupSpec holds every case of hf-cache.md §6.1: a repo with main and
// refs/pr/1, a .no_exist marker at main's commit and at a commit only
// reachable by hash, a repo downloaded by commit hash only, a kernel repo.
const lookupSpec = `
repo model org/a
  rev 1111111111111111111111111111111111111111
    file config.json "{}"
    file sub/w.bin "weights"
  rev 2222222222222222222222222222222222222222
    file config.json "{\"pr\": 1}"
  rev 3333333333333333333333333333333333333333
    file old.txt "old"
  ref main 1111111111111111111111111111111111111111
  ref refs/pr/1 2222222222222222222222222222222222222222
  ref crlf "2222222222222222222222222222222222222222\r\n"
  noexist 1111111111111111111111111111111111111111 missing.json
  noexist 3333333333333333333333333333333333333333 gone.txt
repo model hashonly
  rev 4444444444444444444444444444444444444444
    file config.json "{}"
repo dataset org/d
  rev 5555555555555555555555555555555555555555
    file data.csv "a,b"
  ref main 5555555555555555555555555555555555555555
repo kernel org/k
  rev 6666666666666666666666666666666666666666
    file build.toml "k"
  ref main 6666666666666666666666666666666666666666
`

func TestLookup(t *testing.T) {
	root := buildSpec(t, lookupSpec)
	snap := func(folder, rev, file string) string {
		return root + "/" + folder + "/snapshots/" + rev + "/" + file
	}
	const h1, h2, h3, h4 = "1111111111111111111111111111111111111111", "2222222222222222222222222222222222222222",
		"3333333333333333333333333333333333333333", "4444444444444444444444444444444444444444"
	tests := []struct {
		typ        RepoType
		repo, file string
		rev        string
		status     LookupStatus
		path       string
		name       string
	}{
		{Model, "org/a", "config.json", "", LookupCached, snap("models--org--a", h1, "config.json"), "default revision"},
		{Model, "org/a", "config.json", "main", LookupCached, snap("models--org--a", h1, "config.json"), "explicit main"},
		{Model, "org/a", "sub/w.bin", "main", LookupCached, snap("models--org--a", h1, "sub/w.bin"), "nested file"},
		{Model, "org/a", "config.json", "refs/pr/1", LookupCached, snap("models--org--a", h2, "config.json"), "PR ref"},
		{Model, "org/a", "config.json", h2, LookupCached, snap("models--org--a", h2, "config.json"), "commit hash"},
		{Model, "org/a", "unknown.txt", "", LookupNotCached, "", "unknown file"},
		{Model, "org/a", "config.json", "aaa", LookupNotCached, "", "unknown revision"},
		{Model, "org/a", "config.json", h1[:8], LookupNotCached, "", "short hash: no prefix matching"},
		{Model, "org/a", "old.txt", "main", LookupNotCached, "", "no fallback to another revision"},
		{Model, "org/none", "config.json", "", LookupNotCached, "", "unknown repo"},
		{Model, "org/a", "missing.json", "", LookupNoExist, "", ".no_exist for the default branch"},
		{Model, "org/a", "missing.json", "main", LookupNoExist, "", ".no_exist for main"},
		{Model, "org/a", "gone.txt", h3, LookupNoExist, "", ".no_exist for a commit hash"},
		{Model, "org/a", "missing.json", "refs/pr/1", LookupNotCached, "", ".no_exist of another commit"},
		{Model, "org/a", "config.json", "crlf", LookupNotCached, "", "ref with CRLF: verbatim content, newline kept"},
		{Model, "hashonly", "config.json", "", LookupNotCached, "", "hash-only repo, no revision: no refs/main"},
		{Model, "hashonly", "config.json", h4, LookupCached, snap("models--hashonly", h4, "config.json"), "hash-only repo by hash"},
		{Dataset, "org/d", "data.csv", "", LookupCached, snap("datasets--org--d", "5555555555555555555555555555555555555555", "data.csv"), "dataset"},
		{Model, "org/d", "data.csv", "", LookupNotCached, "", "dataset looked up as a model"},
		{Kernel, "org/k", "build.toml", "", LookupCached, snap("kernels--org--k", "6666666666666666666666666666666666666666", "build.toml"), "kernel"},
		{Model, "org/a", "sub", "", LookupNotCached, "", "a directory is not a file"},
		{Model, "org/a", "", "", LookupNotCached, "", "empty filename"},
	}
	for _, tt := range tests {
		got, err := Lookup(root, tt.typ, tt.repo, tt.file, tt.rev)
		if err != nil || got.Status != tt.status || got.Path != tt.path {
			t.Errorf("%s: Lookup(%s, %q, %q, %q) = %+v, %v; want %s %q", tt.name, tt.typ, tt.repo, tt.file, tt.rev, got, err, tt.status, tt.path)
		}
	}
}

func TestLookupRefusesEscapes(t *testing.T) {
	root := buildSpec(t, lookupSpec)
	for _, c := range []struct{ file, rev, what string }{
		{"../../refs/main", "", "filename"}, // the library answers _CACHED_NO_EXIST here
		{"a/../b", "", "filename"},
		{"/etc/passwd", "", "filename"},
		{"config.json", "../x", "revision"},
		{"config.json", "/tmp", "revision"},
	} {
		_, err := Lookup(root, Model, "org/a", c.file, c.rev)
		var ue *UnsafePathError
		if !errors.As(err, &ue) || ue.What != c.what {
			t.Errorf("Lookup(%q, %q) error = %v, want an UnsafePathError on the %s", c.file, c.rev, err, c.what)
		}
	}
	// A ref whose content escapes is refused too, not followed.
	os.WriteFile(filepath.Join(root, "models--org--a", "refs", "evil"), []byte("../../x"), 0o644)
	var ue *UnsafePathError
	if _, err := Lookup(root, Model, "org/a", "config.json", "evil"); !errors.As(err, &ue) || ue.What != "ref evil" {
		t.Errorf("Lookup(ref ../../x) error = %v, want an UnsafePathError on the ref", err)
	}
	// "a..b" is an ordinary name.
	if got, err := Lookup(root, Model, "org/a", "a..b", ""); err != nil || got.Status != LookupNotCached {
		t.Errorf("Lookup(a..b) = %+v, %v; want not cached", got, err)
	}
}

// TestLookupReference holds Lookup against every try_to_load_from_cache
// answer recorded on the cache the real client wrote.
func TestLookupReference(t *testing.T) {
	hub, ref := reftest.Load(t, "client-written")
	if len(ref.Lookups) == 0 {
		t.Fatal("no lookups in the reference")
	}
	for _, l := range ref.Lookups {
		typ := Model
		if l.RepoType != nil {
			typ = RepoType(*l.RepoType)
		}
		rev := ""
		if l.Revision != nil {
			rev = *l.Revision
		}
		got, err := Lookup(hub, typ, l.RepoID, l.Filename, rev)
		want := LookupResult{Status: LookupNotCached}
		switch {
		case l.Result == nil:
		case *l.Result == "NO_EXIST":
			want.Status = LookupNoExist
		default:
			want = LookupResult{Status: LookupCached, Path: hub + "/" + *l.Result}
		}
		if err != nil || got != want {
			t.Errorf("Lookup(%s, %q, %q, %q) = %+v, %v; the library says %+v", typ, l.RepoID, l.Filename, rev, got, err, want)
		}
	}
}
