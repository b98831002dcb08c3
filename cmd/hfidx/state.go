package main

import (
	"fmt"
	"path/filepath"

	"github.com/hfidx/hfidx/cache"
	"github.com/hfidx/hfidx/index"
	"github.com/hfidx/hfidx/proc"
	"github.com/hfidx/hfidx/state"
)

// statePath returns the durable state file: --state, $HFIDX_STATE, else
// state.DefaultPath.
func (a *app) statePath() (string, error) {
	if a.State != "" {
		p, err := filepath.Abs(cache.ExpandUser(a.State, a.lookup))
		if err != nil {
			return "", failf("pass --state PATH", "bad state path %s: %w", a.State, err)
		}
		return p, nil
	}
	p, err := state.DefaultPath(a.lookup)
	if err != nil {
		return "", failf("pass --state PATH (or set HFIDX_STATE)", "%w", err)
	}
	return p, nil
}

// openState opens the durable state, creating it when missing.
func (a *app) openState() (*state.Store, error) {
	p, err := a.statePath()
	if err != nil {
		return nil, err
	}
	st, err := state.Open(p)
	if err != nil {
		return nil, failf("pass --state PATH (or set HFIDX_STATE) to a writable state file of hfidx", "open the state %s: %w", p, err)
	}
	return st, nil
}

// refreshUsage copies the state's last-use records of the cache into the
// index after a sync, when they changed, and forgets the records of files
// the cache no longer holds. A state that cannot be read is a warning: the
// index then answers with access times alone.
func (a *app) refreshUsage(root, dbPath string) {
	st, err := a.openState()
	if err != nil {
		fmt.Fprintf(a.stderr, "Warning: last-use records not used: %v\n", errText(err))
		return
	}
	defer st.Close()
	changes, err := st.Changes(root)
	if err == nil {
		var gone []string
		_, gone, err = index.RefreshUsage(root, dbPath, index.UsageCopy{Changes: changes, AtimeMode: atimeMode(root),
			Uses: func() ([]index.Use, error) {
				uses, err := st.Uses(root)
				out := make([]index.Use, len(uses))
				for i, u := range uses {
					out[i] = index.Use{Path: u.Path, UsedAt: u.UsedAt, Source: u.Source, Detail: u.Detail}
				}
				return out, err
			}})
		if err == nil && len(gone) > 0 {
			drop := map[string]bool{}
			for _, g := range gone {
				drop[g] = true
			}
			_, err = st.Forget(root, func(p string) bool { return !drop[p] })
		}
	}
	if err != nil {
		fmt.Fprintf(a.stderr, "Warning: last-use records not copied into the index: %v\n", errText(err))
	}
}

// atimeMode returns the atime behaviour of the mount holding root
// ("relatime", "noatime,lazytime", …), "" when unknown.
func atimeMode(root string) string {
	m, err := proc.MountOf(root)
	if err != nil {
		return ""
	}
	return m.Atime().String()
}
