package cache

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestScanHostileEntries: every kind of hostile entry of a cache gives a
// warning naming it, the scan ends (a FIFO opened for reading would block
// it forever) and the other repo is still reported whole. Entries are
// relative to the repo folder unless they start with "/" (relative to the
// cache root); "mknod:" makes a FIFO, socket or device node.
func TestScanHostileEntries(t *testing.T) {
	outside := newRoot(t)
	tree(t, outside, map[string]string{"secret.bin": "file:0123456789", "dir/x": "file:x"})
	if err := mkfifo(t, filepath.Join(outside, "pipe"), 0o644); err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("n", 255)
	rev := "snapshots/" + h1 + "/"
	for _, tc := range []struct {
		name    string
		entries map[string]string
		path    string // the entry the warning must name, relative to the cache
		damaged bool
	}{
		{"loop self in snapshot", map[string]string{rev + "x": "link:x"}, rev + "x", true},
		{"loop pair in snapshot", map[string]string{rev + "a": "link:b", rev + "b": "link:a"}, rev + "a", true},
		{"loop via blobs", map[string]string{rev + "f": "link:../../blobs/e", "blobs/e": "link:e"}, rev + "f", true},
		{"loop ref", map[string]string{rev: "dir:", "refs/main": "link:main"}, "refs/main", true},
		{"loop revision folder", map[string]string{"snapshots/" + h1: "link:" + h1}, "snapshots/" + h1, true},
		{"loop snapshots folder", map[string]string{"snapshots": "link:snapshots"}, "snapshots", true},
		{"absolute link out", map[string]string{rev + "f": "link:" + filepath.Join(outside, "secret.bin")}, rev + "f", false},
		{"relative escape", map[string]string{rev + "f": "link:" + strings.Repeat("../", 12) + strings.TrimPrefix(filepath.Join(outside, "secret.bin"), "/")}, rev + "f", false},
		{"link out to a FIFO", map[string]string{rev + "f": "link:" + filepath.Join(outside, "pipe")}, rev + "f", false},
		{"ref link out", map[string]string{rev: "dir:", "refs/main": "link:" + filepath.Join(outside, "secret.bin")}, "refs/main", true},
		{"ref link to a FIFO", map[string]string{rev: "dir:", "refs/main": "link:../p", "p": "fifo:"}, "refs/main", true},
		{"ref is a FIFO", map[string]string{rev: "dir:", "refs/main": "fifo:"}, "refs/main", true},
		{"ref is a socket", map[string]string{rev: "dir:", "refs/main": "mknod:socket"}, "refs/main", true},
		{"revision link out", map[string]string{"snapshots/" + h1: "link:" + filepath.Join(outside, "dir")}, "snapshots/" + h1, true},
		{"link to a directory", map[string]string{rev + "d": "link:" + filepath.Join(outside, "dir"), rev + "g": "file:g"}, rev + "d", false},
		{"blob entry is a directory", map[string]string{rev + "f": "link:../../blobs/e", "blobs/e/": "dir:"}, rev + "f", false},
		{"blob is a FIFO", map[string]string{rev + "f": "link:../../blobs/e", "blobs/e": "fifo:"}, "blobs/e", false},
		{"dangling ref", map[string]string{rev: "dir:", "refs/main": "link:nowhere"}, "refs/main", true},
		{"dangling revision", map[string]string{"snapshots/" + h1: "link:nowhere"}, "snapshots/" + h1, true},
		{"socket in snapshot", map[string]string{rev + "s": "mknod:socket"}, rev + "s", false},
		{"FIFO in snapshot", map[string]string{rev + "p": "fifo:"}, rev + "p", false},
		{"link to a FIFO of the snapshot", map[string]string{rev + "a": "link:z", rev + "z": "fifo:"}, rev + "z", false},
		{"char device in snapshot", map[string]string{rev + "null": "mknod:char"}, rev + "null", false},
		{"block device in snapshot", map[string]string{rev + "loop": "mknod:block"}, rev + "loop", false},
		{"ref trailing newline", map[string]string{rev: "dir:", "refs/main": "file:" + h1 + "\n"}, "refs/main", false},
		{"ref garbage bytes", map[string]string{rev: "dir:", "refs/main": "file:\x00\x01 zz\t\x7f"}, "refs/main", true},
		{"ref invalid UTF-8", map[string]string{rev: "dir:", "refs/main": "file:" + h1[:20] + "\xc3\x28"}, "refs/main", true},
		{"ref of a megabyte", map[string]string{rev: "dir:", "refs/main": "file:" + strings.Repeat(h1, 1<<20/40+1)}, "refs/main", true},
		{"empty ref", map[string]string{rev: "dir:", "refs/main": "file:"}, "refs/main", true},
		{"255-byte ref name", map[string]string{rev: "dir:", "refs/" + long: "file:" + h2}, "refs/" + long, true},
		{"repo folder is a file", map[string]string{"/models--org--x": "file:not a folder"}, "models--org--x", false},
		{"repo folder is a FIFO", map[string]string{"/models--org--x": "fifo:"}, "models--org--x", false},
		{"repo folder links out", map[string]string{"/models--org--x": "link:" + filepath.Join(outside, "dir")}, "models--org--x", true},
		{"repo folder loop", map[string]string{"/models--org--x": "link:models--org--x"}, "models--org--x", true},
		{"repo folder dangling", map[string]string{"/models--org--x": "link:nowhere"}, "models--org--x", true},
		{"repo folder relative escape", map[string]string{"/models--org--x": "link:../../../../../../../../.."}, "models--org--x", true},
		{"blobs is a FIFO", map[string]string{rev + "f": "file:x", "blobs": "fifo:"}, "blobs", false},
		{"refs is a FIFO", map[string]string{rev: "dir:", "refs": "fifo:"}, "refs", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := newRoot(t)
			tree(t, root, map[string]string{"models--org--ok/snapshots/" + h2 + "/a": "link:../../blobs/e", "models--org--ok/blobs/e": "file:hello"})
			for k, v := range tc.entries {
				p := "models--org--x/" + k
				if strings.HasPrefix(k, "/") {
					p = k[1:]
				}
				hostile(t, root, p, v)
			}
			res := scanTree(t, root)
			want := tc.path
			if !strings.HasPrefix(tc.path, "models--org--x") {
				want = "models--org--x/" + tc.path
			}
			var all []Warning
			all = append(all, res.warnings...)
			if r := res.repos["models--org--x"]; r != nil {
				all = append(all, r.Problems...)
				all = append(all, r.Notes...)
				if r.Damaged() != tc.damaged {
					t.Errorf("damaged = %v, want %v; problems %v", r.Damaged(), tc.damaged, r.Problems)
				}
			}
			named := false
			for _, w := range all {
				if w.Entry != "models--org--x" {
					t.Errorf("warning %v names entry %q, want models--org--x", w, w.Entry)
				}
				if w.Path == want {
					named = true
				}
			}
			if !named {
				t.Errorf("no warning names %s: %v", want, all)
			}
			ok := res.repos["models--org--ok"]
			if ok == nil || ok.Damaged() || len(ok.Revisions) != 1 || len(ok.Blobs) != 1 || ok.Blobs[0].Stat.Size != 5 {
				t.Errorf("healthy repo beside it = %+v", ok)
			}
			// A repo too big to hold is streamed: it must read the same.
			checkStreamed(t, root)
		})
	}
}

// hostile creates one entry of TestScanHostileEntries: tree's kinds, plus
// "mknod:socket|char|block". A device node needs privileges: without them
// the test is skipped with the reason.
func hostile(t *testing.T, root, rel, spec string) {
	t.Helper()
	kind, arg, _ := strings.Cut(spec, ":")
	if kind != "mknod" {
		tree(t, root, map[string]string{rel: spec})
		return
	}
	p := filepath.Join(root, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	var mode uint32
	var dev int
	switch arg {
	case "socket":
		mode = syscall.S_IFSOCK | 0o644
	case "char":
		mode, dev = syscall.S_IFCHR|0o644, 1<<8|3 // like /dev/null (1, 3)
	case "block":
		mode, dev = syscall.S_IFBLK|0o644, 7<<8 // like /dev/loop0 (7, 0)
	default:
		t.Fatalf("bad mknod kind %q", arg)
	}
	if err := mknod(t, p, mode, dev); err != nil {
		if arg != "socket" {
			t.Skipf("cannot create a %s device node (%v): needs root with CAP_MKNOD", arg, err)
		}
		t.Fatal(err)
	}
}

// TestScanPermissionDeniedEverywhere: an unreadable folder or file at each
// level of a repo is a warning naming it; the rest of the cache is read.
func TestScanPermissionDeniedEverywhere(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("running as root: permission bits do not stop root, so nothing is denied")
	}
	rev := "snapshots/" + h1
	for _, tc := range []struct {
		name    string
		chmod   string // relative to the repo folder
		mode    os.FileMode
		damaged bool
	}{
		{"repo folder", ".", 0, true},
		{"repo folder not searchable", ".", 0o644, true},
		{"snapshots", "snapshots", 0, true},
		{"revision folder", rev, 0, true},
		{"sub-folder of a revision", rev + "/sub", 0, true},
		{"refs folder", "refs", 0, true},
		{"nested refs folder", "refs/refs", 0, true},
		{"ref file", "refs/main", 0, true},
		{"blobs folder", "blobs", 0, true},
		{"blobs folder not searchable", "blobs", 0o644, true},
		{".no_exist folder", ".no_exist", 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := newRoot(t)
			tree(t, root, map[string]string{
				"models--org--x/" + rev + "/a":                "link:../../blobs/e",
				"models--org--x/" + rev + "/sub/b":            "link:../../../blobs/e",
				"models--org--x/blobs/e":                      "file:hello",
				"models--org--x/refs/main":                    "file:" + h1,
				"models--org--x/refs/refs/pr/1":               "file:" + h1,
				"models--org--x/.no_exist/" + h1 + "/missing": "file:",
				"models--org--ok/snapshots/" + h2 + "/a":      "link:../../blobs/e",
				"models--org--ok/blobs/e":                     "file:hello",
			})
			p := filepath.Join(root, "models--org--x", filepath.FromSlash(tc.chmod))
			if err := os.Chmod(p, tc.mode); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { os.Chmod(p, 0o755) })
			res := scanTree(t, root)
			r := res.repos["models--org--x"]
			if r == nil {
				t.Fatalf("repo not listed; warnings %v", res.warnings)
			}
			if r.Damaged() != tc.damaged {
				t.Errorf("damaged = %v, want %v; problems %v notes %v", r.Damaged(), tc.damaged, r.Problems, r.Notes)
			}
			if !hasMessage(append(r.Problems, r.Notes...), "permission denied") {
				t.Errorf("no permission-denied warning: problems %v notes %v", r.Problems, r.Notes)
			}
			if ok := res.repos["models--org--ok"]; ok == nil || ok.Damaged() || len(ok.Blobs) != 1 {
				t.Errorf("healthy repo beside it = %+v", ok)
			}
			checkStreamed(t, root)
		})
	}
}

// TestScanLongAndOddNames: 255-byte names (the usual NAME_MAX) and names
// that are not UTF-8, at every level, are scanned like any other.
func TestScanLongAndOddNames(t *testing.T) {
	root := newRoot(t)
	long := func(prefix string) string { return prefix + strings.Repeat("x", 255-len(prefix)) }
	folder := long("models--org--")
	odd := "models--org--caf\xe9\xff"
	file := long("f")
	ref := long("r")
	tree(t, root, map[string]string{
		folder + "/snapshots/" + h1 + "/" + file:   "link:../../blobs/" + long("e"),
		folder + "/blobs/" + long("e"):             "file:hello",
		folder + "/refs/" + ref:                    "file:" + h1,
		folder + "/snapshots/" + long("v") + "/g":  "file:copy",
		odd + "/snapshots/" + h1 + "/na\xefve\x80": "link:../../blobs/\xfe",
		odd + "/blobs/\xfe":                        "file:bytes",
		odd + "/refs/m\xe4in":                      "file:" + h1,
	})
	res := scanTree(t, root)
	if len(res.warnings) != 0 {
		t.Errorf("warnings %v, want none", res.warnings)
	}
	r := res.repos[folder]
	if r == nil || r.Damaged() || r.ID != "org/"+strings.Repeat("x", 255-len("models--org--")) || len(r.Revisions) != 2 || len(r.Refs) != 1 || r.Refs[0].Name != ref {
		t.Fatalf("255-byte repo = %+v", r)
	}
	if f := r.Revisions[0].Files; len(f) != 1 || f[0].RelPath != file || r.Blobs[f[0].Blob].Stat.Size != 5 {
		t.Errorf("255-byte file = %+v", f)
	}
	o := res.repos[odd]
	if o == nil || o.Damaged() || o.ID != "org/caf\xe9\xff" || len(o.Refs) != 1 || o.Refs[0].Name != "m\xe4in" {
		t.Fatalf("non-UTF-8 repo = %+v", o)
	}
	if f := o.Revisions[0].Files; len(f) != 1 || f[0].RelPath != "na\xefve\x80" || o.Blobs[f[0].Blob].Stat.Size != 5 {
		t.Errorf("non-UTF-8 file = %+v", f)
	}
	checkStreamed(t, root)
}
