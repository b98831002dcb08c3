package query

import (
	"math"
	"strconv"
	"strings"
	"testing"
)

var formatSizeTests = []struct {
	n    int64
	want string
}{
	// Upstream tests (spec §7.1 item 16).
	{16, "16.0"},
	{1000, "1.0K"},
	{1024 * 1024 * 1024, "1.1G"},
	// Boundaries (spec §5.2).
	{0, "0.0"},
	{1, "1.0"},
	{999, "999.0"},
	{1024, "1.0K"},
	{1049, "1.0K"},
	{1050, "1.1K"},
	{1150, "1.1K"}, // 1.15 is just below the tie as a double
	{1250, "1.2K"}, // exact tie, half to even
	{1350, "1.4K"}, // exact tie, half to even
	{999499, "999.5K"},
	{999949, "999.9K"},
	{999950, "1000.0K"}, // unit chosen before rounding
	{999999, "1000.0K"},
	{1000000, "1.0M"},
	{999999999, "1000.0M"},
	{1e9, "1.0G"},
	{1e12, "1.0T"},
	{1e15, "1.0P"},
	{1e18, "1.0E"},
	{math.MaxInt64, "9.2E"},
	// Negative values keep their sign and use the magnitude for the unit.
	{-1, "-1.0"},
	{-999, "-999.0"},
	{-1000, "-1.0K"},
	{-1050, "-1.1K"},
	{-999950, "-1000.0K"},
	{math.MinInt64, "-9.2E"},
}

func TestFormatSize(t *testing.T) {
	for _, tt := range formatSizeTests {
		if got := FormatSize(tt.n); got != tt.want {
			t.Errorf("FormatSize(%d) = %q, want %q", tt.n, got, tt.want)
		}
	}
}

// The zetta and yotta branches are out of reach of an int64.
func TestFormatSizeFloat(t *testing.T) {
	tests := []struct {
		v    float64
		want string
	}{
		{1e21, "1.0Z"},
		{999e21, "999.0Z"},
		{1e24, "1.0Y"},
		{1e27, "1000.0Y"}, // no check beyond Z
		{1e30, "1000000.0Y"},
		{-1e27, "-1000.0Y"},
	}
	for _, tt := range tests {
		if got := formatSizeFloat(tt.v); got != tt.want {
			t.Errorf("formatSizeFloat(%g) = %q, want %q", tt.v, got, tt.want)
		}
	}
}

// FuzzFormatSize checks that every output is "<number with one decimal><unit>"
// and that it reads back within the rounding of its last digit.
func FuzzFormatSize(f *testing.F) {
	for _, tt := range formatSizeTests {
		f.Add(tt.n)
	}
	f.Fuzz(func(t *testing.T, n int64) {
		s := FormatSize(n)
		if s == "" {
			t.Fatalf("FormatSize(%d) = %q, want non-empty", n, s)
		}
		num, mult := s, 1.0
		last := s[len(s)-1]
		if i := strings.IndexByte("KMGTPEZY", last); i >= 0 {
			num = s[:len(s)-1]
			mult = math.Pow(1000, float64(i+1))
		} else if last < '0' || last > '9' {
			t.Fatalf("FormatSize(%d) = %q, want a unit letter or a digit at the end", n, s)
		}
		if dot := strings.IndexByte(num, '.'); dot < 0 || dot != len(num)-2 {
			t.Fatalf("FormatSize(%d) = %q, want exactly one decimal", n, s)
		}
		v, err := strconv.ParseFloat(num, 64)
		if err != nil {
			t.Fatalf("FormatSize(%d) = %q: number does not parse: %v", n, s, err)
		}
		// Half a unit of the last digit, plus the error of the repeated
		// float divisions.
		tol := 0.05*mult + math.Abs(float64(n))*1e-12
		if diff := math.Abs(v*mult - float64(n)); diff > tol {
			t.Fatalf("FormatSize(%d) = %q, reads back as %g (off by %g, tolerance %g)", n, s, v*mult, diff, tol)
		}
		if math.Abs(v) > 1000 {
			// Only rounding up can reach 1000.0 in a unit.
			t.Fatalf("FormatSize(%d) = %q, want a magnitude of at most 1000 in its unit", n, s)
		}
	})
}

const (
	minute = 60.0
	hour   = 60 * minute
	day    = 24 * hour
)

var formatTimeSinceTests = []struct {
	delta float64
	want  string
}{
	// Spec §5.3 checked points.
	{20, "20 seconds ago"},
	{60.5, "60 seconds ago"}, // half to even
	{61, "1 minute ago"},
	{90, "2 minutes ago"}, // 1.5 to even
	{3630, "60 minutes ago"},
	{3631, "1 hour ago"},
	{86400, "24 hours ago"},
	{88200, "24 hours ago"}, // 24.5 to even
	{88201, "1 day ago"},
	{6.5 * day, "6 days ago"},
	{10 * day, "1 week ago"},
	{10.5 * day, "2 weeks ago"},
	{45.5 * day, "6 weeks ago"},
	{45.6 * day, "2 months ago"},
	{345 * day, "1 year ago"}, // 11.5 months rounds to 12 > 11
	{547 * day, "1 year ago"},
	{548 * day, "2 years ago"},
	// Upstream tests (spec §7.1 item 17).
	{1, "a few seconds ago"},
	{15, "a few seconds ago"},
	{25, "25 seconds ago"},
	{80, "1 minute ago"},
	{1000, "17 minutes ago"},
	{4000, "1 hour ago"},
	{8000, "2 hours ago"},
	{13 * day, "2 weeks ago"},
	{8.2 * 30 * day, "8 months ago"},
	{365 * day, "1 year ago"},
	{9.6 * 365 * day, "10 years ago"},
	// Other edges.
	{0, "a few seconds ago"},
	{19.999, "a few seconds ago"},
	{-1000, "a few seconds ago"}, // in the future
	{60, "60 seconds ago"},
	{60.6, "1 minute ago"},
	{7 * day, "1 week ago"},
	{1e6 * 365 * day, "1000000 years ago"},
}

func TestFormatTimeSince(t *testing.T) {
	for _, now := range []float64{0, 1.7e9} {
		for _, tt := range formatTimeSinceTests {
			ts := now - tt.delta
			if got := FormatTimeSince(ts, now); got != tt.want {
				t.Errorf("FormatTimeSince(%v, %v) = %q, want %q", ts, now, got, tt.want)
			}
		}
	}
}

func TestFormatTimeSinceNonFinite(t *testing.T) {
	tests := []struct {
		ts, now float64
		want    string
	}{
		{math.NaN(), 0, "a few seconds ago"},
		{0, math.NaN(), "a few seconds ago"},
		{math.Inf(-1), 0, "a few seconds ago"},
		{math.Inf(1), 0, "a few seconds ago"},
	}
	for _, tt := range tests {
		if got := FormatTimeSince(tt.ts, tt.now); got != tt.want {
			t.Errorf("FormatTimeSince(%v, %v) = %q, want %q", tt.ts, tt.now, got, tt.want)
		}
	}
}

func FuzzFormatTimeSince(f *testing.F) {
	for _, tt := range formatTimeSinceTests {
		f.Add(0.0, tt.delta)
	}
	f.Fuzz(func(t *testing.T, ts, now float64) {
		s := FormatTimeSince(ts, now)
		if s == "a few seconds ago" {
			return
		}
		fields := strings.Fields(s)
		if len(fields) != 3 || fields[2] != "ago" {
			t.Fatalf("FormatTimeSince(%v, %v) = %q, want \"<n> <unit> ago\"", ts, now, s)
		}
		if fields[0] == "0" || strings.HasPrefix(fields[0], "-") {
			t.Fatalf("FormatTimeSince(%v, %v) = %q, want a positive count", ts, now, s)
		}
		if (fields[0] == "1") == strings.HasSuffix(fields[1], "s") {
			t.Fatalf("FormatTimeSince(%v, %v) = %q, want singular exactly for 1", ts, now, s)
		}
	})
}
