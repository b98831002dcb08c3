package cache

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzRefContent writes arbitrary bytes into a ref file and scans: the
// scan never fails or panics; content that is valid UTF-8 and at most
// maxRefSize bytes is the ref's target, one trailing "\n" (or "\r\n")
// stripped, and the repo is damaged exactly when that target is not its
// one snapshot; any other content is a problem naming the ref file.
func FuzzRefContent(f *testing.F) {
	for _, s := range []string{
		h1, h1 + "\n", h1 + "\r\n", h1 + "\n\n", "", "\n", "main", " " + h1, h2,
		"\xff\xfe", h1[:20] + "\xc3\x28", strings.Repeat("a", maxRefSize), strings.Repeat("a", maxRefSize+1),
		"\x00\x01\x02", "refs/heads/main", "../../../etc/passwd", "\u00e9\u4e2d",
	} {
		f.Add([]byte(s))
	}
	root, err := filepath.EvalSymlinks(f.TempDir())
	if err != nil {
		f.Fatal(err)
	}
	repo := filepath.Join(root, "models--org--x")
	if err := os.MkdirAll(filepath.Join(repo, "snapshots", h1), 0o755); err != nil {
		f.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(repo, "refs"), 0o755); err != nil {
		f.Fatal(err)
	}
	ref := filepath.Join(repo, "refs", "main")
	f.Fuzz(func(t *testing.T, content []byte) {
		if err := os.WriteFile(ref, content, 0o644); err != nil {
			t.Fatal(err)
		}
		var r *Repo
		_, err := Scan(root, Options{Jobs: 1}, Handler{Repo: func(x *Repo) error { r = x; return nil }})
		if err != nil || r == nil {
			t.Fatalf("Scan: %v, repo %v", err, r)
		}
		s := string(content)
		if !utf8.ValidString(s) || len(s) > maxRefSize {
			if len(r.Refs) != 0 || !r.Damaged() || r.Problems[0].Path != "models--org--x/refs/main" {
				t.Fatalf("content %q: refs %+v, problems %v; want no ref and a problem naming the file", s, r.Refs, r.Problems)
			}
			return
		}
		want := s
		if t, ok := strings.CutSuffix(s, "\n"); ok {
			want = strings.TrimSuffix(t, "\r")
		}
		if len(r.Refs) != 1 || r.Refs[0].Target != want {
			t.Fatalf("content %q: refs %+v, want one with target %q", s, r.Refs, want)
		}
		if r.Damaged() != (want != h1) {
			t.Fatalf("content %q: damaged = %v with target %q", s, r.Damaged(), want)
		}
	})
}
