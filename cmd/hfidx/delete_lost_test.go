package main

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hfidx/hfidx/cache"
)

// TestLostLinksReported: after a delete, a snapshot link to a blob the
// delete removed is reported with the command that restores the file; a
// removed blob nothing links, and a link that resolves, are not.
func TestLostLinksReported(t *testing.T) {
	root := t.TempDir()
	root, _ = filepath.EvalSymlinks(root)
	mktree(t, root, map[string]string{
		"spaces--org--s/snapshots/" + hh2 + "/app.py":  "link:../../blobs/e1",
		"spaces--org--s/snapshots/" + hh2 + "/ok.txt":  "link:../../blobs/e2",
		"spaces--org--s/blobs/e2":                      "file:back",
		"spaces--org--s/snapshots/" + hh1 + "/old.txt": "file:copy",
	})
	res := &cache.DeleteResult{Removed: []cache.Removal{
		{Kind: "blob", Path: filepath.Join(root, "spaces--org--s/blobs/e1")},
		{Kind: "blob", Path: filepath.Join(root, "spaces--org--s/blobs/e2")},
		{Kind: "blob", Path: filepath.Join(root, "spaces--org--s/blobs/e3")},
		{Kind: "snapshot", Path: filepath.Join(root, "spaces--org--s/snapshots/"+hh1)},
	}}
	var errb bytes.Buffer
	a := &app{stderr: &errb}
	a.Format = "table"
	lost := lostLinks(a, root, res)
	want := "Warning: " + filepath.Join(root, "spaces--org--s/snapshots", hh2, "app.py") +
		" was linked by a download while this delete ran, to a blob it removed; restore it with:\n" +
		"  hf download org/s app.py --revision " + hh2 + " --repo-type space --cache-dir " + root + "\n"
	if errb.String() != want || len(lost) != 1 {
		t.Errorf("stderr:\n%s\nwant:\n%s(%d lost)", errb.String(), want, len(lost))
	}
	errb.Reset()
	a.Format = "json"
	if lost := lostLinks(a, root, res); len(lost) != 1 || lost[0].RelPath != "app.py" || errb.Len() != 0 || !strings.HasSuffix(lost[0].Blob, "/e1") {
		t.Errorf("json: %+v, stderr %q", lost, errb.String())
	}
}
