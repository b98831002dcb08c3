package index

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/hfidx/hfidx/cache"
	"github.com/hfidx/hfidx/cache/cachetest"
	"github.com/hfidx/hfidx/schema"
)

// TestDigestsSurviveSync: the digests verify kept (for files still in the
// cache) and the assets listing survive both a full sync, which builds a
// new index file, and an incremental one; digests of files gone are dropped.
func TestDigestsSurviveSync(t *testing.T) {
	t.Run("full", func(t *testing.T) { checkDigestsSurviveSync(t, true) })
	t.Run("incremental", func(t *testing.T) { checkDigestsSurviveSync(t, false) })
}

func checkDigestsSurviveSync(t *testing.T, rebuild bool) {
	root, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	c, err := cachetest.Parse(`
repo model org/a
  rev 1111111111111111111111111111111111111111
    file a.txt "aaa"
    file b.txt "bbb"
`)
	if err != nil {
		t.Fatal(err)
	}
	cachetest.Build(t, root, c)
	db := filepath.Join(t.TempDir(), "i.db")
	if _, err := Sync(root, db, Options{}); err != nil {
		t.Fatal(err)
	}
	var targets []cache.VerifyTarget
	if _, err := cache.Scan(root, cache.Options{}, cache.Handler{Repo: func(r *cache.Repo) error {
		targets = append(targets, cache.VerifyTarget{Repo: r})
		return nil
	}}); err != nil {
		t.Fatal(err)
	}
	rep := cache.Verify(targets, cache.VerifyOptions{})
	if len(rep.Digests) != 2 {
		t.Fatalf("%d digests, want 2", len(rep.Digests))
	}
	d, err := OpenDigests(db, false)
	if err != nil {
		t.Fatal(err)
	}
	// One more, of a file that is not in the cache.
	stale := cache.Digest{Key: cache.DigestKey{FileID: cache.FileID{Dev: 1, Ino: 2, Size: 3, Mtime: 4}, Algo: cache.SHA256}, Hex: "00"}
	if err := d.Keep(append(rep.Digests, stale), nil, time.Now()); err != nil {
		t.Fatal(err)
	}
	assets := []cache.Asset{{Library: "lib", Namespace: "ns", Subfolder: "sub", Path: "/a/lib/ns/sub", Kind: "dir", Size: 5, Files: 1, LastModified: 1.5}}
	if err := SaveAssets(db, assets, time.Now()); err != nil {
		t.Fatal(err)
	}
	before, _ := os.Stat(db)

	st, err := Sync(root, db, Options{Rebuild: rebuild})
	if err != nil {
		t.Fatal(err)
	}
	after, _ := os.Stat(db)
	if rebuild && (st.Mode != "full" || os.SameFile(before, after)) {
		t.Fatalf("sync did not build a new file; the test proves nothing")
	}
	if !rebuild && (st.Mode != "incremental" || !os.SameFile(before, after)) {
		t.Fatalf("sync was %s (%s), not an update in place; the test proves nothing", st.Mode, st.Reason)
	}
	d, err = OpenDigests(db, true)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Known) != 2 {
		t.Errorf("after sync: %d digests, want the 2 of files in the cache (the stale one dropped)", len(d.Known))
	}
	for _, g := range rep.Digests {
		if d.Known[g.Key] != g.Hex {
			t.Errorf("digest of %+v lost in the sync", g.Key)
		}
	}
	ro, err := schema.OpenReadOnly(db)
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	var lib string
	var size int64
	if err := ro.QueryRow(`SELECT library, size FROM assets`).Scan(&lib, &size); err != nil || lib != "lib" || size != 5 {
		t.Errorf("assets after sync: %q %d %v; want lib 5", lib, size, err)
	}
	var ok int
	if err := ro.Get(&ok, `SELECT count(*) FROM blob_checks WHERE status = 'ok'`); err != nil || ok != 2 {
		t.Errorf("blob_checks ok = %d (%v), want 2", ok, err)
	}
	if err := d.Keep(rep.Digests, nil, time.Now()); err != ErrReadOnly {
		t.Errorf("Keep on a read-only store = %v, want ErrReadOnly", err)
	}

	// A corrupted blob shows in blob_checks once verify kept its digest.
	os.WriteFile(filepath.Join(root, "models--org--a", "blobs", targets[0].Repo.Blobs[0].Path[len(targets[0].Repo.Path)+len("/blobs/"):]), []byte("xxx"), 0o644)
	if _, err := Sync(root, db, Options{}); err != nil {
		t.Fatal(err)
	}
	var unverified int
	ro2, _ := schema.OpenReadOnly(db)
	defer ro2.Close()
	ro2.Get(&unverified, `SELECT count(*) FROM blob_checks WHERE status = 'unverified'`)
	if unverified != 1 {
		t.Errorf("after rewriting a blob: %d unverified, want 1 (its identity changed)", unverified)
	}
}
