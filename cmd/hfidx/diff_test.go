package main

import (
	"testing"
	"time"
)

func TestParseWhen(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want time.Time
		ok   bool
	}{
		{"2026-01-02", time.Date(2026, 1, 2, 0, 0, 0, 0, time.Local), true},
		{"2026-01-02T15:04", time.Date(2026, 1, 2, 15, 4, 0, 0, time.Local), true},
		{"2026-01-02 15:04", time.Date(2026, 1, 2, 15, 4, 0, 0, time.Local), true},
		{"2026-01-02T15:04:05Z", time.Date(2026, 1, 2, 15, 4, 5, 0, time.UTC), true},
		{"yesterday", time.Time{}, false},
		{"", time.Time{}, false},
	} {
		got, err := parseWhen(tc.in)
		if (err == nil) != tc.ok || !got.Equal(tc.want) {
			t.Errorf("parseWhen(%q) = %v, %v, want %v (ok %v)", tc.in, got, err, tc.want, tc.ok)
		}
	}
}

func FuzzParseWhen(f *testing.F) {
	for _, s := range []string{"2026-01-02", "2026-01-02T15:04", "2026-01-02T15:04:05+02:00", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := parseWhen(s)
		if err != nil {
			return
		}
		// What parses, parses again the same from its RFC 3339 form.
		again, err := parseWhen(got.Format(time.RFC3339Nano))
		if err != nil || !again.Equal(got) {
			t.Fatalf("parseWhen(%q) = %v; parseWhen of its RFC 3339 form = %v, %v", s, got, again, err)
		}
	})
}
