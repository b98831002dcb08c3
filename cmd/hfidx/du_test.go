package main

import (
	"encoding/json"
	"fmt"
	"math/rand"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/hfidx/hfidx/cache/cachetest"
)

// TestDuQuantSumsToRepos builds a random cache of GGUF repos (single and
// multi-part files in several quantizations, blobs shared between
// revisions, the same content in two repos, files that are not GGUF) and
// holds `hfidx du --by quant` against the spec: per-quant bytes, each
// blob once per repo, computed from what was generated, and their sum
// against the repos' sizes of `hfidx scan`.
func TestDuQuantSumsToRepos(t *testing.T) {
	seed := time.Now().UnixNano()
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewSource(seed))
	quants := []string{"Q4_K_M", "Q5_K_S", "Q8_0", "IQ2_XS", "IQ4_NL", "F16", "BF16", "F32", "Q4_0", "Q6_K", "IQ3_XXS"}
	type blobKey struct {
		repo int
		size int64
	}
	want := map[string]int64{}
	seen := map[blobKey]bool{}
	var c cachetest.Cache
	for r := 0; r < 12; r++ {
		repo := cachetest.Repo{Type: "model", ID: fmt.Sprintf("org%d/llm-%d-GGUF", r%3, r), Refs: map[string]string{}}
		nrev := 1 + rng.Intn(3)
		for v := 0; v < nrev; v++ {
			rev := cachetest.Revision{Hash: fmt.Sprintf("%040x", r*10+v+1)}
			// Sizes name the content: one size, one blob of the repo. Each
			// revision keeps some quants of the one before (same blob).
			for qi, q := range quants {
				if rng.Intn(3) == 0 {
					continue
				}
				version := int64(0)
				if rng.Intn(2) == 0 {
					version = int64(v)
				}
				parts := 1 + rng.Intn(3)
				for p := 1; p <= parts; p++ {
					name := fmt.Sprintf("model-%s.gguf", q)
					if rng.Intn(2) == 0 {
						name = fmt.Sprintf("Model.%s.gguf", q) // other spellings
					}
					if parts > 1 {
						name = fmt.Sprintf("%s/model-%s-%05d-of-%05d.gguf", q, q, p, parts)
					}
					size := 1_000_000 + int64(qi)*10_000 + int64(p)*100 + version*7
					if r%4 == 0 {
						size += int64(r) // some repos hold the content of no other
					}
					rev.Files = append(rev.Files, cachetest.File{Path: name, Size: size, Sparse: true, LFS: true})
					if k := (blobKey{r, size}); !seen[k] {
						seen[k] = true
						want[q] += size
					}
				}
			}
			txt := fmt.Sprintf("readme of %d", r)
			rev.Files = append(rev.Files, cachetest.File{Path: "README.md", Content: []byte(txt)})
			if k := (blobKey{r, -int64(len(txt))}); !seen[k] {
				seen[k] = true
				want["(none)"] += int64(len(txt))
			}
			repo.Revisions = append(repo.Revisions, rev)
		}
		repo.Refs["main"] = repo.Revisions[len(repo.Revisions)-1].Hash
		c.Repos = append(c.Repos, repo)
	}
	dir := t.TempDir()
	hub, db := filepath.Join(dir, "hub"), filepath.Join(dir, "index.db")
	if _, err := cachetest.Write(hub, c); err != nil {
		t.Fatal(err)
	}
	t.Setenv("XDG_STATE_HOME", filepath.Join(dir, "state"))
	res := hfidx("--cache-dir", hub, "--db", db, "du", "--by", "quant", "--json")
	if res.code != 0 {
		t.Fatalf("du: exit %d: %s", res.code, res.stderr)
	}
	var groups []struct {
		Group string `json:"group"`
		Size  int64  `json:"size_on_disk"`
	}
	if err := json.Unmarshal([]byte(res.stdout), &groups); err != nil {
		t.Fatal(err)
	}
	got := map[string]int64{}
	var sum int64
	for _, g := range groups {
		got[g.Group] = g.Size
		sum += g.Size
	}
	var names []string
	for q := range want {
		names = append(names, q)
	}
	sort.Strings(names)
	for _, q := range names {
		if got[q] != want[q] {
			t.Errorf("du --by quant: %s = %d, want %d", q, got[q], want[q])
		}
	}
	if len(got) != len(want) {
		t.Errorf("du --by quant: %d groups %v, want %d", len(got), got, len(want))
	}
	res = hfidx("--cache-dir", hub, "--db", db, "--no-sync", "scan", "--json")
	var scan struct {
		Repos []struct {
			Size int64 `json:"size_on_disk"`
		} `json:"repos"`
	}
	if err := json.Unmarshal([]byte(res.stdout), &scan); err != nil {
		t.Fatal(err)
	}
	var repos int64
	for _, r := range scan.Repos {
		repos += r.Size
	}
	if sum != repos {
		t.Errorf("du --by quant sums to %d, the repos' sizes (scan) to %d", sum, repos)
	}
}
