package query

import (
	"strings"
	"testing"
)

func TestParseSize(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want float64
	}{
		{"10", 10}, {"0", 0}, {"10k", 10e3}, {"5M", 5e6}, {"2G", 2e9}, {"1T", 1e12}, {"3KB", 3e3},
		{"10MB", 10e6}, {"1GB", 1e9}, {"2TB", 2e12}, {"1p", 1e15}, {"1.5G", 1.5e9}, {"1KiB", 1024},
		{"2MiB", 2 << 20}, {"1gib", 1 << 30}, {"1TiB", 1 << 40}, {" 7 ", 7}, {".5k", 500}, {"100b", 100},
	} {
		got, err := ParseSize(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("ParseSize(%q) = %v, %v, want %v", tc.in, got, err, tc.want)
		}
	}
	for _, in := range []string{"", "abc", "-5M", "10X", "123abc456", "1..5G", "k", "1e9", "+7", "1_000"} {
		if got, err := ParseSize(in); err == nil {
			t.Errorf("ParseSize(%q) = %v, want an error", in, got)
		}
	}
}

func TestParseDuration(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want float64
	}{
		{"10s", 10}, {"5m", 300}, {"2h", 7200}, {"1d", 86400}, {"1w", 604800}, {"1mo", 2592000},
		{"1MO", 2592000}, {"1y", 31536000}, {"0", 0}, {"1.5h", 5400}, {"90d", 90 * 86400}, {"30", 30},
	} {
		got, err := ParseDuration(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("ParseDuration(%q) = %v, %v, want %v", tc.in, got, err, tc.want)
		}
	}
	for _, in := range []string{"", "3month", "-5m", "10X", "abc", "123abc456", "1h30m"} {
		if got, err := ParseDuration(in); err == nil {
			t.Errorf("ParseDuration(%q) = %v, want an error", in, got)
		}
	}
}

func TestParseFilter(t *testing.T) {
	for _, tc := range []struct{ in, key, op string }{
		{"size>1G", "size", ">"}, {"SIZE >= 10k", "size", ">="}, {"accessed>90d", "accessed", ">"},
		{"modified<=1w", "modified", "<="}, {"type=model", "type", "="}, {"refs=main", "refs", "="},
		{"repo=org/*", "repo", "="}, {"repo!=org/*", "repo", "!="}, {"damaged=true", "damaged", "="},
		{"size!=0", "size", "!="},
	} {
		f, err := ParseFilter(tc.in)
		if err != nil || f.Key != tc.key || f.Op != tc.op {
			t.Errorf("ParseFilter(%q) = %+v, %v, want key %s op %s", tc.in, f, err, tc.key, tc.op)
		}
	}
	for _, tc := range []struct{ in, want string }{
		{"size==8", "'=='"}, {"nope>1", "unsupported filter key"}, {"size", "invalid filter expression"},
		{"type>model", "only '='"}, {"refs!=main", "only '='"}, {"size>1X", "unknown size unit"},
		{"accessed>1q", "unknown duration unit"}, {"damaged=maybe", "true or false"}, {"repo=[", "bad glob"},
	} {
		_, err := ParseFilter(tc.in)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseFilter(%q) error = %v, want one containing %q", tc.in, err, tc.want)
		}
		if _, ok := err.(*UsageError); !ok {
			t.Errorf("ParseFilter(%q) error is %T, want *UsageError", tc.in, err)
		}
	}
}

func TestFilterMatch(t *testing.T) {
	now := 1000.0 * 86400
	e := Entry{RepoID: "org/Model", RepoType: "model", SizeOnDisk: 2000, LastAccessed: now - 100*86400, LastUsed: now - 100*86400,
		LastModified: now - 10*86400, Refs: []string{"main", "refs/pr/1"}}
	for _, tc := range []struct {
		expr string
		want bool
	}{
		{"size>1k", true}, {"size>2k", false}, {"size>=2k", true}, {"size=2000", true}, {"size!=2000", false},
		{"size<1.9k", false}, {"accessed>90d", true}, {"accessed<90d", false}, {"modified>1w", true},
		{"modified>2w", false}, {"type=model", true}, {"type=Model", true}, {"type=models", false},
		{"refs=MAIN", true}, {"refs=refs/pr/1", true}, {"refs=v1", false}, {"repo=org/*", true},
		{"repo=other/*", false}, {"repo!=org/*", false}, {"damaged=false", true}, {"damaged=true", false},
		{"damaged!=true", true},
	} {
		f, err := ParseFilter(tc.expr)
		if err != nil {
			t.Fatal(err)
		}
		if got := f.Match(&e, now); got != tc.want {
			t.Errorf("Match(%q) = %v, want %v", tc.expr, got, tc.want)
		}
	}
}

func TestApplySortStable(t *testing.T) {
	mk := func(id string, size int64, acc float64) Entry {
		return Entry{ID: id, SizeOnDisk: size, LastAccessed: acc, LastUsed: acc, LastModified: acc}
	}
	base := []Entry{mk("model/a", 10, 3), mk("model/B", 20, 1), mk("model/c", 10, 2), mk("model/d", 20, 2)}
	for _, tc := range []struct {
		sort  string
		limit int
		want  string
	}{
		{"size", -1, "model/B model/d model/a model/c"}, // desc, ties in default order
		{"size:asc", -1, "model/a model/c model/B model/d"},
		{"name", -1, "model/a model/B model/c model/d"}, // lower-cased
		{"name:desc", -1, "model/d model/c model/B model/a"},
		{"accessed", 2, "model/a model/c"},
		{"modified:asc", 0, ""},
	} {
		l := &Listing{Entries: append([]Entry(nil), base...)}
		s, err := ParseSort(tc.sort)
		if err != nil {
			t.Fatal(err)
		}
		l.Apply(nil, &s, tc.limit, 0)
		var ids []string
		for _, e := range l.Entries {
			ids = append(ids, e.ID)
		}
		if got := strings.Join(ids, " "); got != tc.want {
			t.Errorf("sort %s limit %d = %q, want %q", tc.sort, tc.limit, got, tc.want)
		}
	}
	for _, bad := range []string{"size:up", "weight", "Name", ""} {
		if _, err := ParseSort(bad); err == nil {
			t.Errorf("ParseSort(%q) succeeded", bad)
		}
	}
}

func FuzzParseFilter(f *testing.F) {
	for _, s := range []string{"size>1G", "accessed>90d", "type=model", "refs=main", "repo=a/*", "damaged=true", "x", "size==1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		flt, err := ParseFilter(s)
		if err != nil {
			if _, ok := err.(*UsageError); !ok {
				t.Fatalf("ParseFilter(%q) error %T, want *UsageError", s, err)
			}
			return
		}
		flt.Match(&Entry{Refs: []string{"main"}}, 0)
	})
}

func FuzzParseSize(f *testing.F) {
	for _, s := range []string{"10", "1.5G", "3KiB", "-1", "1e9"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := ParseSize(s)
		if err == nil && (v < 0 || v != v) {
			t.Fatalf("ParseSize(%q) = %v", s, v)
		}
	})
}

func FuzzParseDuration(f *testing.F) {
	for _, s := range []string{"10s", "1mo", "1.5h", "-5m", "3month"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := ParseDuration(s)
		if err == nil && (v < 0 || v != v) {
			t.Fatalf("ParseDuration(%q) = %v", s, v)
		}
	})
}
