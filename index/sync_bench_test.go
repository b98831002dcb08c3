package index

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/hfidx/hfidx/bench/synth"
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
		got, err := Sync(root, db, Options{})
		if err != nil {
			b.Fatal(err)
		}
		if got.Files != st.Links+st.Copies {
			b.Fatalf("%d files indexed, want %d", got.Files, st.Links+st.Copies)
		}
	}
}
