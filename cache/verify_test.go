package cache

import (
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/hfidx/hfidx/cache/cachetest"
)

func sha256Hex(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

func gitSHA1(s string) string {
	h := sha1.New()
	fmt.Fprintf(h, "blob %d\x00%s", len(s), s)
	return hex.EncodeToString(h.Sum(nil))
}

func TestNameAlgo(t *testing.T) {
	tests := []struct {
		name string
		want Algo
	}{
		{sha256Hex("x"), SHA256},
		{gitSHA1("x"), GitSHA1},
		{strings.ToUpper(sha256Hex("x")), ""},
		{sha256Hex("x")[:63], ""},
		{gitSHA1("x") + "0", ""},
		{`W/"abc"`, ""},
		{"", ""},
		{strings.Repeat("g", 40), ""},
	}
	for _, tt := range tests {
		if got := NameAlgo(tt.name); got != tt.want {
			t.Errorf("NameAlgo(%q) = %q, want %q", tt.name, got, tt.want)
		}
	}
}

// buildSpec writes a cachetest text spec under a fresh root and returns
// the root.
func buildSpec(t *testing.T, spec string) string {
	t.Helper()
	c, err := cachetest.Parse(spec)
	if err != nil {
		t.Fatal(err)
	}
	root := newRoot(t)
	cachetest.Build(t, root, c)
	return root
}

// verifyAll scans root and verifies every repo.
func verifyAll(t *testing.T, root string, known map[DigestKey]string) *VerifyReport {
	t.Helper()
	res := scanTree(t, root)
	var folders []string
	for f := range res.repos {
		folders = append(folders, f)
	}
	sort.Strings(folders)
	var ts []VerifyTarget
	for _, f := range folders {
		ts = append(ts, VerifyTarget{Repo: res.repos[f]})
	}
	return Verify(ts, VerifyOptions{Jobs: 2, Known: known})
}

// kinds summarises problems as "kind file-or-base" strings, sorted.
func kinds(rep *VerifyReport) []string {
	var out []string
	for _, p := range rep.Problems {
		what := p.File
		if what == "" {
			what = filepath.Base(p.Path)
		}
		out = append(out, p.Kind+" "+what)
	}
	sort.Strings(out)
	return out
}

const goodSpec = `
repo model org/a
  rev 1111111111111111111111111111111111111111
    file config.json "{\"a\": 1}"
    file model.bin "0123456789abcdef" lfs
    file sub/tok.json "tokens"
  ref main 1111111111111111111111111111111111111111
  tree 1111111111111111111111111111111111111111
repo space org/s
  rev 2222222222222222222222222222222222222222
    copy app.py "print(1)\n"
    copy weights.bin "0123456789" lfs
  tree 2222222222222222222222222222222222222222
repo model org/shared-a
  rev 3333333333333333333333333333333333333333
    shared big.bin "shared payload bytes"
repo model org/shared-b
  rev 4444444444444444444444444444444444444444
    shared big.bin "shared payload bytes"
`

func TestVerifyGood(t *testing.T) {
	root := buildSpec(t, goodSpec)
	rep := verifyAll(t, root, nil)
	if len(rep.Problems) != 0 {
		t.Fatalf("problems on a good cache: %+v", rep.Problems)
	}
	// org/a: 3 blobs by name; org/s: 2 copies through the tree; the shared
	// payload through both repo entries, read once.
	if rep.Hashed != 6 || rep.Checked != 6 || rep.Reused != 0 {
		t.Errorf("hashed %d, checked %d, reused %d; want 6, 6, 0", rep.Hashed, rep.Checked, rep.Reused)
	}
	if rep.Trees != 2 || rep.Repos != 4 || rep.Revisions != 4 {
		t.Errorf("trees %d, repos %d, revisions %d; want 2, 4, 4", rep.Trees, rep.Repos, rep.Revisions)
	}
	if len(rep.Unverifiable) != 0 {
		t.Errorf("unverifiable: %+v", rep.Unverifiable)
	}
	if len(rep.Digests) != 6 {
		t.Errorf("%d digests to keep, want 6", len(rep.Digests))
	}
	var sharedBytes int64
	for _, d := range rep.Digests {
		if d.Key.Algo == SHA256 && d.Hex == sha256Hex("shared payload bytes") {
			sharedBytes += d.Key.Size
		}
	}
	if sharedBytes != int64(len("shared payload bytes")) {
		t.Errorf("the shared payload was hashed for %d bytes, want once (%d)", sharedBytes, len("shared payload bytes"))
	}
}

func TestVerifyDamage(t *testing.T) {
	root := buildSpec(t, goodSpec+`
repo model org/plain
  rev 5555555555555555555555555555555555555555
    file data.bin "abcdefghij" lfs
    file empty.json "{}"
    copy notes.txt "a real file without a listing"
  orphan "old etag content"
  extra file models--org--plain/blobs/not-a-hash "whatever"
  extra fifo models--org--plain/blobs/`+gitSHA1("a fifo")+`
`)
	a := filepath.Join(root, "models--org--a")
	write := func(p, s string) {
		t.Helper()
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// A corrupted git blob (same size), a truncated LFS blob (the tree
	// gives its size), a missing and an extra snapshot file.
	write(filepath.Join(a, "blobs", gitSHA1(`{"a": 1}`)), `{"a": 2}`)
	write(filepath.Join(a, "blobs", sha256Hex("0123456789abcdef")), "01234")
	snap := filepath.Join(a, "snapshots", "1111111111111111111111111111111111111111")
	if err := os.Remove(filepath.Join(snap, "sub", "tok.json")); err != nil {
		t.Fatal(err)
	}
	write(filepath.Join(snap, "added.txt"), "not in the tree")
	// A real file of a no-symlink snapshot differing from its listing.
	write(filepath.Join(root, "spaces--org--s", "snapshots", "2222222222222222222222222222222222222222", "app.py"), "print(2)\n")
	// The shared payload, corrupted: seen through both repo entries.
	payload := filepath.Join(root, "models--org--shared-a", "blobs", sha256Hex("shared payload bytes"))
	target, err := filepath.EvalSymlinks(payload)
	if err != nil {
		t.Fatal(err)
	}
	os.Chmod(target, 0o644)
	write(target, "shared payload BYTES")
	// Without a listing: an emptied blob is truncated, a shorter one a
	// mismatch.
	plain := filepath.Join(root, "models--org--plain", "blobs")
	write(filepath.Join(plain, sha256Hex("abcdefghij")), "")
	write(filepath.Join(plain, gitSHA1("{}")), "{")

	rep := verifyAll(t, root, nil)
	want := []string{
		"extra added.txt",
		"mismatch " + gitSHA1("{}"),
		"mismatch " + gitSHA1(`{"a": 1}`),
		"mismatch " + sha256Hex("shared payload bytes"),
		"mismatch " + sha256Hex("shared payload bytes"),
		"mismatch app.py",
		"missing sub/tok.json",
		"truncated " + sha256Hex("0123456789abcdef"),
		"truncated " + sha256Hex("abcdefghij"),
	}
	sort.Strings(want)
	if got := kinds(rep); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for _, p := range rep.Problems {
		if p.Kind == ProblemTruncated && p.File == "" && strings.HasSuffix(p.Path, sha256Hex("0123456789abcdef")) {
			if p.Size == nil || *p.Size != 5 || p.ExpectedSize == nil || *p.ExpectedSize != 16 {
				t.Errorf("truncated blob: size %v of %v, want 5 of 16", p.Size, p.ExpectedSize)
			}
			if p.Actual != "" {
				t.Errorf("truncated blob was read (actual %q): the size alone tells", p.Actual)
			}
		}
		if p.Kind == ProblemMismatch && p.File == "app.py" && (p.Algo != GitSHA1 || p.Expected != gitSHA1("print(1)\n") || p.Actual != gitSHA1("print(2)\n")) {
			t.Errorf("app.py: %s %s, got %s; want the listing's git SHA-1", p.Algo, p.Expected, p.Actual)
		}
	}
	var reasons []string
	for _, u := range rep.Unverifiable {
		reasons = append(reasons, filepath.Base(u.Path)+": "+u.Reason)
	}
	sort.Strings(reasons)
	wantU := []string{
		gitSHA1("a fifo") + ": not a regular file (FIFO); never read",
		"not-a-hash: blob name is neither a SHA-256 nor a git SHA-1",
		"notes.txt: a real file, and the commit has no tree listing",
	}
	if strings.Join(reasons, "\n") != strings.Join(wantU, "\n") {
		t.Errorf("unverifiable:\n%s\nwant:\n%s", strings.Join(reasons, "\n"), strings.Join(wantU, "\n"))
	}
	fatal := map[string]bool{ProblemMismatch: true}
	if !rep.Failed(fatal) || rep.Failed(map[string]bool{ProblemUnreadable: true}) {
		t.Errorf("Failed: wrong answer for %v", kinds(rep))
	}
}

func TestVerifyBrokenAndWrongBlob(t *testing.T) {
	root := buildSpec(t, `
repo model org/b
  rev 1111111111111111111111111111111111111111
    file a.txt "aaa"
    file b.txt "bbb"
  tree 1111111111111111111111111111111111111111
  corrupt broken-link
`)
	snap := filepath.Join(root, "models--org--b", "snapshots", "1111111111111111111111111111111111111111")
	// b.txt now links a.txt's blob: each blob is fine, the snapshot is not.
	os.Remove(filepath.Join(snap, "b.txt"))
	if err := os.Symlink("../../blobs/"+gitSHA1("aaa"), filepath.Join(snap, "b.txt")); err != nil {
		t.Fatal(err)
	}
	rep := verifyAll(t, root, nil)
	want := []string{"broken missing.bin", "extra missing.bin", "mismatch b.txt"}
	if got := kinds(rep); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("problems %v, want %v", got, want)
	}
	for _, p := range rep.Problems {
		if p.Kind == ProblemMismatch && (p.Expected != gitSHA1("bbb") || p.Actual != gitSHA1("aaa")) {
			t.Errorf("b.txt: expected %s actual %s", p.Expected, p.Actual)
		}
	}
}

func TestVerifyIncremental(t *testing.T) {
	root := buildSpec(t, goodSpec)
	first := verifyAll(t, root, nil)
	known := map[DigestKey]string{}
	for _, d := range first.Digests {
		known[d.Key] = d.Hex
	}
	second := verifyAll(t, root, known)
	if second.Hashed != 0 || second.Reused != first.Hashed || len(second.Problems) != 0 {
		t.Fatalf("second run: hashed %d, reused %d, problems %v; want 0, %d, none", second.Hashed, second.Reused, kinds(second), first.Hashed)
	}
	// A kept digest is trusted as long as the identity holds: a wrong one
	// shows that nothing was read.
	blob := filepath.Join(root, "models--org--a", "blobs", gitSHA1("tokens"))
	st, err := lstat(blob)
	if err != nil {
		t.Fatal(err)
	}
	lying := map[DigestKey]string{}
	for k, v := range known {
		lying[k] = v
	}
	lying[DigestKey{FileID: idOf(st), Algo: GitSHA1}] = gitSHA1("something else")
	if got := kinds(verifyAll(t, root, lying)); len(got) != 1 || got[0] != "mismatch "+gitSHA1("tokens") {
		t.Errorf("with a lying digest: %v, want one mismatch (the file is not read again)", got)
	}
	// A changed mtime is a new identity: that file alone is read again.
	later := time.Now().Add(time.Hour)
	if err := os.Chtimes(blob, later, later); err != nil {
		t.Fatal(err)
	}
	third := verifyAll(t, root, lying)
	if third.Hashed != 1 || len(third.Problems) != 0 || third.HashedBytes != int64(len("tokens")) {
		t.Errorf("after touching one blob: hashed %d (%d bytes), problems %v; want 1 (6 bytes), none",
			third.Hashed, third.HashedBytes, kinds(third))
	}
	if !third.Seen[DigestKey{FileID: FileID{Dev: st.Dev, Ino: st.Ino, Size: st.Size, Mtime: later.UnixNano()}, Algo: GitSHA1}] {
		t.Errorf("the new identity of the touched blob is not in Seen")
	}
}

func TestVerifyRevisionScope(t *testing.T) {
	root := buildSpec(t, `
repo model org/r
  rev 1111111111111111111111111111111111111111
    file a.txt "one"
  rev 2222222222222222222222222222222222222222
    file a.txt "two"
  orphan "orphan"
`)
	os.WriteFile(filepath.Join(root, "models--org--r", "blobs", gitSHA1("two")), []byte("TWO"), 0o644)
	os.WriteFile(filepath.Join(root, "models--org--r", "blobs", gitSHA1("orphan")), []byte("ORPHAN"), 0o644)
	r, err := ScanRepo(root, "models--org--r")
	if err != nil {
		t.Fatal(err)
	}
	rep := Verify([]VerifyTarget{{Repo: r, Revisions: []string{"1111111111111111111111111111111111111111"}}}, VerifyOptions{})
	if len(rep.Problems) != 0 || rep.Hashed != 1 || rep.Revisions != 1 {
		t.Errorf("revision 1111: problems %v, hashed %d, revisions %d; want none, 1, 1", kinds(rep), rep.Hashed, rep.Revisions)
	}
	rep = Verify([]VerifyTarget{{Repo: r}}, VerifyOptions{})
	if got := kinds(rep); len(got) != 2 {
		t.Errorf("whole repo: %v, want the revision 2222 blob and the orphan", got)
	}
	if _, err := ScanRepo(root, "models--org--none"); !os.IsNotExist(err) {
		t.Errorf("ScanRepo(missing) = %v, want not exist", err)
	}
}

func TestReadTreeListing(t *testing.T) {
	tests := []struct {
		name, content, err string
		files              int
	}{
		{"ok", `{"format_version": 1, "files": {"a": {"size": 1, "blob_id": "x"}}}`, "", 1},
		{"empty", `{"format_version": 1, "files": {}}`, "", 0},
		{"version 2", `{"format_version": 2, "files": {}}`, "unknown format_version", 0},
		{"no version", `{"files": {}}`, "unknown format_version", 0},
		{"no files", `{"format_version": 1}`, "no files", 0},
		{"corrupt", `{"format_version": 1, "files": `, "corrupt listing", 0},
		{"redacted", `{"format_version": 1, "files": {"a": {"size": 1, "blob_id": "x", "xet_hash": "` + strings.Repeat("*", 64) + `"}}}`, "invalid xet_hash", 0},
		{"escape", `{"format_version": 1, "files": {"../x": {"size": 1, "blob_id": "x"}}}`, "invalid path", 0},
	}
	for _, tt := range tests {
		repo := t.TempDir()
		os.MkdirAll(filepath.Join(repo, "trees"), 0o755)
		os.WriteFile(filepath.Join(repo, "trees", "c.json"), []byte(tt.content), 0o644)
		tl, err := ReadTreeListing(repo, "c")
		switch {
		case tt.err == "" && err != nil:
			t.Errorf("%s: ReadTreeListing = %v, want no error", tt.name, err)
		case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
			t.Errorf("%s: ReadTreeListing error = %v, want %q", tt.name, err, tt.err)
		case tt.err == "" && len(tl.Files) != tt.files:
			t.Errorf("%s: %d files, want %d", tt.name, len(tl.Files), tt.files)
		}
	}
	if _, err := ReadTreeListing(t.TempDir(), "c"); !os.IsNotExist(err) {
		t.Errorf("ReadTreeListing(no listing) = %v, want not exist", err)
	}
}

func TestTreeEntryExpect(t *testing.T) {
	n := int64(7)
	lfs := sha256Hex("x")
	tests := []struct {
		e    TreeEntry
		algo Algo
		dig  string
		size int64
	}{
		{TreeEntry{Size: 3, BlobID: gitSHA1("abc")}, GitSHA1, gitSHA1("abc"), 3},
		{TreeEntry{Size: 7, BlobID: gitSHA1("pointer"), LFSSHA256: lfs, LFSSize: &n}, SHA256, lfs, 7},
		{TreeEntry{Size: 7, BlobID: gitSHA1("pointer"), LFSSHA256: strings.ToUpper(lfs)}, SHA256, lfs, 7},
		{TreeEntry{Size: 7, BlobID: "nope"}, "", "", 7},
	}
	for _, tt := range tests {
		algo, dig, size := tt.e.Expect()
		if algo != tt.algo || dig != tt.dig || size != tt.size {
			t.Errorf("%+v.Expect() = %s %s %d, want %s %s %d", tt.e, algo, dig, size, tt.algo, tt.dig, tt.size)
		}
	}
}

func FuzzParseTreeListing(f *testing.F) {
	f.Add([]byte(`{"format_version": 1, "files": {"a/b": {"size": 1, "blob_id": "x", "lfs_sha256": "y", "lfs_size": 3}}}`))
	f.Add([]byte(`{"format_version": 1, "files": {"a": {"xet_hash": "zz"}}}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		files, err := parseTreeListing(b)
		if err != nil {
			return
		}
		for name, e := range files {
			if name == "" || strings.HasPrefix(name, "/") || hasDotDot(name) {
				t.Errorf("accepted path %q", name)
			}
			if algo, dig, _ := e.Expect(); algo != "" && NameAlgo(dig) != algo {
				t.Errorf("Expect() = %s %q: not a %s name", algo, dig, algo)
			}
		}
	})
}
