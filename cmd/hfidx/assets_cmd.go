package main

import (
	"fmt"
	"time"

	"github.com/hfidx/hfidx/cache"
	"github.com/hfidx/hfidx/index"
	"github.com/hfidx/hfidx/query"
)

// assetsCmd groups the commands on the assets cache, where libraries keep
// their own files (HF_ASSETS_CACHE).
type assetsCmd struct {
	Ls   assetsLsCmd   `cmd:"" aliases:"list" help:"List the assets cache: library, namespace, subfolder, size, last modified."`
	Rm   assetsRmCmd   `cmd:"" aliases:"delete" help:"Delete a library's assets, a namespace or a subfolder: the plan first (--dry-run), then a confirmation."`
	Path assetsPathCmd `cmd:"" help:"Print and create the folder huggingface_hub's cached_assets_path names."`
}

// assetsDir returns the assets cache: flag (with "~" expanded), else
// HF_ASSETS_CACHE, HUGGINGFACE_ASSETS_CACHE or HF_HOME/assets, made
// absolute with its symlinks resolved as far as it exists.
func (a *app) assetsDir(flag string) (string, error) {
	dir := cache.DefaultAssetsDir(a.lookup)
	if flag != "" {
		dir = cache.ExpandUser(flag, a.lookup)
	}
	abs, err := cache.ResolveAssetsDir(dir)
	if err != nil {
		return "", failf("pass --assets-dir DIR or set HF_ASSETS_CACHE", "cannot use assets cache %s: %w", dir, err)
	}
	return abs, nil
}

// scanAssets lists the assets cache at dir, prints the warnings, and
// records the listing in the index (table assets); a failure to record is
// a warning.
func (a *app) scanAssets(dir string) ([]query.Asset, error) {
	as, ws, err := cache.ScanAssets(dir)
	if err != nil {
		return nil, failf("check the permissions of the assets cache", "%w", err)
	}
	for _, w := range ws {
		fmt.Fprintf(a.stderr, "Warning: %s: %s\n", w.Path, w.Message)
	}
	if _, path, err := a.keptIndex(); err != nil {
		fmt.Fprintf(a.stderr, "Warning: the listing is not recorded in the index: %v\n", err)
	} else if err := index.SaveAssets(path, as, time.Now()); err != nil {
		fmt.Fprintf(a.stderr, "Warning: the listing is not recorded in the index: %v\n", indexFailure(path, err))
	}
	out := make([]query.Asset, len(as))
	for i, x := range as {
		out[i] = query.Asset(x)
	}
	return out, nil
}
