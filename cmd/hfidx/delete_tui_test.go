package main

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/creack/pty"

	"github.com/hfidx/hfidx/cache/cachetest"
)

// ptySpec: org/a holds config.json (2 bytes, both revisions), w.bin of 10
// and 20 bytes; revision 2222 alone frees 20. dataset org/d: 8 bytes.
const ptySpec = `
repo model org/a
rev 1111111111111111111111111111111111111111
file config.json "{}" time=1000
file w.bin "0123456789" time=1000
ref main 1111111111111111111111111111111111111111
rev 2222222222222222222222222222222222222222
file config.json "{}" time=1000
file w.bin "abcdefghijklmnopqrst" time=2000
ref refs/pr/1 2222222222222222222222222222222222222222
repo dataset org/d
rev 4444444444444444444444444444444444444444
file data.csv "a,b\n1,2\n" time=500
ref main 4444444444444444444444444444444444444444
`

// terminalRun is hfidx running on a pseudo-terminal of 80 columns.
type terminalRun struct {
	t    *testing.T
	tty  *os.File
	cmd  *exec.Cmd
	mu   sync.Mutex
	out  bytes.Buffer // what expect has not consumed yet
	all  bytes.Buffer // everything
	done chan error
}

// startOnTerminal runs `hfidx args...` (this test binary, see TestMain)
// on a new pseudo-terminal, or skips the test where there is none.
func startOnTerminal(t *testing.T, env []string, args ...string) *terminalRun {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	// The caller's environment decides colour, editor, cache and index.
	for _, e := range os.Environ() {
		name, _, _ := strings.Cut(e, "=")
		switch name {
		case "NO_COLOR", "VISUAL", "EDITOR", "HF_HOME", "HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE", "HFIDX_DB", "TERM", "TMPDIR":
			continue
		}
		cmd.Env = append(cmd.Env, e)
	}
	cmd.Env = append(cmd.Env, append([]string{"HFIDX_TEST_MAIN=1", "TERM=xterm"}, env...)...)
	tty, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 24, Cols: 80})
	if err != nil {
		t.Skipf("no pseudo-terminal on this platform: %v", err)
	}
	r := &terminalRun{t: t, tty: tty, cmd: cmd, done: make(chan error, 1)}
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := tty.Read(buf)
			r.mu.Lock()
			r.out.Write(buf[:n])
			r.all.Write(buf[:n])
			r.mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	go func() { r.done <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		tty.Close()
	})
	return r
}

// expect waits until the terminal has shown s after the output seen so
// far was consumed. The deadline only guards against a hang.
func (r *terminalRun) expect(s string) {
	r.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		r.mu.Lock()
		got := r.out.String()
		r.mu.Unlock()
		if i := strings.Index(got, s); i >= 0 {
			r.mu.Lock()
			r.out.Next(i + len(s))
			r.mu.Unlock()
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.t.Fatalf("the terminal never showed %q; it shows:\n%q", s, r.out.String())
}

// line returns what the terminal shows up to the end of the line.
func (r *terminalRun) line() string {
	r.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		r.mu.Lock()
		got := r.out.String()
		if i := strings.Index(got, "\r\n"); i >= 0 {
			r.out.Next(i + 2)
			r.mu.Unlock()
			return got[:i]
		}
		r.mu.Unlock()
		time.Sleep(20 * time.Millisecond)
	}
	r.t.Fatalf("the terminal never ended the line")
	return ""
}

func (r *terminalRun) send(keys string) {
	r.t.Helper()
	if _, err := r.tty.Write([]byte(keys)); err != nil {
		r.t.Fatalf("write to the terminal: %v", err)
	}
}

// wait waits for hfidx to exit and returns its exit code and the rest of
// its output.
func (r *terminalRun) wait() (int, string) {
	r.t.Helper()
	select {
	case err := <-r.done:
		// Let the reader drain what the command wrote last.
		time.Sleep(100 * time.Millisecond)
		r.mu.Lock()
		defer r.mu.Unlock()
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return ee.ExitCode(), r.out.String()
		}
		if err != nil {
			r.t.Fatalf("hfidx: %v", err)
		}
		return 0, r.out.String()
	case <-time.After(60 * time.Second):
		r.t.Fatalf("hfidx did not exit")
	}
	return 0, ""
}

// ptyCache builds ptySpec and returns the hub folder and the environment
// that points hfidx at it.
func ptyCache(t *testing.T) (string, []string) {
	c, err := cachetest.Parse(ptySpec)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	root := filepath.Join(dir, "hub")
	if _, err := cachetest.Write(root, c); err != nil {
		t.Fatal(err)
	}
	return root, []string{"HF_HUB_CACHE=" + root, "XDG_CACHE_HOME=" + filepath.Join(dir, "xdg"),
		"HOME=" + filepath.Join(dir, "home"), "NO_COLOR=1", "HFIDX_DB="}
}

// treeState lists every path under root with its size, sorted.
func treeState(t *testing.T, root string) string {
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
		lines = append(lines, fmt.Sprintf("%s %v %d", rel, fi.Mode(), fi.Size()))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

const (
	keyDown  = "\x1b[B"
	keySpace = " "
	keyEnter = "\r"
	keyCtrlC = "\x03"
)

// TestDeleteListOnTerminal drives the real command on a pseudo-terminal:
// pick revision 2222 in the list, watch the plan's 20 bytes appear,
// confirm, answer y, and find exactly that revision gone.
func TestDeleteListOnTerminal(t *testing.T) {
	root, env := ptyCache(t)
	r := startOnTerminal(t, env, "delete")
	r.expect("Select revisions to delete:")
	r.expect("None of the following (cancel the deletion)")
	r.expect("22222222: refs/pr/1 # modified")
	// cancel, Dataset org/d, 4444, Model org/a, 1111, 2222.
	for range 5 {
		r.send(keyDown)
	}
	r.send(keySpace)
	r.expect("1 revision(s) selected, freeing 20.0.")
	r.send(keyEnter)
	r.expect("About to delete 1 revision(s) totalling 20.0.")
	r.expect("  - model/org/a:") // the plan's listing, then its revision (22 bytes, 20 of them its own)
	r.expect("2222222222222222222222222222222222222222 [refs/pr/1] 22.0")
	r.expect("Proceed with deletion? [y/N] ")
	r.send("y\r")
	code, rest := r.wait()
	if code != 0 {
		t.Fatalf("exit code %d; output:\n%q", code, rest)
	}
	if !strings.Contains(rest, "Deleted 0 repo(s) and 1 revision(s); freed 20.0.") {
		t.Errorf("no deletion summary in:\n%q", rest)
	}
	if _, err := os.Lstat(filepath.Join(root, "models--org--a", "snapshots", "2222222222222222222222222222222222222222")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("snapshot 2222 still there (%v)", err)
	}
	for _, p := range []string{
		"models--org--a/snapshots/1111111111111111111111111111111111111111/w.bin",
		"models--org--a/snapshots/1111111111111111111111111111111111111111/config.json",
		"models--org--a/refs/main",
		"datasets--org--d/snapshots/4444444444444444444444444444444444444444/data.csv",
	} {
		if _, err := os.Stat(filepath.Join(root, p)); err != nil {
			t.Errorf("%s should remain: %v", p, err)
		}
	}
	if _, err := os.Lstat(filepath.Join(root, "models--org--a", "refs", "refs", "pr", "1")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("ref refs/pr/1 still there (%v)", err)
	}
}

// TestDeleteListCtrlC: ctrl+c leaves the list and deletes nothing, even
// with a revision checked.
func TestDeleteListCtrlC(t *testing.T) {
	root, env := ptyCache(t)
	before := treeState(t, root)
	r := startOnTerminal(t, env, "delete", "--sort", "size")
	r.expect("Select revisions to delete:")
	// size order: org/a (32 bytes) first, then org/d.
	r.expect("Dataset org/d")
	r.send(keyDown + keyDown)
	r.send(keySpace)
	r.expect("1 revision(s) selected, freeing 10.0.") // 1111 alone: its w.bin
	r.send(keyCtrlC)
	code, rest := r.wait()
	if code != 0 || !strings.Contains(rest, "Deletion cancelled: nothing was deleted.") {
		t.Errorf("exit code %d, output %q; want 0 and the cancellation", code, rest)
	}
	if strings.Contains(rest, "Proceed with deletion") {
		t.Errorf("ctrl+c still asked to delete: %q", rest)
	}
	if after := treeState(t, root); after != before {
		t.Errorf("the cache changed after ctrl+c:\nbefore\n%s\nafter\n%s", before, after)
	}
}

// TestEditFileOnTerminal: --disable-tui without an editor prints the
// file's path and waits; the user edits it meanwhile, enter re-reads it,
// y accepts, and the file stays until the deletion is confirmed.
func TestEditFileOnTerminal(t *testing.T) {
	root, env := ptyCache(t)
	env = append(env, "EDITOR=", "VISUAL=", "TMPDIR="+t.TempDir())
	r := startOnTerminal(t, env, "delete", "--disable-tui")
	r.expect("File to edit: ")
	path := r.line()
	r.expect("Nothing selected. Done editing? [y/N] ")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("the file to edit: %v", err)
	}
	edited := strings.Replace(string(data), "\n#    2222222222222222222222222222222222222222 ", "\n    2222222222222222222222222222222222222222 ", 1)
	if edited == string(data) {
		t.Fatalf("no commented line for revision 2222 in:\n%s", data)
	}
	if err := os.WriteFile(path, []byte(edited), 0o600); err != nil {
		t.Fatal(err)
	}
	r.send("\r")
	r.expect("1 revision(s) selected, freeing 20.0. Done editing? [y/N] ")
	r.send("y\r")
	r.expect("About to delete 1 revision(s) totalling 20.0.")
	r.expect("Proceed with deletion? [y/N] ")
	if _, err := os.Stat(path); err != nil {
		t.Errorf("the file was removed before the deletion was confirmed: %v", err)
	}
	r.send("y\r")
	code, rest := r.wait()
	if code != 0 || !strings.Contains(rest, "Deleted 0 repo(s) and 1 revision(s); freed 20.0.") {
		t.Fatalf("exit code %d, output %q", code, rest)
	}
	if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the file is still there after the deletion (%v)", err)
	}
	if _, err := os.Lstat(filepath.Join(root, "models--org--a", "snapshots", "2222222222222222222222222222222222222222")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("snapshot 2222 still there (%v)", err)
	}
	if _, err := os.Stat(filepath.Join(root, "models--org--a", "snapshots", "1111111111111111111111111111111111111111", "w.bin")); err != nil {
		t.Errorf("revision 1111 should remain: %v", err)
	}
}

// TestListColour: reverse video marks the cursor line, unless NO_COLOR
// is set.
func TestListColour(t *testing.T) {
	for _, noColor := range []bool{false, true} {
		_, env := ptyCache(t)
		if !noColor {
			kept := env[:0]
			for _, e := range env {
				if e != "NO_COLOR=1" {
					kept = append(kept, e)
				}
			}
			env = kept
		}
		r := startOnTerminal(t, env, "delete")
		r.expect("None of the following (cancel the deletion)")
		r.send(keyCtrlC)
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
