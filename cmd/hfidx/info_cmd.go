package main

import (
	"errors"
	"fmt"
	"io/fs"
	"strconv"
	"time"

	"github.com/hfidx/hfidx/index"
	"github.com/hfidx/hfidx/query"
	"github.com/hfidx/hfidx/schema"
)

type infoCmd struct{}

type infoResult struct {
	CacheDir      string  `json:"cache_dir"`
	Index         string  `json:"index"`
	IndexExists   bool    `json:"index_exists"`
	SchemaVersion int     `json:"schema_version"`
	SyncedAt      float64 `json:"synced_at,omitempty"`
	AgeSeconds    float64 `json:"age_seconds,omitempty"`
	Repos         int     `json:"repos"`
	Revisions     int     `json:"revisions"`
	Files         int     `json:"files"`
	Blobs         int     `json:"blobs"`
	Warnings      int     `json:"warnings"`
	SizeOnDisk    int64   `json:"size_on_disk"`
}

// Run describes the index as it is: info never syncs, so the age it shows
// is real.
func (c *infoCmd) Run(a *app) error {
	if err := a.formatIn("table", "text", "json"); err != nil {
		return err
	}
	root, err := a.cacheDir()
	if err != nil {
		return err
	}
	path, err := a.dbPath(root)
	if err != nil {
		return err
	}
	res := infoResult{CacheDir: root, Index: path, SchemaVersion: schema.Version()}
	db, err := schema.OpenReadOnly(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return indexFailure(path, err)
	default:
		defer db.Close()
		res.IndexExists = true
		var synced string
		if err := db.Get(&synced, `SELECT value FROM meta WHERE key = 'synced_at'`); err != nil {
			return failf("run 'hfidx sync' to rebuild the index", "read index: %w", err)
		}
		res.SyncedAt, _ = strconv.ParseFloat(synced, 64)
		// A sync with nothing to write leaves the index (and synced_at)
		// alone and only marks its lock file.
		if t := index.CheckedAt(path); !t.IsZero() {
			res.SyncedAt = max(res.SyncedAt, float64(t.UnixNano())/1e9)
		}
		res.AgeSeconds = a.nowFloat() - res.SyncedAt
		if err := db.QueryRow(`SELECT repos, revisions, files, blobs, warnings, size_on_disk FROM cache_usage`).
			Scan(&res.Repos, &res.Revisions, &res.Files, &res.Blobs, &res.Warnings, &res.SizeOnDisk); err != nil {
			return failf("run 'hfidx sync' to rebuild the index", "read index: %w", err)
		}
	}
	if a.Format == "json" {
		return writeJSON(a, res)
	}
	w := a.stdout
	fmt.Fprintf(w, "cache dir:      %s\n", res.CacheDir)
	fmt.Fprintf(w, "index:          %s\n", res.Index)
	fmt.Fprintf(w, "schema version: %d\n", res.SchemaVersion)
	if !res.IndexExists {
		fmt.Fprintf(w, "index age:      not built yet (run 'hfidx sync')\n")
		return nil
	}
	synced := time.Unix(int64(res.SyncedAt), 0).UTC().Format(time.RFC3339)
	fmt.Fprintf(w, "index age:      %s (synced %s)\n", query.FormatTimeSince(res.SyncedAt, a.nowFloat()), synced)
	fmt.Fprintf(w, "counts:         %s, %s, %s, %s, %s\n", plural(res.Repos, "repo", "repos"),
		plural(res.Revisions, "revision", "revisions"), plural(res.Files, "file", "files"),
		plural(res.Blobs, "blob", "blobs"), plural(res.Warnings, "warning", "warnings"))
	fmt.Fprintf(w, "size on disk:   %s\n", query.FormatSize(res.SizeOnDisk))
	return nil
}
