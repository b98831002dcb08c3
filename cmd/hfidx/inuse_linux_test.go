package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/hfidx/hfidx/cache/cachetest"
)

// holdFile maps the file at path (or, with HFIDX_TEST_HOLD_OPEN=1, keeps
// it open), closes its descriptor, says "ready" and waits for stdin to
// close: a loader holding weights.
func holdFile(path string) int {
	f, err := os.Open(path)
	if err != nil {
		fmt.Println(err)
		return 1
	}
	if os.Getenv("HFIDX_TEST_HOLD_OPEN") != "1" {
		fi, _ := f.Stat()
		if _, err := syscall.Mmap(int(f.Fd()), 0, int(max(fi.Size(), 1)), syscall.PROT_READ, syscall.MAP_SHARED); err != nil {
			fmt.Println(err)
			return 1
		}
		f.Close()
	}
	fmt.Println("ready")
	bufio.NewReader(os.Stdin).ReadString('\n')
	return 0
}

// holder is a process of this test binary holding a file.
type holder struct {
	cmd   *exec.Cmd
	stdin interface{ Close() error }
}

func startHolder(t *testing.T, path string, open bool) *holder {
	t.Helper()
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), "HFIDX_TEST_HOLD="+path)
	if open {
		cmd.Env = append(cmd.Env, "HFIDX_TEST_HOLD_OPEN=1")
	}
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, _ := bufio.NewReader(out).ReadString('\n')
	if strings.TrimSpace(line) != "ready" {
		t.Fatalf("holder: %q", line)
	}
	h := &holder{cmd, in}
	t.Cleanup(h.stop)
	return h
}

func (h *holder) stop() {
	if h.cmd.ProcessState == nil {
		h.stdin.Close()
		h.cmd.Wait()
	}
}

const inUseSpec = `
repo model org/a
rev 1111111111111111111111111111111111111111
file keep.txt "kept" time=1500000000
ref main 1111111111111111111111111111111111111111
rev 2222222222222222222222222222222222222222
file weights.bin "weights!" time=1500000000
`

// TestInUseProtection: a process that maps a blob keeps it through delete
// and prune, named with its PID, in the dry run and the real run; once it
// exits the same prune removes it; --force removes a held blob and says
// its space comes back when the holder exits. hfidx sample, while the
// blob is held, and hfidx run of a command that opens and closes it at
// once, record uses that ls then filters on, though every atime is years
// old.
func TestInUseProtection(t *testing.T) {
	c, err := cachetest.Parse(inUseSpec)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	hub, db := filepath.Join(dir, "hub"), filepath.Join(dir, "index.db")
	cachetest.Build(t, hub, c)
	hub, _ = filepath.EvalSymlinks(hub)
	stateFile := filepath.Join(dir, "state.db")
	cli := func(args ...string) cmdResult {
		return hfidx(append(args, "--cache-dir", hub, "--db", db, "--state", stateFile)...)
	}
	weights, err := filepath.EvalSymlinks(filepath.Join(hub, "models--org--a/snapshots/2222222222222222222222222222222222222222/weights.bin"))
	if err != nil {
		t.Fatal(err)
	}
	h := startHolder(t, weights, false)
	pid := strconv.Itoa(h.cmd.Process.Pid)

	r := cli("delete", "--dry-run", "2222222222222222222222222222222222222222")
	if r.code != 0 || !strings.Contains(r.stdout, weights+" (in use by "+pid+" (") {
		t.Fatalf("dry run: exit %d, want the blob kept in use by %s:\n%s%s", r.code, pid, r.stdout, r.stderr)
	}
	r = cli("delete", "--yes", "--json", "2222222222222222222222222222222222222222")
	if r.code != 0 {
		t.Fatalf("delete: exit %d: %s", r.code, r.stderr)
	}
	if _, err := os.Stat(weights); err != nil {
		t.Fatalf("the blob a process maps was deleted: %v", err)
	}
	var out struct {
		Held []struct {
			Path  string   `json:"path"`
			InUse []string `json:"in_use"`
		} `json:"held"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil || len(out.Held) != 1 || out.Held[0].Path != weights ||
		len(out.Held[0].InUse) != 1 || !strings.HasPrefix(out.Held[0].InUse[0], pid+" (") {
		t.Errorf("delete JSON held = %+v (%v), want %s in use by %s", out.Held, err, weights, pid)
	}

	// The snapshot went; the blob is an orphan now, still mapped.
	r = cli("prune", "--yes", "--grace", "0")
	if r.code != 0 || !strings.Contains(r.stdout+r.stderr, "in use by "+pid) {
		t.Fatalf("prune while held: exit %d, want the PID named:\n%s%s", r.code, r.stdout, r.stderr)
	}
	if _, err := os.Stat(weights); err != nil {
		t.Fatalf("prune deleted the blob a process maps: %v", err)
	}

	// sample while held: a use recorded; ls then lists the repo as
	// accessed within the hour, though every atime is from 2017.
	if r = cli("ls", "-q", "-f", "accessed<1h"); r.code != 0 || r.stdout != "" {
		t.Fatalf("ls before sample: exit %d, %q", r.code, r.stdout)
	}
	r = cli("sample", "--json")
	var s struct{ Files, Processes int }
	if json.Unmarshal([]byte(r.stdout), &s) != nil || s.Files < 1 || s.Processes < 1 {
		t.Fatalf("sample: exit %d, %s %s", r.code, r.stdout, r.stderr)
	}
	if r = cli("query", "--format", "csv", "SELECT source FROM usage_records WHERE path = '"+weights+"'"); !strings.Contains(r.stdout, "sample") {
		t.Errorf("no sample record of the held blob: %s %s", r.stdout, r.stderr)
	}

	h.stop()
	r = cli("prune", "--yes", "--grace", "0")
	if r.code != 0 {
		t.Fatalf("prune after the holder exited: exit %d: %s", r.code, r.stderr)
	}
	if _, err := os.Stat(weights); err == nil {
		t.Fatalf("prune kept the blob after its holder exited:\n%s", r.stdout)
	}

	// --force: the blob of main, held open, goes, with the note.
	keep, _ := filepath.EvalSymlinks(filepath.Join(hub, "models--org--a/snapshots/1111111111111111111111111111111111111111/keep.txt"))
	h2 := startHolder(t, keep, true)
	r = hfidx("run", "--cache-dir", hub, "--db", db, "--state", stateFile, "--", "cat", keep)
	if r.code != 0 || r.stdout != "kept" {
		t.Fatalf("run: exit %d, %q %s", r.code, r.stdout, r.stderr)
	}
	if r = cli("query", "--format", "csv", "SELECT source, detail FROM usage_records WHERE path = '"+keep+"'"); !strings.Contains(r.stdout, "run,cat "+keep) {
		t.Errorf("no run record of the file cat read: %s %s", r.stdout, r.stderr)
	}
	if r = cli("ls", "-q", "-f", "accessed<1h"); r.stdout != "model/org/a\n" {
		t.Errorf("ls -f accessed<1h after the records = %q, want model/org/a", r.stdout)
	}
	r = cli("delete", "--yes", "--force", "model/org/a")
	if r.code != 0 || !strings.Contains(r.stdout, "freed only when those processes exit") || !strings.Contains(r.stdout, strconv.Itoa(h2.cmd.Process.Pid)) {
		t.Fatalf("delete --force: exit %d, want the note naming %d:\n%s%s", r.code, h2.cmd.Process.Pid, r.stdout, r.stderr)
	}
	if _, err := os.Stat(filepath.Join(hub, "models--org--a")); err == nil {
		t.Errorf("delete --force left the repo")
	}
}
