// Package synth writes synthetic Hugging Face Hub caches for benchmarks,
// deterministically from a seed, in the layout huggingface_hub writes.
package synth

import (
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
)

// Config describes the cache to write.
type Config struct {
	Repos int   // repos to write; the benchmark cache has 3,000 per scale step
	Seed  int64 // the same seed writes the same cache
	// LFSMin and LFSMax bound the apparent size of LFS blobs, written as
	// sparse files; the size is drawn log-uniformly between them.
	LFSMin, LFSMax int64
	// NoSymlinkEvery makes every n-th repo a no-symlink one (real files in
	// its snapshots, as on Windows without developer mode); 0 for none.
	NoSymlinkEvery int
}

// Default is the benchmark cache of issue 6 at scale 1: 3,000 repos of
// models, datasets and spaces, 1-6 revisions of 1-14 files each, about
// half the files sharing a blob with another revision, sparse LFS blobs of
// 10 MB to 5 GB, one repo in 20 without symlinks.
func Default(scale int) Config {
	return Config{Repos: 3000 * scale, Seed: 1, LFSMin: 10e6, LFSMax: 5e9, NoSymlinkEvery: 20}
}

// Stats counts what Write wrote.
type Stats struct {
	Repos, Revisions, Links, Copies, Blobs, Refs int
}

// file is a name a repo may hold and whether it is stored by LFS.
type file struct {
	name string
	lfs  bool
}

var names = map[string][]file{
	"models": {
		{"config.json", false}, {"README.md", false}, {".gitattributes", false},
		{"tokenizer.json", false}, {"tokenizer_config.json", false}, {"special_tokens_map.json", false},
		{"generation_config.json", false}, {"model.safetensors", true}, {"pytorch_model.bin", true},
		{"onnx/model.onnx", true}, {"unet/diffusion_pytorch_model.safetensors", true},
		{"text_encoder/model.safetensors", true}, {"vae/config.json", false},
		{"model-00001-of-00002.safetensors", true}, {"model-00002-of-00002.safetensors", true},
		{"model.safetensors.index.json", false}, {"gguf/model-Q4_K_M.gguf", true}, {"gguf/model-Q8_0.gguf", true},
	},
	"datasets": {
		{"README.md", false}, {".gitattributes", false}, {"dataset_info.json", false},
		{"data/train-00000-of-00002.parquet", true}, {"data/train-00001-of-00002.parquet", true},
		{"data/test-00000-of-00001.parquet", true}, {"data/validation-00000-of-00001.parquet", true},
		{"default/train/0000.parquet", true}, {"images/archive.tar.gz", true}, {"metadata.jsonl", false},
		{"splits/train.csv", false}, {"splits/test.csv", false}, {"LICENSE", false}, {"script.py", false},
	},
	"spaces": {
		{"app.py", false}, {"requirements.txt", false}, {"README.md", false}, {".gitattributes", false},
		{"model.pt", true}, {"assets/logo.png", true}, {"examples/example1.jpg", true},
		{"utils/helpers.py", false}, {"packages.txt", false}, {"Dockerfile", false},
		{"static/index.html", false}, {"checkpoints/best.ckpt", true}, {"config.yaml", false}, {"LICENSE", false},
	},
}

type writer struct {
	cfg Config
	rng *rand.Rand
	st  Stats
}

// Write writes the cache described by cfg under root and returns what it
// wrote, or the first I/O error.
func Write(root string, cfg Config) (Stats, error) {
	w := &writer{cfg: cfg, rng: rand.New(rand.NewSource(cfg.Seed))}
	if err := os.MkdirAll(root, 0o755); err != nil {
		return w.st, err
	}
	kinds := []string{"models", "datasets", "spaces"}
	for r := 0; r < cfg.Repos; r++ {
		kind := kinds[w.rng.Intn(len(kinds))]
		folder := fmt.Sprintf("%s--org%d--%s-%d", kind, w.rng.Intn(400), kind[:len(kind)-1], r)
		noLinks := cfg.NoSymlinkEvery > 0 && r%cfg.NoSymlinkEvery == cfg.NoSymlinkEvery-1
		if err := w.repo(filepath.Join(root, folder), kind, noLinks); err != nil {
			return w.st, err
		}
	}
	return w.st, nil
}

type blob struct {
	etag string
	size int64
	data []byte // content of a small (git) file; nil for a sparse LFS blob
}

func (w *writer) repo(dir, kind string, noLinks bool) error {
	w.st.Repos++
	for _, d := range []string{"blobs", "refs", "snapshots"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			return err
		}
	}
	pool := names[kind]
	// The repo's own files: 1 to 14 of the typical names, in a random order.
	perm := w.rng.Perm(len(pool))
	n := 1 + w.rng.Intn(14)
	if n > len(pool) {
		n = len(pool)
	}
	files := make([]file, n)
	for i := range files {
		files[i] = pool[perm[i]]
	}
	revs := 1 + w.rng.Intn(6)
	current := map[string]blob{} // name -> blob of the latest revision holding it
	var commits []string
	for v := 0; v < revs; v++ {
		sum := sha1.Sum([]byte(fmt.Sprintf("%s@%d", dir, v)))
		commit := hex.EncodeToString(sum[:])
		commits = append(commits, commit)
		snap := filepath.Join(dir, "snapshots", commit)
		if err := os.MkdirAll(snap, 0o755); err != nil {
			return err
		}
		w.st.Revisions++
		// Every revision holds the repo's files; an early one may lack the
		// last of them, added later.
		count := len(files)
		if v < revs-1 && count > 1 {
			count -= w.rng.Intn(2)
		}
		for _, f := range files[:count] {
			b, ok := current[f.name]
			if !ok || w.rng.Intn(2) == 0 {
				// A new version of the file: about half the entries of
				// later revisions share the blob of an earlier one.
				b = w.newBlob(f)
				current[f.name] = b
				if !noLinks {
					if err := w.writeBlob(filepath.Join(dir, "blobs", b.etag), b); err != nil {
						return err
					}
				}
			}
			p := filepath.Join(snap, filepath.FromSlash(f.name))
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				return err
			}
			if noLinks {
				w.st.Copies++
				if err := w.writeFile(p, b); err != nil {
					return err
				}
				continue
			}
			target := strings.Repeat("../", strings.Count(f.name, "/")+2) + "blobs/" + b.etag
			if err := os.Symlink(target, p); err != nil {
				return err
			}
			w.st.Links++
		}
	}
	// refs/main names the last revision; some repos also have a tag or a PR
	// ref on an earlier one; one in 25 was downloaded by commit hash only.
	refs := map[string]string{}
	if w.rng.Intn(25) != 0 {
		refs["main"] = commits[len(commits)-1]
		if revs > 2 && w.rng.Intn(3) == 0 {
			refs["v1.0"] = commits[0]
		}
		if revs > 1 && w.rng.Intn(5) == 0 {
			refs["refs/pr/1"] = commits[revs-2]
		}
	}
	for name, commit := range refs {
		p := filepath.Join(dir, "refs", filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, []byte(commit), 0o644); err != nil {
			return err
		}
		w.st.Refs++
	}
	return nil
}

func (w *writer) newBlob(f file) blob {
	w.st.Blobs++
	if !f.lfs {
		data := make([]byte, 64+w.rng.Intn(4000))
		w.rng.Read(data)
		// Git blobs are named by the SHA-1 of "blob <size>\0<content>".
		h := sha1.New()
		fmt.Fprintf(h, "blob %d\x00", len(data))
		h.Write(data)
		return blob{etag: hex.EncodeToString(h.Sum(nil)), size: int64(len(data)), data: data}
	}
	lo, hi := math.Log(float64(w.cfg.LFSMin)), math.Log(float64(w.cfg.LFSMax))
	size := int64(math.Exp(lo + w.rng.Float64()*(hi-lo)))
	// The name of a sparse blob cannot be its content's SHA-256; it only
	// has to look like one.
	var seed [16]byte
	w.rng.Read(seed[:])
	sum := sha256.Sum256(seed[:])
	return blob{etag: hex.EncodeToString(sum[:]), size: size}
}

func (w *writer) writeBlob(p string, b blob) error {
	if _, err := os.Lstat(p); err == nil {
		return nil
	}
	return w.writeFile(p, b)
}

// writeFile writes b at p: its content, or a sparse file of its size.
func (w *writer) writeFile(p string, b blob) error {
	if b.data != nil {
		return os.WriteFile(p, b.data, 0o644)
	}
	f, err := os.Create(p)
	if err != nil {
		return err
	}
	if err := f.Truncate(b.size); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// CopySnapshot copies the snapshot folder src to dst: links as links, real
// files hard-linked (hardLink) or copied.
func CopySnapshot(src, dst string, hardLink bool) error {
	return filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		to := filepath.Join(dst, rel)
		switch {
		case d.IsDir():
			return os.MkdirAll(to, 0o755)
		case d.Type()&os.ModeSymlink != 0:
			t, err := os.Readlink(p)
			if err != nil {
				return err
			}
			return os.Symlink(t, to)
		case hardLink:
			return os.Link(p, to)
		default:
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			return os.WriteFile(to, b, 0o644)
		}
	})
}
