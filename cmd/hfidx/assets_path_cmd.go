package main

import (
	"errors"
	"fmt"

	"github.com/hfidx/hfidx/cache"
)

type assetsPathCmd struct {
	Library   string `arg:"" help:"The library's name, e.g. datasets."`
	Namespace string `name:"namespace" placeholder:"N" default:"default" help:"Namespace inside the library's folder."`
	Subfolder string `name:"subfolder" placeholder:"S" default:"default" help:"Subfolder inside the namespace."`
	AssetsDir string `name:"assets-dir" placeholder:"DIR" help:"Assets cache to use (default: $$HF_ASSETS_CACHE, $$HUGGINGFACE_ASSETS_CACHE, else $$HF_HOME/assets)."`
}

// Run prints (and creates) <assets>/<library>/<namespace>/<subfolder>
// exactly as cached_assets_path names it.
func (c *assetsPathCmd) Run(a *app) error {
	if err := a.formatIn("table", "text", "json"); err != nil {
		return err
	}
	dir, err := a.assetsDir(c.AssetsDir)
	if err != nil {
		return err
	}
	p, err := cache.AssetPath(dir, c.Library, c.Namespace, c.Subfolder)
	var pe *cache.AssetPathError
	switch {
	case errors.Is(err, cache.ErrAssetDotDot):
		return usagef("name a folder inside the assets cache", "%w", err)
	case errors.As(err, &pe):
		return failf("remove or rename the file in the way", "%w", pe)
	case err != nil:
		return failf("check the permissions of the assets cache", "create assets folder: %w", err)
	}
	if a.Format == "json" {
		return writeJSON(a, map[string]string{"path": p})
	}
	fmt.Fprintln(a.stdout, p)
	return nil
}
