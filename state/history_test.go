package state

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

func TestHistoryThinning(t *testing.T) {
	s, err := Open(filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	const root = "/cache/hub"
	const step = 600.0 // a sync every ten minutes, each one changing repo a
	const days = 40
	start := 1e9
	end := start + days*86400
	for at := start; at <= end; at += step {
		repos := []RepoPoint{
			{Repo: "model/org/a", Size: int64(at), Revisions: 1, Hashes: []string{fmt.Sprintf("%040d", int64(at))}},
			{Repo: "model/org/stable", Size: 7, Revisions: 1, Hashes: []string{"1111"}},
		}
		// b is cached on even days only.
		if int((at-start)/86400)%2 == 0 {
			repos = append(repos, RepoPoint{Repo: "model/org/b", Size: 3})
		}
		if _, err := s.RecordHistory(root, at, "fp", Totals{Size: int64(at), Repos: len(repos)}, repos); err != nil {
			t.Fatal(err)
		}
	}
	snaps, err := s.Snapshots(root)
	if err != nil {
		t.Fatal(err)
	}
	var all, hourly, daily int
	for _, sn := range snaps {
		switch age := end - sn.At; {
		case age < KeepAll:
			all++
		case age < KeepHourly:
			hourly++
		default:
			daily++
		}
	}
	if want := int(KeepAll / step); all != want {
		t.Errorf("snapshots younger than 2 days = %d, want %d", all, want)
	}
	if want := int((KeepHourly - KeepAll) / 3600); hourly < want-1 || hourly > want+1 {
		t.Errorf("snapshots of 2 to 30 days = %d, want %d", hourly, want)
	}
	if want := days - 30; daily < want-1 || daily > want+1 {
		t.Errorf("snapshots older than 30 days = %d, want %d", daily, want)
	}
	// Every kept snapshot still reads as what it recorded, its thinned
	// predecessors' rows merged in.
	for _, sn := range snaps {
		got, err := s.ReposAt(root, sn)
		if err != nil {
			t.Fatal(err)
		}
		if a := got["model/org/a"]; a.Size != int64(sn.At) || len(a.Hashes) != 1 || a.Hashes[0] != fmt.Sprintf("%040d", int64(sn.At)) {
			t.Fatalf("ReposAt(%v)[a] = %+v, want size %v", sn.At, a, int64(sn.At))
		}
		if got["model/org/stable"].Size != 7 {
			t.Fatalf("ReposAt(%v)[stable] = %+v, want size 7", sn.At, got["model/org/stable"])
		}
		_, hasB := got["model/org/b"]
		if want := int((sn.At-start)/86400)%2 == 0; hasB != want {
			t.Fatalf("ReposAt(%v) has b = %v, want %v", sn.At, hasB, want)
		}
		if sn.Repos != len(got) {
			t.Fatalf("ReposAt(%v) has %d repos, the totals say %d", sn.At, len(got), sn.Repos)
		}
	}
	_, points, present, err := s.RepoSeries(root, "model/org/b")
	if err != nil {
		t.Fatal(err)
	}
	for i, sn := range snaps {
		if want := int((sn.At-start)/86400)%2 == 0; present[i] != want || (want && points[i].Size != 3) {
			t.Fatalf("RepoSeries(b)[%v] = %+v, %v, want present %v", sn.At, points[i], present[i], want)
		}
	}
}

func TestHistoryUnchanged(t *testing.T) {
	s, err := Open(filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	repos := []RepoPoint{{Repo: "model/org/a", Size: 1, Hashes: []string{"b", "a"}}}
	for i, want := range []bool{true, false, false} {
		wrote, err := s.RecordHistory("/hub", float64(100+i), "fp", Totals{Size: 1, Repos: 1}, repos)
		if err != nil || wrote != want {
			t.Fatalf("RecordHistory(#%d) = %v, %v, want %v, nil", i, wrote, err, want)
		}
	}
	if sn, ok, err := s.LastSnapshot("/hub"); err != nil || !ok || sn.At != 100 {
		t.Fatalf("LastSnapshot = %+v, %v, %v, want the first", sn, ok, err)
	}
}

// TestHistoryYearSize measures the state file after a year of hourly
// syncs of a 3,000-repo cache, each changing 20 repos, one repo added and
// one removed a day. Set HFIDX_HISTORY_YEAR=1 to run it (a minute or so).
func TestHistoryYearSize(t *testing.T) {
	if os.Getenv("HFIDX_HISTORY_YEAR") == "" {
		t.Skip("set HFIDX_HISTORY_YEAR=1 to measure a year of history")
	}
	path := filepath.Join(t.TempDir(), "state.db")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	const nRepos, hours, perHour = 3000, 8760, 20
	repos := make([]RepoPoint, nRepos)
	for i := range repos {
		repos[i] = RepoPoint{Repo: fmt.Sprintf("model/organization-%04d/some-model-name-%04d", i/10, i),
			Size: int64(i) << 20, Usage: int64(i) << 20, Revisions: 2, Files: 12,
			Hashes: []string{fmt.Sprintf("%040x", 2*i), fmt.Sprintf("%040x", 2*i+1)}}
	}
	next := nRepos
	start := 1.7e9
	for h := 0; h < hours; h++ {
		for k := 0; k < perHour; k++ {
			p := &repos[(h*perHour+k*149)%len(repos)]
			p.Size += 4096
			p.Usage += 4096
			p.Files++
		}
		if h%24 == 0 && h > 0 {
			repos[h%len(repos)] = RepoPoint{Repo: fmt.Sprintf("model/new-org/new-model-%05d", next), Size: 1 << 30, Revisions: 1,
				Hashes: []string{fmt.Sprintf("%040x", 1_000_000_000+next)}}
			next++
		}
		var tot Totals
		for _, p := range repos {
			tot.Size += p.Size
			tot.Usage += p.Usage
			tot.Revisions += p.Revisions
			tot.Files += p.Files
		}
		tot.Repos = len(repos)
		if _, err := s.RecordHistory("/hub", start+float64(h)*3600, "fp", tot, repos); err != nil {
			t.Fatal(err)
		}
	}
	snaps, err := s.Snapshots("/hub")
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d snapshots kept, state file %.1f MB", len(snaps), float64(fi.Size())/1e6)
	if fi.Size() > 50e6 {
		t.Errorf("state file after a year = %d bytes, want at most 50 MB", fi.Size())
	}
}
