//go:build linux

package proc

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The test binary doubles as the process whose files are read: with
// PROC_TEST_HELPER set it runs a helper instead of the tests.
//
//	hold      opens each path of PROC_TEST_OPEN and maps each of
//	          PROC_TEST_MAP (closing the descriptor after mmap), starts a
//	          child holding PROC_TEST_CHILD_OPEN when that is set, prints
//	          "ready [child pid]" and waits for stdin to close.
//	snapshot  prints the JSON of Snapshot(Under: PROC_TEST_UNDER).
func TestMain(m *testing.M) {
	if h := os.Getenv("PROC_TEST_HELPER"); h != "" {
		os.Exit(helper(h))
	}
	os.Exit(m.Run())
}

// held keeps the helper's files and mappings alive.
var held []any

func helper(mode string) int {
	fail := func(err error) int {
		fmt.Fprintln(os.Stderr, "helper:", err)
		return 2
	}
	switch mode {
	case "hold":
		for _, p := range lines(os.Getenv("PROC_TEST_OPEN")) {
			f, err := os.Open(p)
			if err != nil {
				return fail(err)
			}
			held = append(held, f)
		}
		for _, p := range lines(os.Getenv("PROC_TEST_MAP")) {
			f, err := os.Open(p)
			if err != nil {
				return fail(err)
			}
			b, err := syscall.Mmap(int(f.Fd()), 0, 4096, syscall.PROT_READ, syscall.MAP_SHARED)
			if err != nil {
				return fail(err)
			}
			f.Close()
			held = append(held, b)
		}
		ready := "ready"
		if c := os.Getenv("PROC_TEST_CHILD_OPEN"); c != "" {
			cmd := exec.Command(os.Args[0])
			cmd.Env = append(os.Environ(), "PROC_TEST_CHILD_OPEN=", "PROC_TEST_MAP=", "PROC_TEST_OPEN="+c)
			cmd.Stdin = os.Stdin // the grandchild ends when the test closes it too
			out, err := cmd.StdoutPipe()
			if err != nil {
				return fail(err)
			}
			cmd.Stderr = os.Stderr
			if err := cmd.Start(); err != nil {
				return fail(err)
			}
			line, err := bufio.NewReader(out).ReadString('\n')
			if err != nil || line != "ready\n" {
				return fail(fmt.Errorf("grandchild said %q: %v", line, err))
			}
			ready += " " + strconv.Itoa(cmd.Process.Pid)
			defer cmd.Wait()
		}
		fmt.Println(ready)
		io.Copy(io.Discard, os.Stdin)
		return 0
	case "snapshot":
		ps, err := Snapshot(Options{Under: lines(os.Getenv("PROC_TEST_UNDER"))})
		if err != nil {
			return fail(err)
		}
		var r snapshotReport
		for _, p := range ps.List {
			r.PIDs = append(r.PIDs, p.PID)
			for _, f := range p.Files {
				r.Files = append(r.Files, f.Path)
			}
		}
		r.Denied, r.Summary = ps.Denied, ps.Summary()
		for _, e := range ps.Errors {
			r.Errors = append(r.Errors, e.Error())
		}
		json.NewEncoder(os.Stdout).Encode(r)
		return 0
	}
	return fail(fmt.Errorf("unknown mode %q", mode))
}

// snapshotReport is what the snapshot helper prints.
type snapshotReport struct {
	PIDs    []int
	Files   []string
	Denied  []Denied
	Summary string
	Errors  []string
}

func lines(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// child is a running helper.
type child struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	// said is the rest of its "ready" line.
	said string
}

// startHelper starts the test binary (bin, or os.Args[0]) as a helper with
// env added, waits for it to say ready, and stops it at the end of the test.
func startHelper(t *testing.T, bin string, cred *syscall.Credential, env ...string) *child {
	t.Helper()
	if bin == "" {
		bin = os.Args[0]
	}
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	return start(t, cmd)
}

// start starts cmd, which prints "ready..." once set up and exits when its
// stdin closes, and stops it at the end of the test.
func start(t *testing.T, cmd *exec.Cmd) *child {
	t.Helper()
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c := &child{cmd: cmd, stdin: stdin}
	t.Cleanup(func() {
		stdin.Close()
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	})
	line := make(chan string, 1)
	go func() {
		s, _ := bufio.NewReader(out).ReadString('\n')
		line <- s
	}()
	select {
	case s := <-line:
		rest, ok := strings.CutPrefix(strings.TrimSuffix(s, "\n"), "ready")
		if !ok {
			t.Fatalf("%s said %q, want ready", cmd.Path, s)
		}
		c.said = strings.TrimSpace(rest)
	case <-time.After(30 * time.Second):
		t.Fatalf("%s did not get ready", cmd.Path)
	}
	return c
}

func (c *child) pid() int { return c.cmd.Process.Pid }

// writeFile creates path with data, and its folders.
func writeFile(t *testing.T, path, data string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

// keyOf returns the stat key of path (following links).
func keyOf(t *testing.T, path string) Key {
	t.Helper()
	var st syscall.Stat_t
	if err := syscall.Stat(path, &st); err != nil {
		t.Fatal(err)
	}
	return Key{uint64(st.Dev), st.Ino}
}

// fileOf returns the file of process pid at path in ps.
func fileOf(ps *Processes, pid int, path string) (File, bool) {
	for _, p := range ps.List {
		if p.PID != pid {
			continue
		}
		for _, f := range p.Files {
			if f.Path == path {
				return f, true
			}
		}
	}
	return File{}, false
}

// process returns the process pid in ps.
func process(ps *Processes, pid int) (Process, bool) {
	for _, p := range ps.List {
		if p.PID == pid {
			return p, true
		}
	}
	return Process{}, false
}
