package query_test

import (
	"slices"
	"testing"

	"github.com/hfidx/hfidx/query"
)

// browseSpec: org/a (32 bytes: config.json in both revisions, w.bin of 10
// and 20), org/d (8 bytes) and a damaged org/x (5 bytes, a dangling ref).
const browseSpec = `
repo model org/a
rev 1111111111111111111111111111111111111111
file config.json "{}" time=1000
file w.bin "0123456789" time=1000
ref main 1111111111111111111111111111111111111111
rev 2222222222222222222222222222222222222222
file config.json "{}" time=1000
file w.bin "abcdefghijklmnopqrst" time=2000
ref refs/pr/1 2222222222222222222222222222222222222222
repo dataset org/d
rev 4444444444444444444444444444444444444444
file data.csv "a,b\n1,2\n" time=500
ref main 4444444444444444444444444444444444444444
repo model org/x
rev 5555555555555555555555555555555555555555
file x.bin "hello" time=100
ref main 5555555555555555555555555555555555555555
corrupt dangling-ref
`

func TestBrowseLoaders(t *testing.T) {
	root := build(t, browseSpec)
	db := syncedDB(t, root)
	rep, err := query.Load(db, false)
	if err != nil {
		t.Fatal(err)
	}
	tot, err := query.LoadBrowseTotals(db)
	if err != nil {
		t.Fatal(err)
	}
	if tot.Size != rep.SizeOnDisk || tot.DamagedSize != rep.DamagedSizeOnDisk {
		t.Errorf("LoadBrowseTotals = %d (+%d damaged), want scan's %d (+%d)", tot.Size, tot.DamagedSize, rep.SizeOnDisk, rep.DamagedSizeOnDisk)
	}
	if tot.CacheDir != root || tot.Repos != 3 || tot.DamagedRepos != 1 {
		t.Errorf("LoadBrowseTotals = %+v, want cache %s, 3 repos, 1 damaged", tot, root)
	}

	repos, err := query.LoadBrowseRepos(db)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, r := range repos {
		ids = append(ids, r.CacheID)
	}
	if want := []string{"model/org/a", "dataset/org/d", "model/org/x"}; !slices.Equal(ids, want) {
		t.Fatalf("LoadBrowseRepos order = %q, want %q (largest first)", ids, want)
	}
	a := repos[0]
	if a.SizeOnDisk != 32 || a.Revisions != 2 || !slices.Equal(a.Refs(), []string{"main", "refs/pr/1"}) || a.Damaged || a.LastUsed == 0 {
		t.Errorf("org/a = %+v, want 32 bytes, 2 revisions, refs main and refs/pr/1, a last use", a)
	}
	if !repos[2].Damaged {
		t.Errorf("org/x = %+v, want damaged", repos[2])
	}

	revs, err := query.LoadBrowseRevisions(db, "models--org--a")
	if err != nil {
		t.Fatal(err)
	}
	if len(revs) != 2 || revs[0].Hash != "2222222222222222222222222222222222222222" || revs[0].SizeOnDisk != 22 ||
		revs[0].Files != 2 || !slices.Equal(revs[0].Refs(), []string{"refs/pr/1"}) || revs[1].SizeOnDisk != 12 {
		t.Errorf("LoadBrowseRevisions(org/a) = %+v, want 2222 (22 bytes, refs/pr/1) then 1111 (12)", revs)
	}
	if revs, _ := query.LoadBrowseRevisions(db, "models--no--such"); len(revs) != 0 {
		t.Errorf("LoadBrowseRevisions(unknown) = %+v, want none", revs)
	}

	files, err := query.LoadBrowseFiles(db, "models--org--a", "2222222222222222222222222222222222222222")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 2 {
		t.Fatalf("LoadBrowseFiles = %+v, want 2 entries", files)
	}
	w, c := files[0], files[1]
	if w.RelPath != "w.bin" || w.SizeOnDisk != 20 || w.Links != 1 || w.Revisions != 1 || w.Repos != 1 || w.Broken {
		t.Errorf("w.bin = %+v, want 20 bytes linked once", w)
	}
	if c.RelPath != "config.json" || c.SizeOnDisk != 2 || c.Links != 2 || c.Revisions != 2 || c.Repos != 1 {
		t.Errorf("config.json = %+v, want 2 bytes linked by 2 entries in 2 revisions", c)
	}
}
