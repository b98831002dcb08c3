package main

import (
	"fmt"
	"path/filepath"
	"time"

	"github.com/hfidx/hfidx/cache"
	"github.com/hfidx/hfidx/index"
	"github.com/hfidx/hfidx/proc"
	"github.com/hfidx/hfidx/schema"
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

// afterSync brings what the durable state keeps about the cache up to
// date with the index a sync just wrote: the last-use records copied in
// (refreshUsage) and a history snapshot (writeHistory). A state that
// cannot be opened is one warning: the index then answers with access
// times alone and no history is recorded.
func (a *app) afterSync(root, dbPath string, stats index.Stats) {
	st, err := a.openState()
	if err != nil {
		fmt.Fprintf(a.stderr, "Warning: last-use records and history not used: %v\n", errText(err))
		return
	}
	defer st.Close()
	a.refreshUsage(st, root, dbPath)
	if err := writeHistory(st, root, dbPath, stats, time.Now()); err != nil {
		fmt.Fprintf(a.stderr, "Warning: history not recorded: %v\n", errText(err))
	}
}

// refreshUsage copies the state's last-use records of the cache into the
// index, when they changed, and forgets the records of files the cache no
// longer holds.
func (a *app) refreshUsage(st *state.Store, root, dbPath string) {
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

// writeHistory reads the cache's totals and repos from the index at
// dbPath and records them in st as taken at now.
func writeHistory(st *state.Store, root, dbPath string, stats index.Stats, now time.Time) error {
	db, err := schema.OpenReadOnly(dbPath)
	if err != nil {
		return fmt.Errorf("open the index: %w", err)
	}
	defer db.Close()
	var fp string
	if err := db.Get(&fp, `SELECT (SELECT count(*) FROM repos) || ',' || (SELECT count(*) FROM revisions) || ',' ||
		(SELECT count(*) FROM files) || ',' || (SELECT count(*) FROM blobs) || ',' ||
		(SELECT coalesce(sum(size), 0) FROM blobs) || ',' || (SELECT coalesce(sum(usage), 0) FROM blobs)`); err != nil {
		return fmt.Errorf("read the index: %w", err)
	}
	last, ok, err := st.LastSnapshot(root)
	if err != nil {
		return fmt.Errorf("read the history: %w", err)
	}
	if ok && stats.Rescanned == 0 && stats.Removed == 0 && last.Fingerprint == fp {
		return nil
	}
	var tot state.Totals
	if err := db.Get(&tot, `SELECT size_on_disk, usage, repos, revisions, files FROM cache_usage`); err != nil {
		return fmt.Errorf("read the index: %w", err)
	}
	var rows []struct {
		Repo  string `db:"cache_id"`
		Size  int64  `db:"size_on_disk"`
		Usage int64  `db:"usage"`
		Revs  int    `db:"nb_revisions"`
		Files int    `db:"nb_files"`
	}
	if err := db.Select(&rows, `SELECT cache_id, size_on_disk, usage, nb_revisions, nb_files FROM repo_usage ORDER BY cache_id`); err != nil {
		return fmt.Errorf("read the index: %w", err)
	}
	var revs []struct {
		Repo string `db:"cache_id"`
		Hash string `db:"commit_hash"`
	}
	if err := db.Select(&revs, `SELECT r.cache_id, v.commit_hash FROM revisions v JOIN repos r ON r.id = v.repo`); err != nil {
		return fmt.Errorf("read the index: %w", err)
	}
	hashes := map[string][]string{}
	for _, r := range revs {
		hashes[r.Repo] = append(hashes[r.Repo], r.Hash)
	}
	repos := make([]state.RepoPoint, len(rows))
	for i, r := range rows {
		repos[i] = state.RepoPoint{Repo: r.Repo, Size: r.Size, Usage: r.Usage, Revisions: r.Revs, Files: r.Files, Hashes: hashes[r.Repo]}
	}
	if _, err := st.RecordHistory(root, float64(now.UnixNano())/1e9, fp, tot, repos); err != nil {
		return fmt.Errorf("write the history: %w", err)
	}
	return nil
}
