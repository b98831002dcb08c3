package cache

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
)

// recorder is a RepoSink that rebuilds the repo it is given, its ids
// being indexes into the repo's slices.
type recorder struct {
	r       Repo
	damaged bool
}

func (c *recorder) Repo(r *Repo) error {
	c.r = Repo{Folder: r.Folder, Path: r.Path, Type: r.Type, ID: r.ID, Stat: r.Stat}
	return nil
}

func (c *recorder) KnownBlob(path string) (int64, bool, bool, error) {
	for i, b := range c.r.Blobs {
		if b.Path == path {
			return int64(i), b.Missing, true, nil
		}
	}
	return 0, false, false, nil
}

func (c *recorder) Blob(b Blob) (int64, error) {
	if _, _, ok, _ := c.KnownBlob(b.Path); ok {
		return 0, fmt.Errorf("blob %s given twice", b.Path)
	}
	c.r.Blobs = append(c.r.Blobs, b)
	return int64(len(c.r.Blobs) - 1), nil
}

func (c *recorder) Revision(v Revision) (int64, error) {
	c.r.Revisions = append(c.r.Revisions, v)
	return int64(len(c.r.Revisions) - 1), nil
}

func (c *recorder) File(rev int64, f File) error {
	c.r.Revisions[rev].Files = append(c.r.Revisions[rev].Files, f)
	return nil
}

func (c *recorder) NoExist(n NoExist) error { c.r.NoExist = append(c.r.NoExist, n); return nil }

func (c *recorder) Incomplete(in Incomplete) error {
	c.r.Incomplete = append(c.r.Incomplete, in)
	return nil
}

func (c *recorder) Warning(w Warning, damaging bool) error {
	if damaging {
		c.r.Problems = append(c.r.Problems, w)
	} else {
		c.r.Notes = append(c.r.Notes, w)
	}
	return nil
}

func (c *recorder) Finish(r *Repo, revs []int64, damaged bool) error {
	for i, ref := range r.Refs {
		ref.Revision = int(revs[i])
		c.r.Refs = append(c.r.Refs, ref)
	}
	c.damaged = damaged
	return nil
}

// heldLines renders a repo, sorted, for comparing the repo a scan held
// whole with the one a recorder rebuilt.
func heldLines(r *Repo) []string {
	out := []string{fmt.Sprintf("repo %s %s %v %d", r.Folder, r.CacheID(), r.Damaged(), r.Stat.Mtime.Nanos())}
	for _, w := range r.Problems {
		out = append(out, fmt.Sprintf("warning true %s %s %s", w.Entry, w.Path, w.Message))
	}
	for _, w := range r.Notes {
		out = append(out, fmt.Sprintf("warning false %s %s %s", w.Entry, w.Path, w.Message))
	}
	for _, n := range r.NoExist {
		out = append(out, fmt.Sprintf("no_exist %s %s %s", n.Commit, n.RelPath, n.Path))
	}
	for _, in := range r.Incomplete {
		out = append(out, fmt.Sprintf("incomplete %s %s %d", in.Entry, in.Path, in.Stat.Size))
	}
	for _, ref := range r.Refs {
		to := "-"
		if ref.Revision >= 0 {
			to = r.Revisions[ref.Revision].Hash
		}
		out = append(out, fmt.Sprintf("ref %s %s %s %s", ref.Name, ref.Path, ref.Target, to))
	}
	for _, b := range r.Blobs {
		out = append(out, fmt.Sprintf("blob %s %s %v %d %d %s", b.Path, b.Kind, b.Missing, b.Stat.Size, b.Stat.Ino, b.Payload))
	}
	for _, v := range r.Revisions {
		out = append(out, fmt.Sprintf("revision %s %s %s %d", v.Hash, v.Path, v.Link, v.Stat.Mtime.Nanos()))
		for _, f := range v.Files {
			blob := "-"
			if f.Blob >= 0 {
				blob = r.Blobs[f.Blob].Path
			}
			out = append(out, fmt.Sprintf("file %s %s %s %s %s -> %s", v.Hash, f.RelPath, f.Path, f.Kind, f.Target, blob))
		}
	}
	slices.Sort(out)
	return out
}

// checkStreamed streams every repo folder of the cache at root to a
// recorder and compares what it gets with the repo the scan holds whole.
func checkStreamed(t *testing.T, root string) {
	t.Helper()
	des, err := os.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	w := NewWalker(root, Options{})
	for _, d := range des {
		e := w.Entry(d)
		if e.Repo == nil || e.Repo.Link != "" {
			continue
		}
		rec := &recorder{}
		if err := w.Stream(d.Name(), rec); err != nil {
			t.Fatalf("stream %s: %v", d.Name(), err)
		}
		if rec.damaged != rec.r.Damaged() {
			t.Errorf("%s: Finish says damaged %v after %d damaging warnings", d.Name(), rec.damaged, len(rec.r.Problems))
		}
		held, streamed := heldLines(e.Repo), heldLines(&rec.r)
		if !slices.Equal(held, streamed) {
			t.Errorf("%s streamed differs from held:\nheld:\n%s\nstreamed:\n%s", d.Name(),
				strings.Join(held, "\n"), strings.Join(streamed, "\n"))
		}
	}
}

// TestEntryBig checks that a walker with a budget gives up exactly the
// repos above it, whatever holds the entries, and holds the others whole.
func TestEntryBig(t *testing.T) {
	root := newRoot(t)
	files := map[string]string{
		"models--org--small/snapshots/" + h1 + "/a":  "link:../../blobs/e",
		"models--org--small/blobs/e":                 "file:hello",
		"models--org--snap/blobs/e":                  "file:hello",
		"models--org--blobs/snapshots/" + h1 + "/a":  "link:../../blobs/b0",
		"models--org--noexist/snapshots/" + h1 + "/": "dir:",
	}
	for i := 0; i < 12; i++ {
		files[fmt.Sprintf("models--org--snap/snapshots/%s/f%02d", h1, i)] = "link:../../blobs/e"
		files[fmt.Sprintf("models--org--blobs/blobs/b%d", i)] = "file:x"
		files[fmt.Sprintf("models--org--noexist/.no_exist/%s/n%02d", h1, i)] = "file:"
	}
	tree(t, root, files)
	des, err := os.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	w := NewWalker(root, Options{RepoBudget: 10})
	for _, d := range des {
		e := w.Entry(d)
		if big := d.Name() != "models--org--small"; e.Big != big || (e.Repo == nil) != big {
			t.Errorf("%s: Big = %v, Repo = %v; want Big %v", d.Name(), e.Big, e.Repo != nil, big)
		}
	}
	checkStreamed(t, root)
}
