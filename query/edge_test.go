package query_test

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/hfidx/hfidx/cache/cachetest"
)

// TestCorruptionKinds builds, for each kind of damage, a cache with one
// healthy repo and one damaged repo, and holds hfidx against the oracle:
// identical numbers for every repo both consider healthy, a warning naming
// every entry the library warns about, and only the documented differences
// (README, "How hfidx differs") in which repos are healthy.
func TestCorruptionKinds(t *testing.T) {
	// hfidx's verdict on the damaged repo where it differs from the library.
	differs := map[cachetest.CorruptionKind]string{
		cachetest.RefTrailingNewline: "healthy", // the newline is stripped
		cachetest.RefTmpLeftover:     "healthy", // not a ref
		cachetest.RevisionIsSymlink:  "damaged", // never followed
	}
	for k := cachetest.BrokenLink; k <= cachetest.FIFOInSnapshot; k++ {
		t.Run(k.String(), func(t *testing.T) {
			spec := `
repo model org/healthy
rev 1111111111111111111111111111111111111111 time=1600000000
file a.txt "hello" time=1600000001
file sub/b.bin "0123456789" time=1600000002
ref main 1111111111111111111111111111111111111111
repo model org/damaged
rev 2222222222222222222222222222222222222222 time=1600000000
file x.txt "abc" time=1600000003
file y.txt "defg" time=1600000004
ref main 2222222222222222222222222222222222222222
corrupt ` + k.String() + ` rev=2222222222222222222222222222222222222222
`
			c, err := cachetest.Parse(spec)
			if err != nil {
				t.Fatal(err)
			}
			root := filepath.Join(t.TempDir(), "hub")
			b := cachetest.Build(t, root, c)
			want := cachetest.Expect(c)
			want.SizeOnDisk = want.LogicalSize
			rep := report(t, root)
			got := toExpected(t, b, rep, false)

			const dmg = "models--org--damaged"
			libHealthy := !slices.Contains(want.Warned, dmg)
			hfidxHealthy := false
			for _, r := range rep.Repos {
				if filepath.Base(r.RepoPath) == dmg {
					hfidxHealthy = !r.Damaged
				}
			}
			wantHealthy := libHealthy
			switch differs[k] {
			case "healthy":
				wantHealthy = true
			case "damaged":
				wantHealthy = false
			}
			if hfidxHealthy != wantHealthy {
				t.Errorf("%s: hfidx healthy = %v, want %v (library: %v)", k, hfidxHealthy, wantHealthy, libHealthy)
			}
			if !libHealthy && !slices.Contains(got.Warned, dmg) {
				t.Errorf("%s: no warning names %s; warnings %v", k, dmg, rep.Warnings)
			}
			// Compare the repos both sides hold healthy.
			keep := func(e *cachetest.Expected, other cachetest.Expected) {
				var rs []cachetest.ExpectedRepo
				for _, r := range e.Repos {
					for _, o := range other.Repos {
						if o.Folder == r.Folder {
							rs = append(rs, r)
						}
					}
				}
				e.Repos = rs
			}
			w, g := want, got
			if k == cachetest.RefTmpLeftover {
				// hfidx does not take the interrupted write's temp file for a ref.
				for i := range w.Repos {
					for name := range w.Repos[i].Refs {
						if strings.HasSuffix(name, ".tmp") {
							delete(w.Repos[i].Refs, name)
						}
					}
					for j := range w.Repos[i].Revisions {
						w.Repos[i].Revisions[j].Refs = slices.DeleteFunc(w.Repos[i].Revisions[j].Refs,
							func(s string) bool { return strings.HasSuffix(s, ".tmp") })
					}
				}
			}
			keep(&w, got)
			keep(&g, want)
			w.Warned, g.Warned = nil, nil
			w.SizeOnDisk, g.SizeOnDisk = 0, 0
			if d := cachetest.Diff(w, g); len(d) > 0 {
				t.Errorf("%s:\n%s", k, strings.Join(d, "\n"))
			}
			if len(w.Repos) == 0 {
				t.Errorf("%s: no repo to compare", k)
			}
		})
	}
}

// TestOddNames covers names huggingface_hub survives only with surrogate
// escapes, case-colliding folders and one commit cached in two repos.
func TestOddNames(t *testing.T) {
	spec := `
repo model org/x` + "\xff" + `name
rev 1111111111111111111111111111111111111111 time=1600000000
file "caf\xe9.txt" "bytes" time=1600000001
ref main 1111111111111111111111111111111111111111
repo model Org/Repo
rev 2222222222222222222222222222222222222222 time=1600000000
file a "1" time=1600000001
repo model org/repo
rev 2222222222222222222222222222222222222222 time=1600000000
file a "22" time=1600000002
repo kernel org/k
rev 3333333333333333333333333333333333333333 time=1600000000
file k.so "333" time=1600000003
`
	c, err := cachetest.Parse(spec)
	if err != nil {
		t.Fatal(err)
	}
	root := filepath.Join(t.TempDir(), "hub")
	b := cachetest.Build(t, root, c)
	want := cachetest.Expect(c)
	want.SizeOnDisk = want.LogicalSize
	got := toExpected(t, b, report(t, root), false)
	if d := cachetest.Diff(want, got); len(d) > 0 {
		t.Errorf("%s", strings.Join(d, "\n"))
	}
	if len(got.Repos) != 4 {
		t.Errorf("%d repos, want 4", len(got.Repos))
	}
}
