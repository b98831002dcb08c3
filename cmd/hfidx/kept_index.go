package main

import (
	"errors"
	"io/fs"
	"os"

	"golang.org/x/term"

	"github.com/hfidx/hfidx/schema"
)

// keptIndex returns the hub cache and the path of its index, for commands
// that keep rows of their own in the index (verify's digests, the assets
// listing). The index is synced first only when it does not exist yet or
// comes from an older hfidx; those rows do not depend on the rest of it.
func (a *app) keptIndex() (root, path string, err error) {
	root, err = a.cacheDir()
	if err != nil {
		return "", "", err
	}
	path, err = a.dbPath(root)
	if err != nil {
		return "", "", err
	}
	db, err := schema.OpenWritable(path)
	var older *schema.OlderError
	switch {
	case err == nil:
		db.Close()
		return root, path, nil
	case errors.Is(err, fs.ErrNotExist), errors.As(err, &older):
		if _, _, _, err := a.sync(); err != nil {
			return "", "", err
		}
		return root, path, nil
	}
	return "", "", indexFailure(path, err)
}

// stderrIsTTY reports whether stderr is a terminal, where progress may be
// shown.
func (a *app) stderrIsTTY() bool {
	f, ok := a.stderr.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
