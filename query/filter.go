package query

import (
	"fmt"
	"math"
	"path"
	"regexp"
	"strconv"
	"strings"
)

// Filter is one compiled `KEY OP VALUE` expression of `hfidx ls -f`.
type Filter struct {
	Expr  string
	Key   string
	Op    string
	num   float64 // bytes for size, seconds for accessed/modified
	str   string  // type, refs, repo
	truth bool    // damaged
}

// FilterKeys lists the accepted filter keys, in the order help shows them.
var FilterKeys = []string{"size", "accessed", "modified", "type", "refs", "repo", "damaged"}

var filterRe = regexp.MustCompile(`^([A-Za-z_]+)\s*(==|!=|>=|<=|=|>|<)\s*(.*)$`)

// UsageError is a bad filter, sort or limit: the CLI exits 2 with it.
type UsageError struct{ Msg string }

func (e *UsageError) Error() string { return e.Msg }

func usageErr(format string, args ...any) error {
	return &UsageError{Msg: fmt.Sprintf(format, args...)}
}

// ParseFilter compiles expr. It returns a *UsageError naming the accepted
// forms when expr is not a valid filter.
func ParseFilter(expr string) (Filter, error) {
	m := filterRe.FindStringSubmatch(strings.TrimSpace(expr))
	if m == nil {
		return Filter{}, usageErr("invalid filter expression %q: want KEY OP VALUE with KEY one of %s and OP one of = != > < >= <=",
			expr, strings.Join(FilterKeys, ", "))
	}
	f := Filter{Expr: expr, Key: strings.ToLower(m[1]), Op: m[2]}
	val := strings.TrimSpace(m[3])
	if f.Op == "==" {
		return f, usageErr("unsupported operator '==' in %q: use '='", expr)
	}
	var err error
	switch f.Key {
	case "size":
		f.num, err = ParseSize(val)
	case "accessed", "modified":
		f.num, err = ParseDuration(val)
	case "type", "refs", "repo", "damaged":
		if f.Op != "=" && !(f.Op == "!=" && (f.Key == "repo" || f.Key == "damaged")) {
			ops := "'='"
			if f.Key == "repo" || f.Key == "damaged" {
				ops = "'=' and '!='"
			}
			return f, usageErr("only %s are supported for %s filters, got %q in %q", ops, f.Key, f.Op, expr)
		}
		switch f.Key {
		case "type":
			f.str = strings.ToLower(val)
		case "refs":
			f.str = pyLower(val)
		case "repo":
			if _, err := path.Match(val, ""); err != nil {
				return f, usageErr("bad glob %q in %q: %v", val, expr, err)
			}
			f.str = val
		case "damaged":
			f.truth, err = strconv.ParseBool(val)
			if err != nil {
				return f, usageErr("damaged filters take true or false, got %q in %q", val, expr)
			}
		}
	default:
		return f, usageErr("unsupported filter key %q in %q: must be one of %s", m[1], expr, strings.Join(FilterKeys, ", "))
	}
	if err != nil {
		return f, usageErr("%v in %q", err, expr)
	}
	return f, nil
}

func compare(a float64, op string, b float64) bool {
	switch op {
	case "=":
		return a == b
	case "!=":
		return a != b
	case ">":
		return a > b
	case "<":
		return a < b
	case ">=":
		return a >= b
	case "<=":
		return a <= b
	}
	return false
}

// Match reports whether e passes the filter; now is the command's time.
func (f Filter) Match(e *Entry, now float64) bool {
	switch f.Key {
	case "size":
		return compare(float64(e.SizeOnDisk), f.Op, f.num)
	case "accessed":
		return compare(now-e.LastUsed, f.Op, f.num)
	case "modified":
		return compare(now-e.LastModified, f.Op, f.num)
	case "type":
		return e.RepoType == f.str
	case "refs":
		for _, r := range e.Refs {
			if pyLower(r) == f.str {
				return true
			}
		}
		return false
	case "repo":
		ok, _ := path.Match(f.str, e.RepoID)
		return ok == (f.Op == "=")
	case "damaged":
		return (e.Damaged == f.truth) == (f.Op == "=")
	}
	return false
}

var byteUnits = map[string]float64{
	"": 1, "b": 1,
	"k": 1e3, "kb": 1e3, "m": 1e6, "mb": 1e6, "g": 1e9, "gb": 1e9, "t": 1e12, "tb": 1e12, "p": 1e15, "pb": 1e15,
	"kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30, "tib": 1 << 40, "pib": 1 << 50,
}

var quantityRe = regexp.MustCompile(`^([0-9]+(?:\.[0-9]+)?|\.[0-9]+)\s*([A-Za-z]*)$`)

// ParseSize parses a byte count: a number with an optional unit, k/m/g/t/p
// and kb..pb being powers of 1000 (as huggingface_hub), kib..pib powers of
// 1024, any case, decimals allowed (`1.5G`). It returns an error naming the
// accepted units otherwise; negative sizes are refused.
func ParseSize(s string) (float64, error) {
	m := quantityRe.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return 0, fmt.Errorf("invalid size %q: want a number with an optional unit (k, m, g, t, p, kb..pb = 1000-based; kib..pib = 1024-based), e.g. 500m or 1.5GiB", s)
	}
	mult, ok := byteUnits[strings.ToLower(m[2])]
	if !ok {
		return 0, fmt.Errorf("unknown size unit %q: use k, m, g, t, p, kb, mb, gb, tb, pb, kib, mib, gib, tib or pib", m[2])
	}
	v, err := strconv.ParseFloat(m[1], 64)
	if err != nil || math.IsInf(v*mult, 0) {
		return 0, fmt.Errorf("invalid size %q", s)
	}
	return v * mult, nil
}

var durationUnits = map[string]float64{
	"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "mo": 30 * 86400, "y": 365 * 86400,
}

// ParseDuration parses an age: a number and a unit among s, m (minutes),
// h, d, w, mo (30 days) and y (365 days), any case, decimals allowed; a
// bare number is seconds. It returns seconds, or an error naming the units.
func ParseDuration(s string) (float64, error) {
	m := quantityRe.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return 0, fmt.Errorf("invalid duration %q: want a number and a unit (s, m = minutes, h, d, w, mo = 30 days, y = 365 days), e.g. 90d", s)
	}
	unit := strings.ToLower(m[2])
	if unit == "" {
		unit = "s"
	}
	mult, ok := durationUnits[unit]
	if !ok {
		return 0, fmt.Errorf("unknown duration unit %q: use s, m (minutes), h, d, w, mo (30 days) or y (365 days)", m[2])
	}
	v, err := strconv.ParseFloat(m[1], 64)
	if err != nil || math.IsInf(v*mult, 0) {
		return 0, fmt.Errorf("invalid duration %q", s)
	}
	return v * mult, nil
}

// pyLower lower-cases like Python's str.lower, which differs from Go's
// strings.ToLower on U+0130 (capital I with dot above).
func pyLower(s string) string {
	return strings.ToLower(strings.ReplaceAll(s, "\u0130", "i\u0307"))
}
