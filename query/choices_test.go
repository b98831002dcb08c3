package query_test

import (
	"path/filepath"
	"reflect"
	"testing"

	"github.com/hfidx/hfidx/cache/cachetest"
	"github.com/hfidx/hfidx/query"
)

// A repo without revisions sorts without trouble under every order (the
// legacy delete-cache crashed on it with lastUpdated).
func TestLoadChoicesOrders(t *testing.T) {
	c, err := cachetest.Parse(`
repo model B/x
rev 1111111111111111111111111111111111111111
file w.bin "0123456789" time=1000
repo model a/y time=100
rev 2222222222222222222222222222222222222222
file w.bin "012345678901234567890123456789" time=3000
rev 3333333333333333333333333333333333333333
file v.bin "v" time=2500
ref main 3333333333333333333333333333333333333333
repo dataset z/z
rev 4444444444444444444444444444444444444444
file w.bin "01234567890123456789" time=2000
repo model c/empty time=5000
`)
	if err != nil {
		t.Fatal(err)
	}
	root := filepath.Join(t.TempDir(), "hub")
	if _, err := cachetest.Write(root, c); err != nil {
		t.Fatal(err)
	}
	db := syncedDB(t, root)
	tests := []struct {
		order string
		want  []string
	}{
		{"", []string{"dataset/z/z", "model/B/x", "model/a/y", "model/c/empty"}},
		{"alphabetical", []string{"dataset/z/z", "model/a/y", "model/B/x", "model/c/empty"}},
		{"lastUpdated", []string{"model/c/empty", "model/a/y", "dataset/z/z", "model/B/x"}},
		{"lastUsed", []string{"model/c/empty", "model/a/y", "dataset/z/z", "model/B/x"}},
		{"size", []string{"model/a/y", "dataset/z/z", "model/B/x", "model/c/empty"}},
	}
	for _, tt := range tests {
		repos, err := query.LoadChoices(db, tt.order)
		if err != nil {
			t.Fatalf("LoadChoices(%q): %v", tt.order, err)
		}
		var got []string
		for _, r := range repos {
			got = append(got, r.CacheID)
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("LoadChoices(%q) = %q, want %q", tt.order, got, tt.want)
		}
	}
	repos, _ := query.LoadChoices(db, "")
	ay := repos[2]
	if len(ay.Revisions) != 2 || ay.Revisions[0].Hash != "3333333333333333333333333333333333333333" ||
		ay.Revisions[0].RefsText() != "main" || ay.Revisions[1].RefsText() != "(detached)" || ay.SizeOnDisk != 31 {
		t.Errorf("model/a/y = %+v, want 31 bytes, revisions oldest first: 3333 (main), then 2222 (detached)", ay)
	}
	if _, err := query.LoadChoices(db, "name"); err == nil {
		t.Errorf("LoadChoices(%q) accepted an unknown order", "name")
	}
}
