package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/hfidx/hfidx/cache/cachetest"
	"github.com/hfidx/hfidx/cache/reftest"
)

var updateScripts = flag.Bool("u", false, "update testscript files from actual output")

func TestMain(m *testing.M) {
	// A test that needs the real command on a terminal runs this binary
	// again with this variable set (see delete_tui_test.go).
	if os.Getenv("HFIDX_TEST_MAIN") == "1" {
		os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
	}
	// A test that needs a process holding a file runs this binary again
	// with this variable set (see inuse_linux_test.go).
	if p := os.Getenv("HFIDX_TEST_HOLD"); p != "" {
		os.Exit(holdFile(p))
	}
	// The durable state of every test run lives apart from the user's.
	if os.Getenv("XDG_STATE_HOME") == "" && os.Getenv("HFIDX_STATE") == "" {
		os.Setenv("XDG_STATE_HOME", filepath.Join(os.TempDir(), fmt.Sprintf("hfidx-test-state-%d", os.Getpid())))
	}
	testscript.Main(m, map[string]func(){
		"hfidx": func() { os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) },
	})
}

// TestScripts runs testdata/script/*.txtar: one CLI scenario per file.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:           filepath.Join("..", "..", "testdata", "script"),
		UpdateScripts: *updateScripts,
		Setup: func(e *testscript.Env) error {
			e.Setenv("HOME", filepath.Join(e.WorkDir, "home"))
			e.Setenv("XDG_CACHE_HOME", filepath.Join(e.WorkDir, "xdg"))
			e.Setenv("XDG_STATE_HOME", filepath.Join(e.WorkDir, "state"))
			e.Setenv("HF_HUB_CACHE", filepath.Join(e.WorkDir, "hub"))
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"mkcache":   cmdMkcache,
			"refcache":  cmdRefcache,
			"json":      cmdJSON,
			"treestate": cmdTreestate,
			"chmodx":    cmdChmod,
		},
	})
}

// mkcache DIR SPECFILE builds a cache from a cachetest text spec.
func cmdMkcache(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: mkcache DIR SPECFILE")
	}
	c, err := cachetest.Parse(ts.ReadFile(args[1]))
	if err != nil {
		ts.Fatalf("parse %s: %v", args[1], err)
	}
	if _, err := cachetest.Write(ts.MkAbs(args[0]), c); err != nil {
		ts.Fatalf("build: %v", err)
	}
}

// refcache NAME DIR unpacks a reference cache of testdata/reference so
// that DIR is its hub folder.
func cmdRefcache(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: refcache NAME DIR")
	}
	dst := ts.MkAbs(args[1])
	if err := reftest.Unpack(args[0], dst); err != nil {
		ts.Fatalf("%v", err)
	}
}

// json PATH WANT checks a value of the JSON on the last command's stdout.
// PATH is dot-separated keys and indexes (repos.0.size_on_disk) or "_len" for
// a length (repos._len); WANT is the value's JSON (1234, "main", true, null).
func cmdJSON(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: json PATH WANT")
	}
	var v any
	if err := json.Unmarshal([]byte(ts.ReadFile("stdout")), &v); err != nil {
		ts.Fatalf("stdout is not JSON: %v", err)
	}
	for _, k := range strings.Split(args[0], ".") {
		switch x := v.(type) {
		case map[string]any:
			if k == "_len" {
				v = float64(len(x))
				continue
			}
			val, ok := x[k]
			if !ok {
				ts.Fatalf("%s: no key %q", args[0], k)
			}
			v = val
		case []any:
			if k == "_len" {
				v = float64(len(x))
				continue
			}
			i, err := strconv.Atoi(k)
			if err != nil || i < 0 || i >= len(x) {
				ts.Fatalf("%s: bad index %q (length %d)", args[0], k, len(x))
			}
			v = x[i]
		default:
			ts.Fatalf("%s: cannot index %T with %q", args[0], v, k)
		}
	}
	got, _ := json.Marshal(v)
	if (string(got) == args[1]) == neg {
		ts.Fatalf("%s = %s, want %s%s", args[0], got, map[bool]string{true: "not ", false: ""}[neg], args[1])
	}
}

// treestate DIR FILE writes every entry under DIR with its type, size,
// mode, link target and modification time to FILE, so that two states can
// be compared with cmp.
func cmdTreestate(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: treestate DIR FILE")
	}
	root := ts.MkAbs(args[0])
	var lines []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := os.Lstat(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		line := fmt.Sprintf("%s %s %d %d", rel, fi.Mode(), fi.Size(), fi.ModTime().UnixNano())
		if fi.Mode()&fs.ModeSymlink != 0 {
			t, _ := os.Readlink(p)
			line += " -> " + t
		}
		if fi.Mode().IsDir() {
			line = fmt.Sprintf("%s %s", rel, fi.Mode())
		}
		lines = append(lines, line)
		return nil
	})
	if err != nil {
		ts.Fatalf("%v", err)
	}
	sort.Strings(lines)
	if err := os.WriteFile(ts.MkAbs(args[1]), []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		ts.Fatalf("%v", err)
	}
}

// chmodx MODE PATH changes a file's mode (octal).
func cmdChmod(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: chmodx MODE PATH")
	}
	m, err := strconv.ParseUint(args[0], 8, 32)
	if err != nil {
		ts.Fatalf("bad mode %q", args[0])
	}
	if err := os.Chmod(ts.MkAbs(args[1]), os.FileMode(m)); err != nil {
		ts.Fatalf("%v", err)
	}
}
