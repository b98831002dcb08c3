package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"

	"github.com/hfidx/hfidx/cache"
	"github.com/hfidx/hfidx/query"
)

// pendingDelete is what a running delete still has to remove once its
// snapshots are gone: the blobs of its plan. A delete killed between
// removing a snapshot and removing the blobs only that snapshot linked
// leaves those blobs unreachable by any target (their revision is gone),
// so it records them first, beside the index (never in the cache), and the
// next real delete finishes the job. Refs, snapshots and whole repos need
// no record: a ref goes before its snapshot, a half-removed snapshot is
// still a revision a target names, and a repo renamed aside is finished by
// the executor itself.
type pendingDelete struct {
	CacheDir string   `json:"cache_dir"`
	Blobs    []string `json:"blobs"`
}

func pendingPath(dbPath string) string { return dbPath + ".pending-delete.json" }

// recordPending writes the record of a delete about to run, durably
// (written aside, synced, renamed into place). It returns a function that
// removes the record, to call once the delete succeeded.
func recordPending(dbPath, root string, blobs []string) (done func(), err error) {
	p := pendingPath(dbPath)
	b, err := json.Marshal(pendingDelete{CacheDir: root, Blobs: nonNil(blobs)})
	if err != nil {
		return nil, err
	}
	if err := cache.WriteFileAtomic(p, p+".tmp-"+strconv.Itoa(os.Getpid()), b, 0o644); err != nil {
		return nil, fmt.Errorf("record the delete in %s: %w", p, err)
	}
	return func() { os.Remove(p) }, nil
}

// finishInterrupted finishes, before a real delete or prune plans anything,
// what an interrupted one left of the cache in use (see finishPending).
func finishInterrupted(a *app) error {
	root, dbPath, err := a.indexPath()
	if err != nil {
		return err
	}
	return finishPending(a, root, dbPath)
}

// finishPending finishes what an interrupted delete of this cache left:
// the blobs its record names (each re-checked by the executor just before
// it goes, so a blob some snapshot links again is kept) and any repo
// folder it had renamed aside. It prints what it removed on stderr and
// returns an error only when that removal fails.
func finishPending(a *app, root, dbPath string) error {
	var pd pendingDelete
	mine := false
	b, err := os.ReadFile(pendingPath(dbPath))
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return failf("remove "+pendingPath(dbPath)+" to forget the interrupted delete", "read the record of an interrupted delete: %v", err)
	default:
		// A record of another cache (the same --db used for two caches)
		// is left alone; an unreadable one is dropped.
		if json.Unmarshal(b, &pd) != nil {
			pd, mine = pendingDelete{}, true
		} else if mine = pd.CacheDir == root; !mine {
			pd = pendingDelete{}
		}
	}
	d := &cache.Deletion{Root: root, Blobs: pd.Blobs}
	res, err := d.Execute()
	if err != nil {
		return failf("fix the cause and run the command again", "finish an interrupted delete: %v", err)
	}
	if len(pd.Blobs) > 0 {
		var freed int64
		for _, r := range res.Removed {
			freed += r.Size
		}
		fmt.Fprintf(a.stderr, "Finished an interrupted delete: removed %d blob(s), freed %s; kept %d a snapshot links again.\n",
			len(res.Removed), query.FormatSize(freed), len(res.Kept))
	}
	if len(res.Skipped) == 0 && mine {
		os.Remove(pendingPath(dbPath))
	}
	return nil
}

// indexPath returns the cache root and the index path of the command.
func (a *app) indexPath() (root, dbPath string, err error) {
	root, err = a.cacheDir()
	if err != nil {
		return "", "", err
	}
	dbPath, err = a.dbPath(root)
	if err != nil {
		return "", "", err
	}
	return root, filepath.Clean(dbPath), nil
}
