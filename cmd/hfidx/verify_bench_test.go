package main

import (
	"bytes"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// verifyBenchCache writes the cache bench/verify.sh measures: one repo of
// 16 LFS blobs sharing HFIDX_BENCH_VERIFY_MIB (256 unless set) and 64 git
// blobs of 1 to 64 KiB, all of random, non-sparse content named by their
// true digest.
func verifyBenchCache(b *testing.B) (root string, total int64) {
	b.Helper()
	mib := 256
	if s := os.Getenv("HFIDX_BENCH_VERIFY_MIB"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 16 {
			b.Fatalf("HFIDX_BENCH_VERIFY_MIB=%q: want a number of MiB, at least 16", s)
		}
		mib = n
	}
	root = filepath.Join(b.TempDir(), "hub")
	repo := filepath.Join(root, "models--bench--verify")
	commit := "1111111111111111111111111111111111111111"
	snap := filepath.Join(repo, "snapshots", commit)
	for _, d := range []string{filepath.Join(repo, "blobs"), snap, filepath.Join(repo, "refs")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			b.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(repo, "refs", "main"), []byte(commit), 0o644); err != nil {
		b.Fatal(err)
	}
	src := rand.NewChaCha8([32]byte{9})
	rng := rand.New(src)
	add := func(name string, size int, git bool) {
		data := make([]byte, size)
		src.Read(data)
		var sum string
		if git {
			h := sha1.New()
			fmt.Fprintf(h, "blob %d\x00", size)
			h.Write(data)
			sum = hex.EncodeToString(h.Sum(nil))
		} else {
			s := sha256.Sum256(data)
			sum = hex.EncodeToString(s[:])
		}
		if err := os.WriteFile(filepath.Join(repo, "blobs", sum), data, 0o644); err != nil {
			b.Fatal(err)
		}
		if err := os.Symlink("../../blobs/"+sum, filepath.Join(snap, name)); err != nil {
			b.Fatal(err)
		}
		total += int64(size)
	}
	for i := 1; i <= 16; i++ {
		add(fmt.Sprintf("model-%d.safetensors", i), mib<<20/16, false)
	}
	for i := 1; i <= 64; i++ {
		add(fmt.Sprintf("file-%d.json", i), (rng.IntN(64)+1)<<10, true)
	}
	return root, total
}

// BenchmarkVerify measures `hfidx verify --all` run in this process, so
// without the start of a new process (bench/verify.sh measures that too):
// first with no index (every blob read and hashed, the index built), then
// with the digests the first run kept (no blob read).
func BenchmarkVerify(b *testing.B) {
	root, size := verifyBenchCache(b)
	db := filepath.Join(b.TempDir(), "index.db")
	verify := func(b *testing.B, wantHashed string) {
		var out, errOut bytes.Buffer
		code := run([]string{"--cache-dir", root, "--db", db, "verify", "--all", "--format", "json"},
			nil, &out, &errOut)
		if code != 0 {
			b.Fatalf("exit %d: %s", code, errOut.String())
		}
		if !bytes.Contains(out.Bytes(), []byte(`"hashed":`+wantHashed+`,`)) {
			b.Fatalf("want hashed %s, got %s", wantHashed, out.String())
		}
	}
	b.Run("first", func(b *testing.B) {
		b.SetBytes(size)
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			os.Remove(db)
			b.StartTimer()
			verify(b, "80")
		}
	})
	b.Run("second", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			verify(b, "0")
		}
	})
}
