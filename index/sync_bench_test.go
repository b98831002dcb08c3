package index

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/hfidx/hfidx/bench/synth"
	"github.com/hfidx/hfidx/cache"
	"github.com/hfidx/hfidx/schema"
)

// benchCache writes the benchmark cache at a tenth of scale 1 (300 repos)
// once per benchmark.
func benchCache(b *testing.B) (string, synth.Stats) {
	b.Helper()
	root := filepath.Join(b.TempDir(), "hub")
	cfg := synth.Default(1)
	cfg.Repos = 300
	st, err := synth.Write(root, cfg)
	if err != nil {
		b.Fatal(err)
	}
	return root, st
}

// BenchmarkSync measures a full sync into a fresh index of the benchmark
// cache at 300 repos; bench/run.sh measures larger caches against du.
func BenchmarkSync(b *testing.B) {
	root, st := benchCache(b)
	db := filepath.Join(b.TempDir(), "index.db")
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		os.Remove(db)
		got, err := Sync(root, db, Options{Summary: true})
		if err != nil {
			b.Fatal(err)
		}
		if got.Files != st.Links+st.Copies {
			b.Fatalf("%d files indexed, want %d", got.Files, st.Links+st.Copies)
		}
	}
}

// BenchmarkWriter measures the writer alone: the repos of the benchmark
// cache at 300 repos, scanned once, written into a fresh index.
func BenchmarkWriter(b *testing.B) {
	root, st := benchCache(b)
	var entries []cache.Entry
	w := cache.NewWalker(root, cache.Options{})
	des, err := os.ReadDir(root)
	if err != nil {
		b.Fatal(err)
	}
	for _, d := range des {
		entries = append(entries, w.Entry(d))
	}
	dir := b.TempDir()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		path := filepath.Join(dir, fmt.Sprintf("%d.db", i))
		db, err := schema.Create(path)
		if err != nil {
			b.Fatal(err)
		}
		wr, err := newWriter(db)
		if err != nil {
			b.Fatal(err)
		}
		h := wr.handler()
		for _, e := range entries {
			if err := h.Entry(e); err != nil {
				b.Fatal(err)
			}
		}
		if err := wr.finish(map[string]string{"cache_dir": root}); err != nil {
			b.Fatal(err)
		}
		var n int
		db.Get(&n, `SELECT count(*) FROM files`)
		db.Close()
		if n != st.Links+st.Copies {
			b.Fatalf("%d files written, want %d", n, st.Links+st.Copies)
		}
	}
}

// BenchmarkSyncUnchanged measures an incremental sync of the benchmark
// cache at 300 repos when nothing changed.
func BenchmarkSyncUnchanged(b *testing.B) {
	root, _ := benchCache(b)
	db := filepath.Join(b.TempDir(), "index.db")
	opts := Options{RacyWindow: time.Millisecond}
	time.Sleep(5 * time.Millisecond)
	if _, err := Sync(root, db, opts); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		st, err := Sync(root, db, opts)
		if err != nil {
			b.Fatal(err)
		}
		if st.Mode != "incremental" || st.Rescanned != 0 {
			b.Fatalf("sync %s, %d repos listed again (%s)", st.Mode, st.Rescanned, st.Reason)
		}
	}
}

// BenchmarkWalk measures the walk alone (a full scan, rows discarded).
func BenchmarkWalk(b *testing.B) {
	root, st := benchCache(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		files := 0
		if _, err := cache.Scan(root, cache.Options{}, cache.Handler{Repo: func(r *cache.Repo) error {
			for _, v := range r.Revisions {
				files += len(v.Files)
			}
			return nil
		}}); err != nil {
			b.Fatal(err)
		}
		if files != st.Links+st.Copies {
			b.Fatalf("%d files walked, want %d", files, st.Links+st.Copies)
		}
	}
}
