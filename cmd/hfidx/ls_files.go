package main

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/hfidx/hfidx/query"
)

// validateFiles refuses the flags of the repo listing that a file
// listing has no use for.
func (c *lsCmd) validateFiles() error {
	var bad []string
	for flag, set := range map[string]bool{"--revisions": c.Revisions, "--filter": len(c.Filter) > 0, "--sort": c.Sort != "",
		"--limit": c.Limit != "", "--quiet": c.Quiet, "--usage": c.Usage} {
		if set {
			bad = append(bad, flag)
		}
	}
	if len(bad) > 0 {
		return usageOf("ls", "ls REPO lists files and takes no %s: drop it, or drop REPO to list repos", strings.Join(slices.Sorted(slices.Values(bad)), ", "))
	}
	return nil
}

// runFiles is `hfidx ls REPO[@REV]`: the files of each revision.
func (c *lsCmd) runFiles(a *app) error {
	db, _, err := a.openIndex()
	if err != nil {
		return err
	}
	defer db.Close()
	rr, err := query.ResolveRepoRev(db, c.Repo)
	var nf *query.NotFoundError
	var ue *query.UsageError
	switch {
	case errors.As(err, &nf):
		return failf(nf.Hint, "%s", nf.Msg)
	case errors.As(err, &ue):
		return usagef("name it as 'hfidx ls -q' prints it, or as REPO@REV", "%s", ue.Msg)
	case err != nil:
		return failf("run 'hfidx sync' to rebuild the index", "read index: %w", err)
	}
	rows, err := query.RepoFiles(db, rr)
	if err != nil {
		return failf("run 'hfidx sync' to rebuild the index", "read index: %w", err)
	}
	switch a.Format {
	case "json":
		if rows == nil {
			rows = []query.FileRow{}
		}
		return writeJSON(a, rows)
	case "csv", "tsv":
		sep := ','
		if a.Format == "tsv" {
			sep = '\t'
		}
		t := query.Table{Columns: []string{"cache_id", "revision", "refs", "path", "size", "sharing", "kind", "blob_path", "file_path", "blob_last_accessed"}}
		for _, r := range rows {
			t.Rows = append(t.Rows, []any{r.CacheID, r.Revision, r.Refs, r.Path, r.Size, r.Sharing, r.Kind, r.BlobPath, r.FilePath, r.LastAccessed})
		}
		return query.WriteDelimited(a.stdout, t, sep)
	}
	if len(rows) == 0 {
		fmt.Fprintln(a.stdout, "No files found.")
		return nil
	}
	// Blob paths are shown from the repo folder (blobs/<etag>), which the
	// commit hash and the repo name already place; JSON and CSV carry them whole.
	t := query.Table{Columns: []string{"revision", "refs", "path", "size", "sharing", "blob"}, Right: map[string]bool{"size": true}}
	revs := map[string]bool{}
	var size, excl int64
	seen := map[string]bool{}
	for _, r := range rows {
		revs[r.Revision] = true
		blob := r.BlobPath
		if i := strings.LastIndex(blob, "/blobs/"); i >= 0 && r.Kind == "link" {
			blob = blob[i+1:]
		}
		if r.Kind == "file" {
			blob = "(copy in the snapshot)"
		}
		t.Rows = append(t.Rows, []any{r.Revision, strings.Join(r.Refs, ", "), r.Path, query.FormatSize(r.Size), r.Sharing, blob})
		if r.BlobPath != "" && !seen[r.BlobPath] {
			seen[r.BlobPath] = true
			size += r.Size
			if r.Sharing == "exclusive" {
				excl += r.Size
			}
		}
	}
	width := 0
	if a.stdoutIsTTY {
		width = terminalWidth(a)
	}
	cut, err := query.WriteHuman(a.stdout, t, width)
	if err != nil {
		return err
	}
	total := fmt.Sprintf("%s in %s of %s: %s on disk, %s of it in one revision only.",
		plural(len(rows), "file", "files"), plural(len(revs), "revision", "revisions"), rr.CacheID,
		query.FormatSize(size), query.FormatSize(excl))
	if a.color() {
		total = "\x1b[1m" + total + "\x1b[0m"
	}
	fmt.Fprintf(a.stdout, "\n%s\n", total)
	if cut {
		fmt.Fprintln(a.stderr, "Hint: cells were cut to the terminal width; use --format json for full values.")
	}
	return nil
}
