package proc

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// TestWatchOpens: a file another process opens and closes at once is seen,
// through a symlink too (the event is on the folder of the file opened);
// a file only stat'ed is not.
func TestWatchOpens(t *testing.T) {
	dir := t.TempDir()
	blobs := filepath.Join(dir, "blobs")
	os.Mkdir(blobs, 0o755)
	for _, n := range []string{"a", "b", "c"} {
		os.WriteFile(filepath.Join(blobs, n), []byte(n), 0o644)
	}
	os.Symlink(filepath.Join(blobs, "b"), filepath.Join(dir, "link"))
	o, skipped, err := WatchOpens([]string{blobs, filepath.Join(dir, "missing")})
	if err != nil {
		t.Fatal(err)
	}
	if skipped != 1 {
		t.Errorf("skipped %d folders, want 1 (the missing one)", skipped)
	}
	if out, err := exec.Command("sh", "-c", "cat "+filepath.Join(blobs, "a")+" "+filepath.Join(dir, "link")+" >/dev/null; stat "+filepath.Join(blobs, "c")+" >/dev/null").CombinedOutput(); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	time.Sleep(50 * time.Millisecond)
	seen := o.Stop()
	for _, n := range []string{"a", "b"} {
		if _, ok := seen[filepath.Join(blobs, n)]; !ok {
			t.Errorf("open of %s not seen; saw %v", n, seen)
		}
	}
	if _, ok := seen[filepath.Join(blobs, "c")]; ok {
		t.Errorf("a stat counted as an open")
	}
}
