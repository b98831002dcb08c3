package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/hfidx/hfidx/cache"
)

type lookupCmd struct {
	RepoID   string `arg:"" name:"repo-id" type:"raw" help:"The repo id, e.g. org/name."`
	Filename string `arg:"" type:"raw" help:"The file's path in the repo, e.g. config.json or onnx/model.onnx."`
	Revision string `name:"revision" type:"raw" placeholder:"R" help:"Branch, tag, ref (refs/pr/1) or commit hash (default: main)."`
	Type     string `name:"type" aliases:"repo-type" enum:"model,dataset,space,kernel" default:"model" help:"Repo type: ${enum}."`
}

// lookupOutput is the JSON of lookup, printed whatever the answer.
type lookupOutput struct {
	Status cache.LookupStatus `json:"status"`
	Path   *string            `json:"path"`
}

// Run answers as huggingface_hub's try_to_load_from_cache, from the file
// system alone (the index is not used), with one exit code per answer.
func (c *lookupCmd) Run(a *app) error {
	if err := a.formatIn("table", "text", "json"); err != nil {
		return err
	}
	dir, err := c.cacheDir(a)
	if err != nil {
		return err
	}
	typ, _ := cache.ParseRepoType(c.Type)
	res, err := cache.Lookup(dir, typ, c.RepoID, c.Filename, c.Revision)
	var ue *cache.UnsafePathError
	switch {
	case errors.As(err, &ue) && (ue.What == "filename" || ue.What == "revision"):
		return usagef("name a file and a revision inside the repo, without \"..\"", "%w", ue)
	case err != nil:
		return failf("inspect the repo folder with 'hfidx scan --show-warnings'", "lookup: %w", err)
	}
	out := lookupOutput{Status: res.Status}
	if res.Status == cache.LookupCached {
		out.Path = &res.Path
	}
	if a.Format == "json" {
		if err := writeJSON(a, out); err != nil {
			return err
		}
	} else if out.Path != nil {
		fmt.Fprintln(a.stdout, *out.Path)
	}
	rev := c.Revision
	if rev == "" {
		rev = "main"
	}
	what := fmt.Sprintf("%s %s: %s at %s", c.Type, c.RepoID, c.Filename, rev)
	switch res.Status {
	case cache.LookupNoExist:
		return &cliError{code: exitNoExist, msg: what + ": does not exist (the Hub said so; cached in .no_exist)"}
	case cache.LookupNotCached:
		return &cliError{code: exitNotCached, msg: what + ": not cached"}
	}
	return nil
}

// cacheDir is the hub cache as huggingface_hub names it (HF_HUB_CACHE or
// --cache-dir, "~" expanded), made absolute but, as the library does, not
// resolved: the path printed is the one the library returns.
func (c *lookupCmd) cacheDir(a *app) (string, error) {
	dir := cache.DefaultDir(a.lookup)
	if a.CacheDir != "" {
		dir = cache.ExpandUser(a.CacheDir, a.lookup)
	}
	if filepath.IsAbs(dir) {
		return dir, nil
	}
	cwd, err := os.Getwd()
	if err != nil {
		return "", failf("pass --cache-dir with an absolute path", "cannot make %q absolute: %w", dir, err)
	}
	return filepath.Join(cwd, dir), nil
}
