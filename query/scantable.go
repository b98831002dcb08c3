package query

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"unicode/utf8"
)

// ANSI styles of the legacy report.
const (
	ansiBold  = "\x1b[1m"
	ansiRed   = "\x1b[31m"
	ansiGray  = "\x1b[90m"
	ansiReset = "\x1b[0m"
)

// DamagedMark is appended to the repo id of a damaged repo in tables.
const DamagedMark = " [damaged]"

// cell is one table cell; numbers are right-aligned, text left-aligned,
// as Python's str.format does in the legacy renderer.
type cell struct {
	text  string
	right bool
}

func text(s string) cell { return cell{text: s} }
func num(n int64) cell   { return cell{text: fmt.Sprint(n), right: true} }

// writeLegacyTable renders rows the way huggingface-cli scan-cache did:
// each column as wide as its widest cell, every cell followed by one
// space, a row of dashes under the header.
func writeLegacyTable(w io.Writer, headers []string, rows [][]cell) error {
	widths := make([]int, len(headers))
	for i, h := range headers {
		widths[i] = utf8.RuneCountInString(h)
	}
	for _, r := range rows {
		for i, c := range r {
			widths[i] = max(widths[i], utf8.RuneCountInString(c.text))
		}
	}
	var b strings.Builder
	line := func(cells []cell) {
		for i, c := range cells {
			pad := strings.Repeat(" ", widths[i]-utf8.RuneCountInString(c.text))
			if c.right {
				b.WriteString(pad + c.text)
			} else {
				b.WriteString(c.text + pad)
			}
			b.WriteByte(' ')
		}
		b.WriteByte('\n')
	}
	hs := make([]cell, len(headers))
	ds := make([]cell, len(headers))
	for i, h := range headers {
		hs[i], ds[i] = text(h), text(strings.Repeat("-", widths[i]))
	}
	line(hs)
	line(ds)
	for _, r := range rows {
		line(r)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// ScanTableOptions controls WriteScanTable.
type ScanTableOptions struct {
	Verbose      bool    // one row per revision
	ShowWarnings bool    // print every warning after the summary
	Color        bool    // ANSI styles (only on a terminal, never with NO_COLOR)
	Now          float64 // epoch seconds that relative times are computed against
	Seconds      float64 // how long the scan took
	Usage        bool    // add a USAGE column (allocated bytes) and the physical total
}

// WriteScanTable renders rep as `huggingface-cli scan-cache` did (spec
// §5.1), with damaged repos listed and marked. It returns the writer's
// error.
func WriteScanTable(out, errw io.Writer, rep *Report, o ScanTableOptions) error {
	repos := append([]Repo(nil), rep.Repos...)
	sort.SliceStable(repos, func(i, j int) bool { return repos[i].RepoPath < repos[j].RepoPath })
	var rows [][]cell
	var headers []string
	idOf := func(r Repo) string {
		if r.Damaged {
			return r.RepoID + DamagedMark
		}
		return r.RepoID
	}
	healthy, damaged := 0, 0
	for _, r := range repos {
		if r.Damaged {
			damaged++
		} else {
			healthy++
		}
	}
	if !o.Verbose {
		headers = []string{"REPO ID", "REPO TYPE", "SIZE ON DISK", "NB FILES", "LAST_ACCESSED", "LAST_MODIFIED", "REFS", "LOCAL PATH"}
		for _, r := range repos {
			refs := make([]string, 0, len(r.Refs))
			for name := range r.Refs {
				refs = append(refs, name)
			}
			sort.Strings(refs)
			rows = append(rows, []cell{text(idOf(r)), text(r.RepoType), text(fmt.Sprintf("%12s", FormatSize(r.SizeOnDisk))),
				num(r.NbFiles), text(FormatTimeSince(r.LastAccessed, o.Now)), text(FormatTimeSince(r.LastModified, o.Now)),
				text(strings.Join(refs, ", ")), text(r.RepoPath)})
		}
	} else {
		headers = []string{"REPO ID", "REPO TYPE", "REVISION", "SIZE ON DISK", "NB FILES", "LAST_MODIFIED", "REFS", "LOCAL PATH"}
		for _, r := range repos {
			revs := append([]Revision(nil), r.Revisions...)
			sort.Slice(revs, func(i, j int) bool { return revs[i].CommitHash < revs[j].CommitHash })
			for _, v := range revs {
				refs := append([]string(nil), v.Refs...)
				sort.Strings(refs)
				rows = append(rows, []cell{text(idOf(r)), text(r.RepoType), text(v.CommitHash),
					text(fmt.Sprintf("%12s", FormatSize(v.SizeOnDisk))), num(v.NbFiles),
					text(FormatTimeSince(v.LastModified, o.Now)), text(strings.Join(refs, ", ")), text(v.SnapshotPath)})
			}
		}
	}
	if o.Usage {
		// USAGE after SIZE ON DISK: allocated bytes, each inode once.
		at := 2
		if o.Verbose {
			at = 3
		}
		headers = append(headers[:at+1:at+1], append([]string{"USAGE"}, headers[at+1:]...)...)
		i := 0
		for _, r := range repos {
			if !o.Verbose {
				rows[i] = append(rows[i][:at+1:at+1], append([]cell{text(fmt.Sprintf("%12s", FormatSize(r.Usage)))}, rows[i][at+1:]...)...)
				i++
				continue
			}
			revs := append([]Revision(nil), r.Revisions...)
			sort.Slice(revs, func(a, b int) bool { return revs[a].CommitHash < revs[b].CommitHash })
			for _, v := range revs {
				rows[i] = append(rows[i][:at+1:at+1], append([]cell{text(fmt.Sprintf("%12s", FormatSize(v.Usage)))}, rows[i][at+1:]...)...)
				i++
			}
		}
	}
	if err := writeLegacyTable(out, headers, rows); err != nil {
		return err
	}
	total := FormatSize(rep.SizeOnDisk)
	if o.Color {
		total = ansiBold + ansiRed + total + ansiReset
	}
	if o.Usage {
		total += fmt.Sprintf(" (%s allocated on disk, each inode once)", FormatSize(rep.Usage))
	}
	fmt.Fprintf(out, "\nDone in %.1fs. Scanned %d repo(s) for a total of %s.\n", o.Seconds, healthy, total)
	if damaged > 0 {
		fmt.Fprintf(out, "%d damaged repo(s), marked%s above, hold %s more; huggingface_hub would hide them.\n",
			damaged, DamagedMark, FormatSize(rep.DamagedSizeOnDisk))
	}
	if n := len(rep.Warnings); n > 0 {
		gray := func(s string) string {
			if o.Color {
				return ansiGray + s + ansiReset
			}
			return s
		}
		if o.ShowWarnings {
			fmt.Fprintln(out, gray(fmt.Sprintf("Got %d warning(s) while scanning.", n)))
			for _, w := range rep.Warnings {
				fmt.Fprintln(out, gray(w))
			}
		} else {
			fmt.Fprintln(out, gray(fmt.Sprintf("Got %d warning(s) while scanning. Use --show-warnings or -vvv to print details.", n)))
		}
	}
	if n := len(rep.IncompleteFiles); n > 0 {
		var size int64
		for _, f := range rep.IncompleteFiles {
			size += f.SizeOnDisk
		}
		fmt.Fprintf(errw, "Found %d incomplete download(s) totalling %s.\n", n, FormatSize(size))
	}
	return nil
}
