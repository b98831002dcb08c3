package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hfidx/hfidx/cache"
	"github.com/hfidx/hfidx/cache/cachetest"
)

// TestVerifyExitCodes: 0 when every checksum matches, 1 on any problem,
// 2 for a run that names nothing; no progress without a terminal.
func TestVerifyExitCodes(t *testing.T) {
	hub := filepath.Join(t.TempDir(), "hub")
	c, err := cachetest.Parse(`
repo model org/a
  rev 1111111111111111111111111111111111111111
    file a.txt "abc"
  ref main 1111111111111111111111111111111111111111
`)
	if err != nil {
		t.Fatal(err)
	}
	cachetest.Build(t, hub, c)
	db := filepath.Join(t.TempDir(), "i.db")
	verify := func(args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		code := run(append([]string{"verify", "--cache-dir", hub, "--db", db}, args...), strings.NewReader(""), &out, &errb)
		return code, out.String(), errb.String()
	}
	if code, out, errs := verify("--all"); code != exitOK || !strings.Contains(out, "All checksums match.") || errs != "" {
		t.Errorf("verify --all on a good cache: exit %d, stdout %q, stderr %q; want 0, a match, no stderr", code, out, errs)
	}
	if code, _, _ := verify(); code != exitUsage {
		t.Errorf("verify without targets: exit %d, want %d", code, exitUsage)
	}
	if code, _, _ := verify("--all", "model/org/a"); code != exitUsage {
		t.Errorf("verify --all with a target: exit %d, want %d", code, exitUsage)
	}
	blob := filepath.Join(hub, "models--org--a", "blobs", "f2ba8f84ab5c1bce84a7b441cb1959cfc7093b7f")
	if err := os.WriteFile(blob, []byte("abd"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, out, errs := verify("model/org/a"); code != exitError || !strings.Contains(out, "mismatch model/org/a") ||
		!strings.Contains(errs, "verification failed: 1 problem") {
		t.Errorf("verify on a corrupted blob: exit %d, stdout %q, stderr %q; want 1 and the mismatch", code, out, errs)
	}
}

func TestShowProgress(t *testing.T) {
	var b safeBuffer
	p := &cache.VerifyProgress{}
	p.TotalBytes.Store(2000)
	p.TotalFiles.Store(2)
	p.DoneBytes.Store(1000)
	p.DoneFiles.Store(1)
	stop := showProgress(&b, p)
	time.Sleep(450 * time.Millisecond)
	stop()
	got := b.String()
	if !strings.Contains(got, "\r\x1b[Kverify: 1.0K of 2.0K read, 1 of 2 files") || !strings.HasSuffix(got, "\r\x1b[K") {
		t.Errorf("progress output %q: want the counts, then the line cleared", got)
	}
	// Nothing to read, nothing shown.
	b.Reset()
	stop = showProgress(&b, &cache.VerifyProgress{})
	time.Sleep(250 * time.Millisecond)
	stop()
	if b.String() != "" {
		t.Errorf("progress with nothing to read printed %q", b.String())
	}
}

// safeBuffer is a bytes.Buffer safe for one writer goroutine and a reader.
type safeBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *safeBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *safeBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func (s *safeBuffer) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.b.Reset()
}
