package index

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/hfidx/hfidx/bench/synth"
)

// BenchmarkSync measures a full sync into a fresh index of a synthetic
// cache of 300 repos (16,200 snapshot links). bench/run.sh measures larger
// caches against du.
func BenchmarkSync(b *testing.B) {
	root := filepath.Join(b.TempDir(), "hub")
	if err := synth.Write(root, 300, 3, 18, 64, 1); err != nil {
		b.Fatal(err)
	}
	db := filepath.Join(b.TempDir(), "index.db")
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		os.Remove(db)
		st, err := Sync(root, db, Options{})
		if err != nil {
			b.Fatal(err)
		}
		if st.Files != 300*3*18 {
			b.Fatalf("%d files indexed, want %d", st.Files, 300*3*18)
		}
	}
}
