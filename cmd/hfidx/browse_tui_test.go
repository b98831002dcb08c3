package main

import (
	"bytes"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/creack/pty"
)

// TestBrowseDeleteEqualsDelete drives `hfidx browse` on a pseudo-terminal
// over one cache of ptySpec and runs `hfidx delete --yes` with the
// matching target over another built from the same spec: going into a
// repo (and a revision), marking, D and y must leave the same tree.
func TestBrowseDeleteEqualsDelete(t *testing.T) {
	for _, c := range []struct {
		name   string
		keys   []string // after the browser shows up
		marked string   // the footer once marked
		plan   string   // the plan's first line
		done   string   // the executor's summary
		target string   // the same deletion for hfidx delete
	}{
		{
			name:   "revision",
			keys:   []string{keyEnter, "d"}, // org/a, then its largest revision: 2222
			marked: "Marked 1 revision, freeing 20.0.",
			plan:   "About to delete 1 revision(s) totalling 20.0.",
			done:   "Deleted 0 repo(s) and 1 revision(s); freed 20.0.",
			target: "model/org/a@2222222222222222222222222222222222222222",
		},
		{
			name:   "file",
			keys:   []string{keyEnter, keyDown, keyEnter, "d"}, // org/a, 1111, its largest file: w.bin
			marked: "Marked 1 file, freeing 10.0.",
			plan:   "About to delete 1 file(s) in 1 revision(s) totalling 10.0.",
			done:   "Deleted 0 repo(s) and 0 revision(s), 1 file(s); freed 10.0.",
			target: "model/org/a@1111111111111111111111111111111111111111:w.bin",
		},
		{
			name:   "repo",
			keys:   []string{keyDown, keySpace}, // org/d
			marked: "Marked 1 repo, freeing 8.0.",
			plan:   "About to delete 1 repo(s) totalling 8.0.",
			done:   "Deleted 1 repo(s) and 1 revision(s); freed 8.0.",
			target: "dataset/org/d",
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			root, env := ptyCache(t)
			other, _ := ptyCache(t)
			before := treeState(t, root)
			if before != treeState(t, other) {
				t.Fatal("two caches of one spec differ")
			}
			r := startOnTerminal(t, env, "browse")
			r.expect("sorted by size")
			r.expect("model/org/a")
			for _, k := range c.keys {
				r.send(k)
			}
			r.expect(c.marked)
			r.send("D")
			r.expect(c.plan)
			r.expect("Proceed with deletion? [y/N] ")
			r.send("y\r")
			r.expect(c.done) // printed by the executor
			r.expect(c.done) // and shown in the browser, open again
			r.expect("Nothing marked.")
			r.send("q")
			if code, rest := r.wait(); code != 0 {
				t.Fatalf("exit code %d; output:\n%q", code, rest)
			}
			after := treeState(t, root)
			if after == before {
				t.Fatal("browse deleted nothing")
			}

			var out, errOut bytes.Buffer
			code := run([]string{"--cache-dir", other, "--db", filepath.Join(t.TempDir(), "index.db"), "delete", "--yes", c.target},
				strings.NewReader(""), &out, &errOut)
			if code != 0 || !strings.Contains(out.String(), c.done) {
				t.Fatalf("hfidx delete --yes %s: exit %d\n%s%s", c.target, code, out.String(), errOut.String())
			}
			if want := treeState(t, other); after != want {
				t.Errorf("browse left\n%s\nhfidx delete left\n%s", after, want)
			}
		})
	}
}

// TestBrowseDeclined: answering n to the plan deletes nothing and goes
// back to the browser, marks kept; leaving with marks deletes nothing.
func TestBrowseDeclined(t *testing.T) {
	root, env := ptyCache(t)
	before := treeState(t, root)
	r := startOnTerminal(t, env, "browse")
	r.expect("model/org/a")
	r.send(keyEnter + "d")
	r.expect("Marked 1 revision, freeing 20.0.")
	r.send("D")
	r.expect("Proceed with deletion? [y/N] ")
	r.send("n\r")
	r.expect("Deletion not confirmed: nothing was deleted.")
	r.expect("Marked 1 revision, freeing 20.0.") // the marks are kept
	r.send(keyCtrlC)
	code, rest := r.wait()
	if code != 0 {
		t.Fatalf("exit code %d; output:\n%q", code, rest)
	}
	if after := treeState(t, root); after != before {
		t.Errorf("the cache changed:\nbefore\n%s\nafter\n%s", before, after)
	}
}

// TestBrowseLeaveWithMarks: q (and esc at the top) leave without deleting
// what is marked.
func TestBrowseLeaveWithMarks(t *testing.T) {
	for _, leave := range []string{"q", "\x1b"} {
		root, env := ptyCache(t)
		before := treeState(t, root)
		r := startOnTerminal(t, env, "browse")
		r.expect("model/org/a")
		r.send("d")
		r.expect("Marked 1 repo, freeing 32.0.")
		r.send(leave)
		code, rest := r.wait()
		if code != 0 || !strings.Contains(rest, "Left with marks: nothing was deleted.") {
			t.Errorf("leaving with %q: exit %d, output %q", leave, code, rest)
		}
		if after := treeState(t, root); after != before {
			t.Errorf("leaving with %q changed the cache", leave)
		}
	}
}

// TestBrowseNeedsTerminal: without one it is a usage error.
func TestBrowseNeedsTerminal(t *testing.T) {
	root, _ := ptyCache(t)
	var out, errOut bytes.Buffer
	code := run([]string{"--cache-dir", root, "--db", filepath.Join(t.TempDir(), "index.db"), "browse"}, strings.NewReader(""), &out, &errOut)
	if code != exitUsage || !strings.Contains(errOut.String(), "browse needs a terminal") {
		t.Errorf("browse without a terminal: exit %d, stderr %q", code, errOut.String())
	}
}

// TestBrowseResize: the screen follows the terminal's size.
func TestBrowseResize(t *testing.T) {
	_, env := ptyCache(t)
	r := startOnTerminal(t, env, "browse")
	r.expect("exclusive last used")
	// A resize that comes before the program listens for it is lost: it is
	// made again until the screen follows.
	for i := 0; ; i++ {
		if err := pty.Setsize(r.tty, &pty.Winsize{Rows: 20, Cols: uint16(60 + i%2)}); err != nil {
			t.Skipf("cannot resize the terminal: %v", err)
		}
		if r.seen("excl repo  refs", 2*time.Second) { // no time column, narrower ones
			break
		}
		if i == 30 {
			r.mu.Lock()
			defer r.mu.Unlock()
			t.Fatalf("the screen never followed the resize; it shows:\n%q", r.out.String())
		}
	}
	r.send("q")
	if code, rest := r.wait(); code != 0 {
		t.Fatalf("exit code %d; output:\n%q", code, rest)
	}
}

// seen reports whether the terminal shows s within d, consuming the
// output up to it when it does.
func (r *terminalRun) seen(s string, d time.Duration) bool {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		r.mu.Lock()
		i := strings.Index(r.out.String(), s)
		if i >= 0 {
			r.out.Next(i + len(s))
		}
		r.mu.Unlock()
		if i >= 0 {
			return true
		}
		time.Sleep(20 * time.Millisecond)
	}
	return false
}

// TestBrowseColour: reverse video marks the cursor's row and the bars,
// unless NO_COLOR is set.
func TestBrowseColour(t *testing.T) {
	for _, noColor := range []bool{false, true} {
		_, env := ptyCache(t)
		if !noColor {
			env = slices.DeleteFunc(env, func(e string) bool { return e == "NO_COLOR=1" })
		}
		r := startOnTerminal(t, env, "browse")
		r.expect("model/org/a")
		r.expect("Nothing marked.")
		r.send("q")
		r.wait()
		r.mu.Lock()
		all := r.all.String()
		r.mu.Unlock()
		styled := strings.Contains(all, "\x1b[7m") || strings.Contains(all, ";7m")
		if styled == noColor {
			t.Errorf("NO_COLOR set: %v; reverse video in the output: %v\n%q", noColor, styled, all)
		}
	}
}
