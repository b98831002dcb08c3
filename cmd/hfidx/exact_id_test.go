package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/hfidx/hfidx/cache/cachetest"
)

// exactRepo is one repo folder of an exact-id row: its name, its
// revision folders (one 40-hex commit when empty) and its refs.
type exactRepo struct {
	folder string
	revs   []string
	refs   map[string]string
}

// exactCache builds the repos under hub, each revision holding one file
// named after the folder so that no two repos share a blob.
func exactCache(t *testing.T, hub string, repos []exactRepo) {
	t.Helper()
	var c cachetest.Cache
	for _, r := range repos {
		revs := r.revs
		if len(revs) == 0 {
			revs = []string{hh1}
		}
		cr := cachetest.Repo{Type: "model", ID: "x", Folder: r.folder, Refs: r.refs}
		for _, h := range revs {
			cr.Revisions = append(cr.Revisions, cachetest.Revision{Hash: h,
				Files: []cachetest.File{{Path: "f.txt", Content: []byte(r.folder + "\x00" + h)}}})
		}
		if cr.Refs == nil {
			cr.Refs = map[string]string{"main": revs[0]}
		}
		c.Repos = append(c.Repos, cr)
	}
	cachetest.Build(t, hub, c)
}

func hfidxIn(stdin string, args ...string) cmdResult {
	var out, errb bytes.Buffer
	code := run(args, strings.NewReader(stdin), &out, &errb)
	return cmdResult{code, out.String(), errb.String()}
}

// exactPlan is the part of a dry run's JSON the exact-id test reads.
type exactPlan struct {
	Repos, Snapshots, Files, Unknown []string
	Entries                          []struct {
		Path      string `json:"path"`
		Whole     bool   `json:"entire_repo"`
		Revisions []struct {
			CommitHash string   `json:"commit_hash"`
			Files      []string `json:"files"`
		} `json:"revisions"`
	}
}

type exactAlso struct {
	target string
	want   []string
}

// listed is one row of `hfidx ls --json`: the folder or revision the line
// of `ls -q` at the same position must select.
type listed struct {
	ID           string `json:"id"`
	Revision     string `json:"revision"`
	Path         string `json:"path"`
	SnapshotPath string `json:"snapshot_path"`
}

// TestExactIDs checks that every line `hfidx ls -q` (and `ls --revisions
// -q`) prints selects exactly the repo (revision) it was printed for, as
// an argument, as a line of `delete -` ending in "\n" or "\r\n", and all
// lines at once; and that a real delete removes only that folder.
func TestExactIDs(t *testing.T) {
	h := "0123456789abcdef0123456789abcdef01234567"
	long := "org/" + strings.Repeat("l", 236) // a 240-byte repo id
	for _, tc := range []struct {
		name      string
		repos     []exactRepo
		revisions bool     // list and select revisions instead of repos
		real      []string // ls -q lines, by the folder or hash they name, deleted for real
		// also are hand-written targets and what their dry run selects:
		// want lists paths relative to hub, "unknown" or "exit 2".
		also []exactAlso
	}{
		{name: "trailing space", repos: []exactRepo{{folder: "models--org--name "}, {folder: "models--org--name"}},
			real: []string{"models--org--name "}},
		{name: "leading space", repos: []exactRepo{{folder: "models-- org--name"}, {folder: "models--org-- name"}, {folder: "models--org--name"}}},
		{name: "spaces inside", repos: []exactRepo{{folder: "models--org--a b"}, {folder: "models--org--a  b"}, {folder: "models--org--ab"}}},
		{name: "newline", repos: []exactRepo{{folder: "models--org--a\nb"}, {folder: "models--org--a"}, {folder: "models--org--b"},
			{folder: "models--org--c\r"}, {folder: "models--org--c"}, {folder: "models--org--tab\tx"}},
			real: []string{"models--org--a\nb", "models--org--c\r"}},
		{name: "percent", repos: []exactRepo{{folder: "models--org--a%20b"}, {folder: "models--org--a b"}, {folder: "models--org--100%"},
			{folder: "models--org--a%3Ab"}, {folder: "models--org--a:b"}, {folder: "models--org--%"}}},
		{name: "colon", repos: []exactRepo{{folder: "models--org--na:me"}, {folder: "models--org--na"},
			{folder: "datasets--org--d:*"}, {folder: "datasets--org--d"}},
			real: []string{"models--org--na:me"},
			also: []exactAlso{
				{"=model/org/na%3Ame", []string{"models--org--na:me"}},
				{"=model/org/na%3ame", []string{"models--org--na:me"}},
				{"=model/org/na%3Ame:*", []string{"models--org--na:me/snapshots/" + hh1 + "/f.txt"}},
				{"=model/org/NA%3AME", []string{"unknown"}},
				{"model/org/NA", []string{"models--org--na"}},
				{"=model/org/NA", []string{"unknown"}},
				{"=dataset/org/d%3A*", []string{"datasets--org--d:*"}},
				{"=model/org/na%3", []string{"exit 2"}},
				{"=model/org/na%zz", []string{"exit 2"}},
				{"=models/org/na", []string{"exit 2"}},
				{"=model/org//na", []string{"exit 2"}},
				{"=model/org/na:", []string{"exit 2"}},
				{"=", []string{"exit 2"}},
				{"model/org/na ", []string{"exit 2"}},
				{" model/org/na", []string{"exit 2"}},
			}},
		{name: "at sign", repos: []exactRepo{{folder: "models--org--at@sign"}, {folder: "models--org--at"},
			{folder: "models--org--x@01234567"}, {folder: "models--org--x", revs: []string{"0123456789abcdef0123456789abcdef01234567", hh2}}},
			real: []string{"models--org--at@sign", "models--org--x@01234567"}},
		{name: "240-byte ids", repos: []exactRepo{{folder: "models--" + strings.ReplaceAll(long, "/", "--")},
			{folder: "models--" + strings.ReplaceAll(long[:239], "/", "--") + ":"}, {folder: "models--" + strings.ReplaceAll(long[:239], "/", "--")}}},
		{name: "NFC and NFD twins", repos: []exactRepo{{folder: "models--org--caf\u00e9"}, {folder: "models--org--cafe\u0301"}},
			real: []string{"models--org--cafe\u0301"}},
		{name: "dashes in ids", repos: []exactRepo{{folder: "models--org--na--me"}, {folder: "models--org--na"}, {folder: "models--a---b"},
			{folder: "models--org--."}, {folder: "models--.."}, {folder: "models--org--..."}}},
		{name: "case twins", repos: []exactRepo{{folder: "models--Org--Repo"}, {folder: "models--org--repo"}, {folder: "models--org--REPO "}},
			real: []string{"models--org--repo"}},
		{name: "39 and 41 hex", revisions: true, repos: []exactRepo{
			{folder: "models--org--a", revs: []string{h[:39], h, h + "8"}},
			{folder: "models--org--b", revs: []string{h + "89"}}},
			real: []string{h[:39], h + "8"}},
		{name: "upper case", revisions: true, repos: []exactRepo{
			{folder: "models--org--a", revs: []string{h, strings.ToUpper(h)}},
			{folder: "models--org--b", revs: []string{strings.ToUpper(hh2[:8]) + "abcdefabcdefabcdefabcdefabcdefab"}},
			{folder: "models--org--c", revs: []string{"ABCDEF0123456789ABCDEF0123456789ABCDEF01"}}},
			real: []string{strings.ToUpper(h), h},
			also: []exactAlso{
				// the exact form never folds case; the plain form does when no
				// revision has the hash in that case (README).
				{"=abcdef0123456789abcdef0123456789abcdef01", []string{"unknown"}},
				{"abcdef0123456789abcdef0123456789abcdef01", []string{"models--org--c"}}, // its only revision: the repo goes
				{"=" + h, []string{"models--org--a/snapshots/" + h}},
				{"=model/x@" + h, []string{"unknown"}},
				{"=" + h[:8], []string{"unknown"}}, // no prefixes
			}},
		{name: "one commit in two repos", revisions: true, repos: []exactRepo{
			{folder: "models--org--a", revs: []string{hh1, hh2}}, {folder: "models--org--b", revs: []string{hh1}},
			{folder: "models--org--b:c", revs: []string{hh1, h}}, {folder: "models--Org--A", revs: []string{hh1}}},
			real: []string{"models--org--b:c/" + hh1}},
		{name: "odd revision folders", revisions: true, repos: []exactRepo{{folder: "models--org--a", revs: []string{
			hh1, " " + hh1, hh1 + " ", "main", "a@b", "x:y", "a\nb", "%41", "#c", "=x", "-", "@", ":", "\r",
			"0123456", "refs", strings.Repeat("f", 200)}}},
			real: []string{" " + hh1, "a\nb", "=x"}},
		{name: "odd ref names", revisions: true, repos: []exactRepo{{folder: "models--org--r", revs: []string{hh1, hh2, h},
			refs: map[string]string{"main": hh1, "we:ird": hh2, "a@b": hh2, "sp ace": h, "pr/1": h, "new\nline": hh1, "%2": h}}},
			also: []exactAlso{
				{"=model/org/r@we%3Aird:f.txt", []string{"models--org--r/snapshots/" + hh2 + "/f.txt"}},
				{"=model/org/r@a%40b:*", []string{"models--org--r/snapshots/" + hh2 + "/f.txt"}},
				{"=model/org/r@sp ace:f.txt", []string{"models--org--r/snapshots/" + h + "/f.txt"}},
				{"=model/org/r@pr/1:f.txt", []string{"models--org--r/snapshots/" + h + "/f.txt"}},
				{"model/org/r@pr/1:f.txt", []string{"models--org--r/snapshots/" + h + "/f.txt"}},
				{"=model/org/r@new%0Aline:f.txt", []string{"models--org--r/snapshots/" + hh1 + "/f.txt"}},
				{"=model/org/r@%252:f.txt", []string{"models--org--r/snapshots/" + h + "/f.txt"}},
				{"=model/org/r@" + hh2 + ":f.txt", []string{"models--org--r/snapshots/" + hh2 + "/f.txt"}},
				{"=model/org/r@" + hh2[:8] + ":f.txt", []string{"unknown"}},
				{"=model/org/r@%2:f.txt", []string{"exit 2"}},
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir, _ := filepath.EvalSymlinks(t.TempDir())
			hub, db := filepath.Join(dir, "hub"), filepath.Join(dir, "index.db")
			exactCache(t, hub, tc.repos)
			common := []string{"--cache-dir", hub, "--db", db}
			lsArgs := append([]string{"ls"}, common...)
			if tc.revisions {
				lsArgs = append(lsArgs, "--revisions")
			}
			r := hfidx(append(lsArgs, "--format", "json")...)
			var rows []listed
			if r.code != 0 || json.Unmarshal([]byte(r.stdout), &rows) != nil {
				t.Fatalf("ls --json: exit %d, %s%s", r.code, r.stdout, r.stderr)
			}
			nwant := 0
			for _, x := range tc.repos {
				nwant++
				if tc.revisions {
					nwant += max(len(x.revs), 1) - 1
				}
			}
			if len(rows) != nwant {
				t.Fatalf("ls --json lists %d rows, want %d: %s", len(rows), nwant, r.stdout)
			}
			r = hfidx(append(lsArgs, "-q")...)
			if r.code != 0 {
				t.Fatalf("ls -q: exit %d: %s", r.code, r.stderr)
			}
			lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
			t.Logf("ls -q: %q", lines)
			if len(lines) != len(rows) {
				t.Fatalf("ls -q printed %d lines for %d rows: %q", len(lines), len(rows), r.stdout)
			}
			// check that a dry run of the targets selects exactly rows[want...].
			check := func(how string, res cmdResult, want ...int) {
				t.Helper()
				if res.code != 0 {
					t.Errorf("%s: exit %d: %s", how, res.code, strings.TrimSpace(res.stderr))
					return
				}
				var p exactPlan
				if err := json.Unmarshal([]byte(res.stdout), &p); err != nil {
					t.Errorf("%s: not JSON (%v): %q", how, err, res.stdout)
					return
				}
				var got, exp []string
				for _, e := range p.Entries {
					if !tc.revisions {
						got = append(got, e.Path)
						if !e.Whole {
							got = append(got, e.Path+" (not whole)")
						}
						continue
					}
					for _, v := range e.Revisions {
						got = append(got, filepath.Join(e.Path, "snapshots", v.CommitHash))
					}
				}
				for _, i := range want {
					if tc.revisions {
						exp = append(exp, rows[i].SnapshotPath)
					} else {
						exp = append(exp, rows[i].Path)
					}
				}
				slices.Sort(got)
				slices.Sort(exp)
				if !slices.Equal(got, exp) || len(p.Unknown) > 0 || len(p.Files) > 0 {
					t.Errorf("%s: plan selects %q (unknown %q, files %q), want %q", how, got, p.Unknown, p.Files, exp)
				}
			}
			dry := append([]string{"delete", "--dry-run", "--format", "json"}, common...)
			all := make([]int, len(lines))
			for i, line := range lines {
				all[i] = i
				check("delete "+strconv.Quote(line), hfidx(append(dry, "--", line)...), i)
				check("delete - <<< "+strconv.Quote(line+"\n"), hfidxIn(line+"\n", append(dry, "-")...), i)
				check("delete - <<< "+strconv.Quote(line+"\r\n"), hfidxIn(line+"\r\n", append(dry, "-")...), i)
			}
			check("ls -q | delete -", hfidxIn(strings.Join(lines, "\n")+"\n", append(dry, "-")...), all...)
			check("ls -q | unix2dos | delete -", hfidxIn(strings.Join(lines, "\r\n")+"\r\n", append(dry, "-")...), all...)

			for _, x := range tc.also {
				res := hfidx(append(dry, "--", x.target)...)
				var got []string
				switch res.code {
				case 0:
					var p exactPlan
					if err := json.Unmarshal([]byte(res.stdout), &p); err != nil {
						t.Errorf("delete %s: not JSON (%v): %q", strconv.Quote(x.target), err, res.stdout)
						continue
					}
					for _, g := range [][]string{p.Repos, p.Snapshots, p.Files} {
						for _, q := range g {
							rel, _ := filepath.Rel(hub, q)
							got = append(got, rel)
						}
					}
					if len(p.Unknown) > 0 {
						got = append(got, "unknown")
					}
				case exitUsage:
					got = []string{"exit 2"}
					if lines := strings.Split(strings.TrimSpace(res.stderr), "\n"); len(lines) != 2 || !strings.HasPrefix(lines[1], "hint: ") {
						t.Errorf("delete %s: stderr %q, want one error line and a hint", strconv.Quote(x.target), res.stderr)
					}
				default:
					got = []string{fmt.Sprintf("exit %d: %s", res.code, res.stderr)}
				}
				if !slices.Equal(got, x.want) {
					t.Errorf("delete %s selects %q, want %q", strconv.Quote(x.target), got, x.want)
				}
			}

			// real deletes, one target each: only that folder goes.
			for _, name := range tc.real {
				i := slices.IndexFunc(rows, func(x listed) bool {
					if tc.revisions {
						return x.Revision == name || strings.HasSuffix(x.SnapshotPath, "/"+name) ||
							strings.HasSuffix(x.SnapshotPath, "/"+strings.Replace(name, "/", "/snapshots/", 1))
					}
					return filepath.Base(x.Path) == name
				})
				if i < 0 {
					t.Fatalf("no row for %q", name)
				}
				gone := rows[i].Path
				if tc.revisions {
					gone = rows[i].SnapshotPath
				}
				before := folders(t, hub, tc.revisions)
				res := hfidx(append([]string{"delete", "--yes"}, append(common, "--", lines[i])...)...)
				if res.code != 0 {
					t.Errorf("delete --yes %s: exit %d: %s", strconv.Quote(lines[i]), res.code, res.stderr)
				}
				after := folders(t, hub, tc.revisions)
				want := slices.DeleteFunc(slices.Clone(before), func(p string) bool { return p == gone })
				if !slices.Equal(after, want) {
					t.Errorf("delete --yes %s removed %q, want only %q", strconv.Quote(lines[i]), minus(before, after), gone)
				}
			}
		})
	}
}

// folders lists the repo folders of hub, or with revs every revision
// folder, as absolute paths, sorted.
func folders(t *testing.T, hub string, revs bool) []string {
	t.Helper()
	ents, err := os.ReadDir(hub)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		p := filepath.Join(hub, e.Name())
		if !revs {
			out = append(out, p)
			continue
		}
		snaps, _ := os.ReadDir(filepath.Join(p, "snapshots"))
		for _, s := range snaps {
			out = append(out, filepath.Join(p, "snapshots", s.Name()))
		}
	}
	slices.Sort(out)
	return out
}

func minus(a, b []string) []string {
	var out []string
	for _, x := range a {
		if !slices.Contains(b, x) {
			out = append(out, x)
		}
	}
	return out
}
