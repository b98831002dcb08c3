package query

import (
	"math"
	"strconv"
)

// sizeUnits are the prefixes huggingface_hub's _format_size walks through,
// dividing by 1000 (not 1024) at each step. "Y" is used beyond the last one
// without a further check.
var sizeUnits = [...]string{"", "K", "M", "G", "T", "P", "E", "Z"}

// FormatSize renders a byte count the way huggingface_hub's _format_size
// does: the value is divided by 1000 while its magnitude is at least 1000,
// then printed with exactly one decimal and the unit letter, with no space
// and no "B" ("0.0", "999.0", "1.0K", "1.1G" for 1024³). The unit is chosen
// before rounding, so 999950 gives "1000.0K", as in Python. Negative counts
// keep their sign ("-1.5K"). It never fails.
func FormatSize(n int64) string {
	// float64(n) rounds to nearest even, like Python's float(int).
	return formatSizeFloat(float64(n))
}

// formatSizeFloat is _format_size on an already converted float. It exists
// apart from FormatSize because the "Y" branch (values of 10²⁴ and more) is
// out of reach of an int64 and still deserves a test.
func formatSizeFloat(v float64) string {
	for _, unit := range sizeUnits {
		if math.Abs(v) < 1000 {
			return strconv.FormatFloat(v, 'f', 1, 64) + unit
		}
		v /= 1000
	}
	return strconv.FormatFloat(v, 'f', 1, 64) + "Y"
}

// timeChunk is one step of format_timesince: a value is expressed in unit
// label when round(delta/divisor) is at most max.
type timeChunk struct {
	label   string
	divisor float64
	max     float64 // math.Inf(1) for the last step, which always stops
}

var timeChunks = [...]timeChunk{
	{"second", 1, 60},
	{"minute", 60, 60},
	{"hour", 60 * 60, 24},
	{"day", 60 * 60 * 24, 6},
	{"week", 60 * 60 * 24 * 7, 6},
	{"month", 60 * 60 * 24 * 30, 11},
	{"year", 60 * 60 * 24 * 365, math.Inf(1)},
}

// FormatTimeSince renders how long ago the Unix time ts (in seconds) was,
// seen from the Unix time now, exactly as huggingface_hub's
// format_timesince does: an age under 20 seconds, or a time in the future,
// is "a few seconds ago"; otherwise the age is rounded half to even in
// seconds, minutes, hours, days, weeks, months (30 days) and years (365
// days), taking the first unit where the rounded value does not exceed 60,
// 60, 24, 6, 6 and 11 respectively ("60 seconds ago", "1 minute ago",
// "24 hours ago", "2 weeks ago", "10 years ago").
//
// If now-ts is NaN or +Inf, where Python raises an exception, it returns
// "a few seconds ago" as well.
func FormatTimeSince(ts, now float64) string {
	delta := now - ts
	if delta < 20 || math.IsNaN(delta) || math.IsInf(delta, 1) {
		return "a few seconds ago"
	}
	var (
		value float64
		label string
	)
	for _, c := range timeChunks {
		value, label = math.RoundToEven(delta/c.divisor), c.label
		if value <= c.max {
			break
		}
	}
	plural := ""
	if value > 1 {
		plural = "s"
	}
	// 'f' with precision 0 prints every digit of an integral float, like
	// Python's str(int) of round()'s result, even past 2⁶³.
	return strconv.FormatFloat(value, 'f', 0, 64) + " " + label + plural + " ago"
}
