package main

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/hfidx/hfidx/cache"
	"github.com/hfidx/hfidx/internal/flock"
	"github.com/hfidx/hfidx/query"
)

// pendingDelete is what a running delete still has to remove that no later
// plan could find again: the blobs of its plan (a delete killed between
// removing a snapshot and removing the blobs only that snapshot linked
// leaves them unreachable by any target, their revision gone) and the
// store payloads its sweep will decide about (killed after removing a repo
// or its blob links, nothing in the index leads to them any more). It is
// written before the executor runs, beside the index (never in the cache),
// one record per run in the folder <index>.pending, named after the cache,
// and the next real delete or prune of that cache finishes the job. Refs,
// snapshots and whole repos need no record: a ref goes before its
// snapshot, a half-removed snapshot is still a revision a target names,
// and a repo renamed aside is finished by the executor itself. A running
// delete holds the flock of its record, so that another one finishes only
// records whose writer is gone.
type pendingDelete struct {
	CacheDir string   `json:"cache_dir"`
	Blobs    []string `json:"blobs"`
	Payloads []string `json:"payloads"`
}

// pendingDir is the folder of the records of the deletes running, or
// killed, with the index at dbPath: one index may serve several caches in
// turn (sync --rebuild), and each cache keeps its own records.
func pendingDir(dbPath string) string { return dbPath + ".pending" }

// pendingKey starts the names of the records of the cache at root.
func pendingKey(root string) string {
	sum := sha256.Sum256([]byte(root))
	return hex.EncodeToString(sum[:8]) + "-"
}

// legacyPendingPath is the single record earlier versions kept for every
// cache of an index; it is still finished when it is of the cache in use.
func legacyPendingPath(dbPath string) string { return dbPath + ".pending-delete.json" }

// recordPending writes the record of the deletion d (its paths set) about
// to run with the index at dbPath, durably (written aside, synced, renamed
// into place) and locked. It returns the function to call once d has run:
// it removes the record when d succeeded (a failed run keeps it for the
// next one) and releases the lock.
func recordPending(dbPath string, d *cache.Deletion) (done func(bool), err error) {
	b, err := json.Marshal(pendingDelete{CacheDir: d.Root, Blobs: nonNil(d.Blobs), Payloads: nonNil(d.SweepPayloads())})
	if err != nil {
		return nil, err
	}
	dir := pendingDir(dbPath)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("record the delete in %s: %w", dir, err)
	}
	var rnd [4]byte
	rand.Read(rnd[:])
	name := pendingKey(d.Root) + strconv.Itoa(os.Getpid()) + "-" + hex.EncodeToString(rnd[:]) + ".json"
	path, tmp := filepath.Join(dir, name), filepath.Join(dir, ".tmp-"+name)
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL|oNoFollow, 0o644)
	if err != nil {
		return nil, fmt.Errorf("record the delete in %s: %w", dir, err)
	}
	// Locked before it has its name: no other run can take it for the
	// record of a killed one. The lock follows the file through the rename.
	err = flock.Lock(f, true)
	if err == nil {
		_, err = f.Write(b)
	}
	if err == nil {
		err = f.Sync()
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		f.Close()
		os.Remove(tmp)
		return nil, fmt.Errorf("record the delete in %s: %w", dir, err)
	}
	return func(ok bool) {
		if ok {
			os.Remove(path)
		}
		f.Close()
	}, nil
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

// heldRecord is a record of a killed delete, locked while it is finished.
type heldRecord struct {
	path string
	f    *os.File // nil for the legacy record, which has no lock
	rec  pendingDelete
}

// takeRecords locks and reads the records of the cache at root whose
// writer is gone; a record a running delete holds is left to it. It
// removes what killed writers left half-written.
func takeRecords(root, dbPath string) ([]heldRecord, error) {
	var out []heldRecord
	dir := pendingDir(dbPath)
	des, err := os.ReadDir(dir)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	key := pendingKey(root)
	for _, e := range des {
		name := e.Name()
		tmp := strings.HasPrefix(name, ".tmp-"+key)
		if !e.Type().IsRegular() || !(tmp || strings.HasPrefix(name, key)) {
			continue
		}
		p := filepath.Join(dir, name)
		f, err := os.OpenFile(p, os.O_RDONLY|oNoFollow, 0)
		if err != nil {
			continue // gone meanwhile: finished by another run
		}
		if err := flock.Lock(f, false); err != nil {
			f.Close()
			if errors.Is(err, flock.ErrHeld) {
				continue // its delete is still running
			}
			return nil, fmt.Errorf("lock %s: %w", p, err)
		}
		if tmp {
			os.Remove(p)
			f.Close()
			continue
		}
		h := heldRecord{path: p, f: f}
		b, err := io.ReadAll(f)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("read %s: %w", p, err)
		}
		if json.Unmarshal(b, &h.rec) != nil {
			h.rec = pendingDelete{} // unreadable: dropped with the others
		} else if h.rec.CacheDir != root {
			f.Close() // of another cache whose key is the same: left alone
			continue
		}
		out = append(out, h)
	}
	// The record of earlier versions: only when it is of this cache.
	b, err := os.ReadFile(legacyPendingPath(dbPath))
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return nil, err
	default:
		var rec pendingDelete
		if json.Unmarshal(b, &rec) == nil && rec.CacheDir == root {
			out = append(out, heldRecord{path: legacyPendingPath(dbPath), rec: rec})
		}
	}
	return out, nil
}

// finishPending finishes what interrupted deletes of this cache left: the
// blobs their records name (each re-checked by the executor just before
// it goes, so a blob some snapshot links again is kept), the store
// payloads they were to sweep (each decided again by the sweep), and any
// repo folder renamed aside. It prints what it removed on stderr, drops
// the records once done, and returns an error only when a removal fails.
func finishPending(a *app, root, dbPath string) error {
	recs, err := takeRecords(root, dbPath)
	if err != nil {
		return failf("remove "+pendingDir(dbPath)+" to forget the interrupted deletes", "read the records of interrupted deletes: %w", err)
	}
	defer func() {
		for _, h := range recs {
			if h.f != nil {
				h.f.Close()
			}
		}
	}()
	blobs, payloads := map[string]bool{}, map[string]bool{}
	for _, h := range recs {
		for _, b := range h.rec.Blobs {
			blobs[b] = true
		}
		for _, p := range h.rec.Payloads {
			payloads[p] = true
		}
	}
	d := &cache.Deletion{Root: root, Blobs: sortedKeys(blobs), Payloads: sortedKeys(payloads)}
	res, err := d.Execute()
	if err != nil {
		return failf("fix the cause and run the command again", "finish an interrupted delete: %w", err)
	}
	if len(blobs)+len(payloads) > 0 {
		var freed int64
		nb, np := 0, 0
		for _, r := range res.Removed {
			freed += r.Size
			if r.Kind == "payload" {
				np++
			} else {
				nb++
			}
		}
		fmt.Fprintf(a.stderr, "Finished an interrupted delete: removed %d blob(s) and %d shared payload(s), freed %s; kept %d a snapshot links again.\n",
			nb, np, query.FormatSize(freed), len(res.Kept))
	}
	if len(res.Skipped) == 0 {
		// Unreadable records are dropped with the finished ones.
		for _, h := range recs {
			os.Remove(h.path)
		}
	}
	return nil
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
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
