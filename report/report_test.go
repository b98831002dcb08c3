package report

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hfidx/hfidx/cache/cachetest"
	"github.com/hfidx/hfidx/index"
	"github.com/hfidx/hfidx/query"
	"github.com/hfidx/hfidx/schema"
)

// TestRepoExclusiveIsPlan holds each repo's exclusive size (exclusive.sql)
// against the deletion planner's freed bytes for that repo selected
// whole, on random caches with a shared store and cross-repo links
// (orphan blobs and interrupted downloads, which the planner also frees
// and the column leaves out, are not generated).
func TestRepoExclusiveIsPlan(t *testing.T) {
	for seed := int64(1); seed <= 12; seed++ {
		c := cachetest.Random(seed, cachetest.RandomOptions{Store: seed%2 == 0, MaxRevisions: 3})
		for i := range c.Repos {
			c.Repos[i].OrphanBlobs, c.Repos[i].Incomplete = nil, nil
		}
		dir := t.TempDir()
		hub, dbPath := filepath.Join(dir, "hub"), filepath.Join(dir, "index.db")
		if _, err := cachetest.Write(hub, c); err != nil {
			t.Fatal(err)
		}
		if _, err := index.Sync(hub, dbPath, index.Options{}); err != nil {
			t.Fatal(err)
		}
		db, err := schema.OpenReadOnly(dbPath)
		if err != nil {
			t.Fatal(err)
		}
		var excl []struct {
			Repo      int64  `db:"repo"`
			Exclusive int64  `db:"exclusive"`
			Folder    string `db:"folder"`
		}
		q := "SELECT e.repo, e.exclusive, r.folder FROM (" + strings.TrimRight(strings.TrimSpace(sqlText("exclusive")), ";") + ") e JOIN repos r ON r.id = e.repo"
		if err := db.Select(&excl, q); err != nil {
			t.Fatal(err)
		}
		for _, e := range excl {
			sel := query.NewSelection()
			sel.Repos[e.Folder] = true
			plan, err := query.MakePlan(db, sel)
			if err != nil {
				t.Fatal(err)
			}
			if plan.ExpectedFreedSize != e.Exclusive {
				t.Errorf("seed %d: exclusive(%s) = %d, the plan of deleting it frees %d", seed, e.Folder, e.Exclusive, plan.ExpectedFreedSize)
			}
		}
		db.Close()
	}
}

// TestWriteEscapes renders hostile names and checks that the page holds
// them only as escaped data: no name closes the JSON's script element or
// opens a tag, and bytes that are not UTF-8 are shown as \xNN.
func TestWriteEscapes(t *testing.T) {
	names := []string{"org/x</script><script>alert(1)</script>", "org/\"quoted' & <b>", "org/caf\xe9", "org/\u2028line"}
	d := &Data{Version: 1, Generated: float64(time.Now().Unix()), CacheDir: Show("/c/</script>\xff"), Detail: map[string]*Detail{},
		Prune: []PruneKind{}, History: []Point{}}
	for _, n := range names {
		d.Repos = append(d.Repos, []any{Show(n), 1, 1, 0, "main", 0, 1, 1})
	}
	var b bytes.Buffer
	if err := Write(&b, d); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	if n := strings.Count(strings.ToLower(page), "</script"); n != 2 {
		t.Errorf("page has %d </script, want 2 (the data's and the code's)", n)
	}
	if strings.Contains(page, "<b>") || strings.Contains(page, "alert(1)</") {
		t.Errorf("a name reached the page unescaped")
	}
	m := regexp.MustCompile(`(?s)<script type="application/json" id="hfidx-data">(.*?)</script>`).FindStringSubmatch(page)
	if m == nil {
		t.Fatal("no data element")
	}
	var back Data
	if err := json.Unmarshal([]byte(m[1]), &back); err != nil {
		t.Fatalf("data does not parse: %v", err)
	}
	for i, n := range names {
		if got, want := back.Repos[i][0], Show(n); got != want {
			t.Errorf("name %d = %q, want %q", i, got, want)
		}
	}
	if got := Show("caf\xe9/\xff\xfe"); got != `caf\xe9/\xff\xfe` {
		t.Errorf("Show = %q", got)
	}
	if !strings.Contains(page, `/c/&lt;/script&gt;\xff`) {
		t.Errorf("cache dir not shown escaped")
	}
}
