package query

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Table is a rendered result: column names and rows of values.
type Table struct {
	Columns []string
	Rows    [][]any
	// Right names the columns aligned right in the human table.
	Right map[string]bool
	// KeepCase prints headers as they are instead of upper-cased.
	KeepCase bool
}

// cellText renders a value for the human table, CSV and TSV.
func cellText(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case []byte:
		return string(x)
	case []string:
		return strings.Join(x, " ")
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1e15 {
			return strconv.FormatFloat(x, 'f', 1, 64)
		}
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	}
	return fmt.Sprint(v)
}

// WriteHuman writes t as `hf cache ls` does: upper-cased headers, one space
// between columns, a dashed rule, SIZE-like columns right-aligned. When
// width > 0 and the table is wider, the widest column is cut one character
// at a time (never below its header or 4) and cut cells end in "...". It
// reports whether anything was cut, and the writer's error.
func WriteHuman(w io.Writer, t Table, width int) (bool, error) {
	n := len(t.Columns)
	cells := make([][]string, len(t.Rows))
	widths := make([]int, n)
	mins := make([]int, n)
	for i, c := range t.Columns {
		widths[i] = utf8.RuneCountInString(c)
		mins[i] = max(widths[i], 4)
	}
	for r, row := range t.Rows {
		cells[r] = make([]string, n)
		for i, v := range row {
			s := strings.Join(strings.Fields(cellText(v)), " ")
			cells[r][i] = s
			widths[i] = max(widths[i], utf8.RuneCountInString(s))
		}
	}
	total := func() int {
		s := n - 1
		for _, x := range widths {
			s += x
		}
		return s
	}
	cut := false
	for width > 0 && total() > width {
		widest := -1
		for i := range widths {
			if widths[i] > mins[i] && (widest < 0 || widths[i] > widths[widest]) {
				widest = i
			}
		}
		if widest < 0 {
			break
		}
		widths[widest]--
		cut = true
	}
	var b bytes.Buffer
	line := func(vals []string, upper bool) {
		for i, s := range vals {
			if upper {
				s = strings.ToUpper(s)
			}
			if utf8.RuneCountInString(s) > widths[i] {
				r := []rune(s)
				keep := max(widths[i]-3, 0)
				s = string(r[:keep]) + "..."
				if utf8.RuneCountInString(s) > widths[i] {
					s = string([]rune(s)[:widths[i]])
				}
			}
			pad := strings.Repeat(" ", widths[i]-utf8.RuneCountInString(s))
			if i > 0 {
				b.WriteByte(' ')
			}
			if t.Right[t.Columns[i]] {
				b.WriteString(pad + s)
			} else {
				b.WriteString(s + pad)
			}
		}
		b.WriteByte('\n')
	}
	line(t.Columns, !t.KeepCase)
	dashes := make([]string, n)
	for i := range dashes {
		dashes[i] = strings.Repeat("-", widths[i])
	}
	line(dashes, false)
	for _, row := range cells {
		line(row, false)
	}
	_, err := w.Write(b.Bytes())
	return cut, err
}

// WriteDelimited writes t as CSV (sep ',') or TSV (sep '\t') with a header
// row; lists are joined with spaces. It returns the writer's error.
func WriteDelimited(w io.Writer, t Table, sep rune) error {
	cw := csv.NewWriter(w)
	cw.Comma = sep
	if err := cw.Write(t.Columns); err != nil {
		return err
	}
	for _, row := range t.Rows {
		rec := make([]string, len(row))
		for i, v := range row {
			rec[i] = cellText(v)
			if sep == '\t' {
				rec[i] = strings.NewReplacer("\t", " ", "\n", " ", "\r", " ").Replace(rec[i])
			}
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// WriteJSONRows writes t as a JSON array of objects keyed by column name,
// values in their native types. It returns the writer's error.
func WriteJSONRows(w io.Writer, t Table) error {
	var b bytes.Buffer
	b.WriteByte('[')
	for r, row := range t.Rows {
		if r > 0 {
			b.WriteString(", ")
		}
		b.WriteByte('{')
		for i, v := range row {
			if i > 0 {
				b.WriteString(", ")
			}
			k, _ := json.Marshal(t.Columns[i])
			b.Write(k)
			b.WriteString(": ")
			if bs, ok := v.([]byte); ok {
				v = string(bs)
			}
			if f, ok := v.(float64); ok && (math.IsNaN(f) || math.IsInf(f, 0)) {
				v = nil
			}
			val, err := marshal(v)
			if err != nil {
				return err
			}
			b.Write(val)
		}
		b.WriteByte('}')
	}
	b.WriteString("]\n")
	_, err := w.Write(b.Bytes())
	return err
}

// marshal encodes v as JSON without HTML escaping.
func marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(b.Bytes(), "\n"), nil
}
