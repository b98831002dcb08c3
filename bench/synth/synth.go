// Package synth writes synthetic Hugging Face Hub caches for benchmarks.
package synth

import (
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
)

func hash(b []byte) string {
	h := sha1.Sum(b)
	return hex.EncodeToString(h[:])
}

// Write writes a synthetic cache under root: repos with revs revisions of
// files files each (a third of them changed per revision, the rest shared
// through relative symlinks), blobs of size bytes, refs main and v1.0.
// It returns the first I/O error.
func Write(root string, repos, revs, files, size int, seed int64) error {
	rng := rand.New(rand.NewSource(seed))
	kinds := []string{"models", "datasets", "spaces"}
	for r := 0; r < repos; r++ {
		folder := fmt.Sprintf("%s--org%d--repo-%d", kinds[r%3], r%97, r)
		repo := filepath.Join(root, folder)
		for _, d := range []string{"blobs", "refs", "snapshots"} {
			if err := os.MkdirAll(filepath.Join(repo, d), 0o755); err != nil {
				return err
			}
		}
		// Each revision changes about a third of the files.
		etags := make([]string, files)
		for v := 0; v < revs; v++ {
			commit := hash([]byte(fmt.Sprintf("%s@%d", folder, v)))
			snap := filepath.Join(repo, "snapshots", commit)
			for f := 0; f < files; f++ {
				if v == 0 || rng.Intn(3) == 0 {
					content := make([]byte, size)
					rng.Read(content)
					etags[f] = hash(content)
					if err := os.WriteFile(filepath.Join(repo, "blobs", etags[f]), content, 0o644); err != nil {
						return err
					}
				}
				name := fmt.Sprintf("file-%d.bin", f)
				depth := 0
				if f%4 == 0 {
					name = fmt.Sprintf("sub/dir/file-%d.bin", f)
					depth = 2
				}
				p := filepath.Join(snap, name)
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					return err
				}
				target := strings.Repeat("../", depth+2) + "blobs/" + etags[f]
				if err := os.Symlink(target, p); err != nil {
					return err
				}
			}
			ref := ""
			switch {
			case v == revs-1:
				ref = "main"
			case v == 0 && revs > 2:
				ref = "v1.0"
			}
			if ref != "" {
				if err := os.WriteFile(filepath.Join(repo, "refs", ref), []byte(commit), 0o644); err != nil {
					return err
				}
			}
		}
	}
	return nil
}
