package cache

import (
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestDanglingAndRestore(t *testing.T) {
	root := newRoot(t)
	tree(t, root, map[string]string{
		"datasets--org--d/snapshots/" + h1 + "/a/x.txt": "link:../../../blobs/gone",
		"datasets--org--d/snapshots/" + h1 + "/y.txt":   "link:../../blobs/kept",
		"datasets--org--d/snapshots/" + h1 + "/z.txt":   "link:../../blobs/never-planned",
		"datasets--org--d/snapshots/" + h2 + "/it's":    "link:" + root + "/datasets--org--d/blobs/gone",
		"datasets--org--d/blobs/kept":                   "file:k",
		"models--m/snapshots/" + h1 + "/w":              "link:../../blobs/gone",
	})
	removed := []string{
		filepath.Join(root, "datasets--org--d/blobs/gone"),
		filepath.Join(root, "datasets--org--d/blobs/kept"), // removed, then downloaded again
		filepath.Join(root, "models--m/blobs/gone"),
		filepath.Join(root, "models--m/snapshots", h1), // not a blob: ignored
	}
	got := Dangling(root, removed)
	var paths []string
	for _, l := range got {
		rel, _ := filepath.Rel(root, l.Path)
		paths = append(paths, rel+" "+l.RelPath)
	}
	want := []string{
		"datasets--org--d/snapshots/" + h1 + "/a/x.txt a/x.txt",
		"datasets--org--d/snapshots/" + h2 + "/it's it's",
		"models--m/snapshots/" + h1 + "/w w",
	}
	if strings.Join(paths, "\n") != strings.Join(want, "\n") {
		t.Fatalf("Dangling = %q, want %q", paths, want)
	}
	for _, tc := range []struct {
		l    LostLink
		want string
	}{
		{got[0], "hf download org/d a/x.txt --revision " + h1 + " --repo-type dataset --cache-dir " + root},
		{got[1], "hf download org/d 'it'\\''s' --revision " + h2 + " --repo-type dataset --cache-dir " + root},
		{got[2], "hf download m w --revision " + h1 + " --cache-dir " + root},
	} {
		if s := tc.l.Restore(root); s != tc.want {
			t.Errorf("Restore(%s) = %q, want %q", tc.l.Path, s, tc.want)
		}
	}
}

// raceRuns is how many deletions TestConcurrentDownloadDuringDelete runs:
// a few dozen in CI, HFIDX_RACE_RUNS=N for a long run.
func raceRuns(t *testing.T) int {
	if s := os.Getenv("HFIDX_RACE_RUNS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			t.Fatalf("HFIDX_RACE_RUNS=%q: want a positive number", s)
		}
		return n
	}
	return 30
}

// TestConcurrentDownloadDuringDelete races a deletion against a download
// of a new revision that needs the very blobs being deleted, as
// huggingface_hub does it: a blob found in the cache is linked without any
// lock, a missing one is written to a temp file and renamed into place,
// then linked. Whatever the interleaving, every link the download made
// either resolves (the executor's re-check kept the blob, or the download
// wrote it again) or dangles and is reported by Dangling; Dangling reports
// nothing else. The test logs how often each outcome happened.
func TestConcurrentDownloadDuringDelete(t *testing.T) {
	const files = 40
	runs := raceRuns(t)
	seed := time.Now().UnixNano()
	if s := os.Getenv("HFIDX_RACE_SEED"); s != "" {
		seed, _ = strconv.ParseInt(s, 10, 64)
	}
	t.Logf("seed %d (HFIDX_RACE_SEED to replay)", seed)
	rng := rand.New(rand.NewSource(seed))
	const repo = "models--org--race"
	var kept, redownloaded, lost, reported, runsLost, runsKept int
	var execTime time.Duration
	for i := 0; i < runs; i++ {
		root := newRoot(t)
		entries := map[string]string{
			repo + "/snapshots/" + h2 + "/keep.txt": "link:../../blobs/k",
			repo + "/blobs/k":                       "file:kept",
			repo + "/refs/main":                     "file:" + h2,
		}
		var blobs []string
		for f := 0; f < files; f++ {
			name := fmt.Sprintf("b%02d", f)
			entries[fmt.Sprintf("%s/snapshots/%s/f%02d", repo, h1, f)] = "link:../../blobs/" + name
			entries[repo+"/blobs/"+name] = "file:" + name
			blobs = append(blobs, filepath.Join(root, repo, "blobs", name))
		}
		tree(t, root, entries)
		d := &Deletion{Root: root, Snapshots: []string{filepath.Join(root, repo, "snapshots", h1)}, Blobs: blobs}

		// The download starts at a random instant around the deletion.
		var delay time.Duration
		if execTime > 0 {
			delay = time.Duration(rng.Int63n(int64(execTime)*2 + 1))
		}
		newRev := filepath.Join(root, repo, "snapshots", h3)
		var wg sync.WaitGroup
		wg.Add(1)
		var dlErr error
		go func() {
			defer wg.Done()
			time.Sleep(delay)
			if err := os.MkdirAll(newRev, 0o755); err != nil {
				dlErr = err
				return
			}
			for f := 0; f < files; f++ {
				blob := blobs[f]
				if _, err := os.Lstat(blob); err != nil {
					tmp := blob + ".0badf00d.incomplete"
					if err := os.WriteFile(tmp, []byte(filepath.Base(blob)), 0o644); err != nil {
						dlErr = err
						return
					}
					if err := os.Rename(tmp, blob); err != nil {
						dlErr = err
						return
					}
				}
				if err := os.Symlink("../../blobs/"+filepath.Base(blob), filepath.Join(newRev, fmt.Sprintf("f%02d", f))); err != nil {
					dlErr = err
					return
				}
			}
		}()
		start := time.Now()
		res, err := d.Execute()
		took := time.Since(start)
		wg.Wait()
		if err != nil || dlErr != nil {
			t.Fatalf("run %d: Execute: %v; download: %v", i, err, dlErr)
		}
		if execTime == 0 {
			execTime = took
		}

		var removed []string
		for _, r := range res.Removed {
			if r.Kind == "blob" {
				removed = append(removed, r.Path)
			}
		}
		keptSet := map[string]bool{}
		for _, p := range res.Kept {
			keptSet[p] = true
		}
		var dangling []string
		for f := 0; f < files; f++ {
			link := filepath.Join(newRev, fmt.Sprintf("f%02d", f))
			_, err := os.Stat(link)
			switch {
			case err != nil:
				lost++
				dangling = append(dangling, link)
			case keptSet[blobs[f]]:
				kept++
			default:
				redownloaded++
			}
		}
		var got []string
		for _, l := range Dangling(root, removed) {
			got = append(got, l.Path)
			if l.Commit != h3 || l.RepoID != "org/race" {
				t.Errorf("run %d: lost link %+v", i, l)
			}
		}
		reported += len(got)
		if len(got) > 0 {
			runsLost++
		}
		if len(res.Kept) > 0 {
			runsKept++
		}
		sort.Strings(dangling)
		if strings.Join(got, "\n") != strings.Join(dangling, "\n") {
			t.Errorf("run %d: Dangling reported\n%s\nwant the links that dangle:\n%s", i, strings.Join(got, "\n"), strings.Join(dangling, "\n"))
		}
		if _, err := os.Stat(filepath.Join(root, repo, "snapshots", h2, "keep.txt")); err != nil {
			t.Errorf("run %d: the kept revision lost its file: %v", i, err)
		}
	}
	total := runs * files
	t.Logf("%d deletions racing a download of %d files (%d links): %d kept by the re-check (%.1f%%), %d written again by the download (%.1f%%), %d lost and reported (%.1f%%); %d reported; deletions where the re-check kept a blob: %d, where a link was lost: %d",
		runs, files, total, kept, pct(kept, total), redownloaded, pct(redownloaded, total), lost, pct(lost, total), reported, runsKept, runsLost)
}

func pct(n, total int) float64 { return 100 * float64(n) / float64(total) }
