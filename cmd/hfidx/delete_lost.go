package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/hfidx/hfidx/cache"
	"github.com/hfidx/hfidx/query"
)

// lostLinks looks, after a deletion, for snapshot links to the blobs it
// removed: links a download made while the deletion ran, after the
// executor's last re-check (huggingface_hub links a cached blob without a
// lock, so no tool can rule this out). Each is reported on stderr, unless
// the output is JSON, with the command that downloads the file again, and
// returned for the JSON output.
func lostLinks(a *app, root string, res *cache.DeleteResult) []cache.LostLink {
	var removed []string
	for _, r := range res.Removed {
		if r.Kind == "blob" {
			removed = append(removed, r.Path)
		}
	}
	lost := cache.Dangling(root, removed)
	if lost == nil {
		lost = []cache.LostLink{}
	}
	if a.Format == "json" {
		return lost
	}
	for _, l := range lost {
		fmt.Fprintf(a.stderr, "Warning: %s was linked by a download while this delete ran, to a blob it removed; restore it with:\n  %s\n",
			l.Path, l.Restore(root))
	}
	return lost
}

// brokenLinks returns the snapshot entries of other repos that the plan
// said it breaks (delete --break-links) and that now dangle, reported as
// lostLinks reports its own, with the command that downloads each again.
func brokenLinks(a *app, root string, plan *query.Plan, res *cache.DeleteResult) []cache.LostLink {
	var out []cache.LostLink
	for _, b := range plan.Breaks {
		if _, err := os.Stat(b.Path); err == nil {
			continue // its blob stayed after all
		}
		parts, ok := cache.Under(root, b.Path)
		if !ok || len(parts) < 4 || parts[1] != "snapshots" {
			continue
		}
		typ, id, err := cache.ParseFolderName(parts[0])
		if err != nil {
			continue
		}
		l := cache.LostLink{Folder: parts[0], Type: typ, RepoID: id, Commit: parts[2],
			RelPath: strings.Join(parts[3:], "/"), Path: b.Path, Blob: b.Blob}
		if a.Format != "json" {
			fmt.Fprintf(a.stderr, "Warning: %s linked a blob this delete removed (--break-links); restore it with:\n  %s\n",
				l.Path, l.Restore(root))
		}
		out = append(out, l)
	}
	return out
}
