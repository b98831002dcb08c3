package main

import (
	"fmt"

	"github.com/hfidx/hfidx/cache"
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
