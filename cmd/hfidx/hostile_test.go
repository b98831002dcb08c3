package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

const (
	hh1 = "1111111111111111111111111111111111111111"
	hh2 = "2222222222222222222222222222222222222222"
)

// mktree builds entries under root. Keys are '/'-separated paths; values
// are "file:<content>", "link:<target>", "dir:", "fifo:" or "socket:".
func mktree(t testing.TB, root string, entries map[string]string) {
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
			err = mkfifo(t, p)
		case "socket":
			err = mksocket(t, p)
		default:
			t.Fatalf("bad entry %q", entries[k])
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}

// contentState maps every entry under root to its type, size, link target
// and, for regular files, a digest of the bytes: what must not change when
// hfidx is told never to touch a tree. Times are left out (reading or
// stat'ing may move an atime).
func contentState(t *testing.T, root string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := os.Lstat(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		v := fi.Mode().String()
		switch {
		case fi.Mode()&fs.ModeSymlink != 0:
			tg, _ := os.Readlink(p)
			v += " -> " + tg
		case fi.Mode().IsRegular():
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			sum := sha256.Sum256(b)
			v += fmt.Sprintf(" %d %s", len(b), hex.EncodeToString(sum[:8]))
		}
		out[rel] = v
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func diffStates(a, b map[string]string) string {
	var d []string
	for k, v := range a {
		if b[k] != v {
			d = append(d, fmt.Sprintf("%s: %q -> %q", k, v, b[k]))
		}
	}
	for k, v := range b {
		if _, ok := a[k]; !ok {
			d = append(d, fmt.Sprintf("%s: new %q", k, v))
		}
	}
	sort.Strings(d)
	return strings.Join(d, "\n")
}

type cmdResult struct {
	code           int
	stdout, stderr string
}

func hfidx(args ...string) cmdResult {
	var out, errb bytes.Buffer
	code := run(args, strings.NewReader(""), &out, &errb)
	return cmdResult{code, out.String(), errb.String()}
}

// TestHostileCacheEveryCommand builds one cache holding every hostile
// entry of the issue at once, next to a healthy repo and a tree outside
// the cache that links point into (a FIFO among them: opening it would
// block), and runs every command on it. Each command ends with its
// documented exit code, JSON output stays valid JSON, each hostile entry
// is named by a warning, the outside tree never changes, and deleting
// every repo removes exactly the repo folders.
func TestHostileCacheEveryCommand(t *testing.T) {
	dir := t.TempDir()
	dir, _ = filepath.EvalSymlinks(dir)
	hub, outside, db := filepath.Join(dir, "hub"), filepath.Join(dir, "outside"), filepath.Join(dir, "index.db")
	mktree(t, outside, map[string]string{
		"secret.bin":    "file:0123456789",
		"dir/inner.txt": "file:inner",
		"pipe":          "fifo:",
	})
	out := func(p string) string { return filepath.Join(outside, p) }
	up := strings.Repeat("../", 16) + strings.TrimPrefix(out("secret.bin"), "/")
	long := "models--org--" + strings.Repeat("l", 255-len("models--org--"))
	odd := "models--org--caf\xe9"
	s1 := "/snapshots/" + hh1 + "/"
	entries := map[string]string{
		"models--org--ok" + s1 + "a.txt": "link:../../blobs/e1",
		"models--org--ok/blobs/e1":       "file:hello",
		"models--org--ok/refs/main":      "file:" + hh1,

		"models--org--loops" + s1 + "x": "link:x",
		"models--org--loops" + s1 + "a": "link:b",
		"models--org--loops" + s1 + "b": "link:a",
		"models--org--loops/refs/main":  "link:main",

		"models--org--escape" + s1 + "abs":                      "link:" + out("secret.bin"),
		"models--org--escape" + s1 + "up":                       "link:" + up,
		"models--org--escape" + s1 + "pipe":                     "link:" + out("pipe"),
		"models--org--escape" + s1 + "dir":                      "link:" + out("dir"),
		"models--org--escape/snapshots/" + hh2:                  "link:" + out("dir"),
		"models--org--escape/refs/main":                         "link:" + out("secret.bin"),
		"models--org--escape" + s1 + "hashed":                   "link:../../blobs/" + strings.Repeat("ab", 32),
		"models--org--escape/blobs/" + strings.Repeat("ab", 32): "link:" + out("secret.bin"),
		"models--org--escape/blobs/ext":                         "link:" + out("secret.bin"),

		"models--org--dangling/refs/main":           "link:nowhere",
		"models--org--dangling/snapshots/" + hh1:    "link:nowhere",
		"models--org--dangling/snapshots/" + hh2:    "dir:",
		"models--org--dangling/refs/refs/pr/1":      "file:" + hh2,
		"models--org--special" + s1 + "fifo":        "fifo:",
		"models--org--special" + s1 + "sock":        "socket:",
		"models--org--special" + s1 + "blobfifo":    "link:../../blobs/p",
		"models--org--special/blobs/p":              "fifo:",
		"models--org--special/refs/main":            "link:../p",
		"models--org--special/p":                    "fifo:",
		"models--org--special/refs/pr":              "fifo:",
		"models--org--refs" + s1 + "a.txt":          "link:../../blobs/e",
		"models--org--refs/blobs/e":                 "file:abc",
		"models--org--refs/refs/nl":                 "file:" + hh1 + "\n",
		"models--org--refs/refs/garbage":            "file:\x00\x01 zz\x7f",
		"models--org--refs/refs/badutf":             "file:\xc3\x28\xff",
		"models--org--refs/refs/huge":               "file:" + strings.Repeat(hh1, 1<<20/40+1),
		long + s1 + strings.Repeat("f", 255):        "link:../../blobs/" + strings.Repeat("e", 255),
		long + "/blobs/" + strings.Repeat("e", 255): "file:long",
		odd + s1 + "na\xefve\xff.txt":               "link:../../blobs/e",
		odd + "/blobs/e":                            "file:odd",
		odd + "/refs/main":                          "file:" + hh1,
		"models--org--a,b" + s1 + "c.txt":           "link:../../blobs/e",
		"models--org--a,b/blobs/e":                  "file:comma",
		"models--org--file":                         "file:not a folder",
		"models--org--fifo":                         "fifo:",
		"models--org--linkout":                      "link:" + outside,
		"models--org--selfloop":                     "link:models--org--selfloop",
		"models--org--gone":                         "link:nowhere",
		"models--org--up":                           "link:../../../../../../../../..",
	}
	mktree(t, hub, entries)
	outsideBefore := contentState(t, outside)
	g := []string{"--cache-dir", hub, "--db", db}

	r := hfidx(append([]string{"sync"}, g...)...)
	if r.code != exitOK {
		t.Fatalf("sync: exit %d: %s", r.code, r.stderr)
	}
	r = hfidx(append([]string{"scan", "--json", "--no-sync"}, g...)...)
	var rep struct {
		Repos []struct {
			RepoPath string `json:"repo_path"`
			Size     int64  `json:"size_on_disk"`
			Damaged  bool   `json:"damaged"`
		} `json:"repos"`
		Warnings []string `json:"warnings"`
	}
	if r.code != exitOK || json.Unmarshal([]byte(r.stdout), &rep) != nil {
		t.Fatalf("scan --json: exit %d, stdout not JSON: %.300s; stderr %s", r.code, r.stdout, r.stderr)
	}
	healthy := map[string]int64{}
	for _, x := range rep.Repos {
		if !x.Damaged {
			healthy[filepath.Base(x.RepoPath)] = x.Size
		}
	}
	if healthy["models--org--ok"] != 5 {
		t.Errorf("healthy repo: %v", healthy)
	}
	// Every hostile entry is named by a warning.
	for _, e := range []string{
		"models--org--loops" + s1 + "x", "models--org--loops" + s1 + "a", "models--org--loops/refs/main",
		"models--org--escape" + s1 + "abs", "models--org--escape" + s1 + "up", "models--org--escape" + s1 + "pipe",
		"models--org--escape" + s1 + "dir", "models--org--escape/snapshots/" + hh2, "models--org--escape/refs/main",
		"models--org--dangling/refs/main", "models--org--dangling/snapshots/" + hh1,
		"models--org--special" + s1 + "fifo", "models--org--special" + s1 + "sock", "models--org--special/blobs/p",
		"models--org--special/refs/main", "models--org--special/refs/pr",
		"models--org--refs/refs/nl", "models--org--refs/refs/garbage", "models--org--refs/refs/badutf", "models--org--refs/refs/huge",
		"models--org--file", "models--org--fifo", "models--org--linkout", "models--org--selfloop", "models--org--gone", "models--org--up",
	} {
		named := false
		for _, w := range rep.Warnings {
			if strings.HasPrefix(w, strings.TrimPrefix(e, "/")+":") {
				named = true
			}
		}
		if !named {
			t.Errorf("no warning names %s", e)
		}
	}

	// Every read command ends, with its exit code.
	for _, tc := range []struct {
		args []string
		code int
		json bool
	}{
		{[]string{"scan"}, exitOK, false},
		{[]string{"scan", "-v", "--show-warnings"}, exitOK, false},
		{[]string{"ls", "--json"}, exitOK, true},
		{[]string{"ls", "--revisions", "--format", "json"}, exitOK, true},
		{[]string{"ls", "--revisions", "--format", "csv"}, exitOK, false},
		{[]string{"ls", "-f", "damaged=true", "-q"}, exitOK, false},
		{[]string{"ls", "-f", "repo=org/a,b", "-q"}, exitOK, false},
		{[]string{"ls", "-f", "repo=org/caf\xe9", "-q"}, exitOK, false},
		{[]string{"query", "SELECT path, message FROM warnings ORDER BY path", "--json"}, exitOK, true},
		{[]string{"query", "largest-repos"}, exitOK, false},
		{[]string{"info"}, exitOK, false},
		{[]string{"verify", "--all", "--json"}, exitError, true},
		{[]string{"lookup", "org/special", "fifo", "--revision", hh1, "--json"}, exitNotCached, true},
		{[]string{"lookup", "org/special", "x", "--json"}, exitNotCached, true},
		{[]string{"lookup", "org/refs", "a.txt", "--revision", "huge", "--json"}, exitNotCached, true},
		{[]string{"lookup", "org/escape", "abs", "--revision", hh1, "--json"}, exitOK, true},
	} {
		r := hfidx(append(tc.args, g...)...)
		if r.code != tc.code {
			t.Errorf("%v: exit %d, want %d; stderr %s", tc.args, r.code, tc.code, r.stderr)
		}
		if tc.json && !json.Valid([]byte(r.stdout)) {
			t.Errorf("%v: stdout is not JSON: %.300s", tc.args, r.stdout)
		}
		if len(tc.args) > 2 && tc.args[0] == "ls" && strings.HasPrefix(tc.args[2], "repo=") && r.stdout != "model/"+strings.TrimPrefix(tc.args[2], "repo=")+"\n" {
			t.Errorf("%v: stdout %q, want the one repo", tc.args, r.stdout)
		}
		if strings.Contains(r.stderr, "panic") || strings.Contains(r.stderr, "goroutine ") {
			t.Errorf("%v: %s", tc.args, r.stderr)
		}
	}

	// verify never reads content outside the cache: a blob named by a
	// SHA-256 that links out is unverifiable, never a mismatch.
	r = hfidx(append([]string{"verify", "--all", "--json", "--no-sync"}, g...)...)
	var ver struct {
		Problems []struct {
			Kind, Path string
		} `json:"problems"`
		Unverifiable []struct {
			Path, Reason string
		} `json:"unverifiable"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &ver); err != nil {
		t.Fatalf("verify --json: %v", err)
	}
	outBlob := filepath.Join(hub, "models--org--escape/blobs", strings.Repeat("ab", 32))
	for _, p := range ver.Problems {
		if p.Path == outBlob {
			t.Errorf("verify read the file outside the cache: %+v", p)
		}
	}
	seen := false
	for _, u := range ver.Unverifiable {
		seen = seen || u.Path == outBlob && strings.Contains(u.Reason, "outside the cache")
	}
	if !seen {
		t.Errorf("verify: %s not listed as outside the cache: %+v", outBlob, ver.Unverifiable)
	}

	// Every repo, damaged or not, can be deleted; the dry run touches nothing.
	r = hfidx(append([]string{"ls", "-q"}, g...)...)
	targets := strings.Fields(r.stdout)
	if len(targets) < 12 {
		t.Fatalf("ls -q: %d targets: %q", len(targets), r.stdout)
	}
	hubBefore := contentState(t, hub)
	r = hfidx(append(append([]string{"delete", "--dry-run"}, targets...), g...)...)
	if r.code != exitOK {
		t.Fatalf("delete --dry-run: exit %d: %s", r.code, r.stderr)
	}
	if d := diffStates(hubBefore, contentState(t, hub)); d != "" {
		t.Errorf("the dry run changed the cache:\n%s", d)
	}
	r = hfidx(append(append([]string{"delete", "--yes"}, targets...), g...)...)
	if r.code != exitOK {
		t.Fatalf("delete --yes: exit %d: %s", r.code, r.stderr)
	}
	des, err := os.ReadDir(hub)
	if err != nil {
		t.Fatal(err)
	}
	var left []string
	for _, e := range des {
		left = append(left, e.Name())
	}
	// Not repos: a file and a FIFO named like repo folders stay.
	if strings.Join(left, ",") != "models--org--fifo,models--org--file" {
		t.Errorf("left in the cache: %q", left)
	}
	if d := diffStates(outsideBefore, contentState(t, outside)); d != "" {
		t.Errorf("the tree outside the cache changed:\n%s", d)
	}
}
