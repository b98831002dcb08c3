package cache

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"
)

// DeletingPrefix starts the name a repo folder is renamed to while hfidx
// removes it, so that it disappears from the cache at once. Scan ignores
// such entries and Execute finishes removing them.
const DeletingPrefix = ".hfidx-deleting-"

// Deletion is a plan to execute: absolute paths inside Root, grouped by
// kind. Execute checks every path before touching anything.
type Deletion struct {
	Root      string
	Repos     []string // repo folders removed whole
	Snapshots []string // <repo>/snapshots/<commit>
	Refs      []string // <repo>/refs/<name>
	Blobs     []string // <repo>/blobs/<etag>
	// Files are snapshot entries removed one by one (file-level delete):
	// <repo>/snapshots/<commit>/<path>.
	Files []string
	// Incomplete are interrupted downloads, <repo>/blobs/<name>.incomplete.
	Incomplete []string
	// Leftovers are what earlier deletions left (prune):
	// <repo>/.no_exist/<commit>, <repo>/trees/<commit>.json, empty folders
	// and stale *.tmp files under <repo>/refs, and .locks/<folder> of a
	// folder no longer in the cache.
	Leftovers []string
	// Payloads are shared-store payloads to sweep besides those the
	// removed repo entries lead to: <root>/blobs/<xx>/<hash>.
	Payloads []string
	// Wait makes Execute wait for download locks held by other processes
	// instead of skipping their repos.
	Wait bool
	// Before, when set, is called before each removal (tests inject
	// faults with it); an error stops the execution there.
	Before func(kind, path string) error

	store  bool            // Root/blobs is a marked store
	sweeps map[string]bool // payloads to sweep once everything else is done
}

// Removal is one path Execute removed.
type Removal struct {
	Kind string `json:"kind"` // repo, snapshot, ref or blob
	Path string `json:"path"`
	Size int64  `json:"size"` // apparent bytes of a removed regular blob file, 0 otherwise
}

// Skip is a repo Execute left alone, with the reason.
type Skip struct {
	Folder string `json:"folder"`
	Reason string `json:"reason"`
}

// DeleteResult is what Execute did.
type DeleteResult struct {
	Removed []Removal `json:"removed"`
	Missing []string  `json:"missing"` // planned paths already gone
	Kept    []string  `json:"kept"`    // planned blobs a snapshot links again, kept
	Skipped []Skip    `json:"skipped"`
	// KeptPayloads are store payloads a sweep left in place, with why:
	// still referenced, no readable manifest, lock held, ...
	KeptPayloads []KeptPayload `json:"kept_payloads"`
	// KeptLeftovers are leftovers left in place, with why.
	KeptLeftovers []KeptPayload `json:"kept_leftovers"`
}

// KeptPayload is a path Execute examined and left in place, with why.
type KeptPayload struct {
	Path   string `json:"path"`
	Reason string `json:"reason"`
}

// PathError is a planned path Execute refuses: outside the cache, not of
// the expected shape, or reached through a symlink.
type PathError struct {
	Path   string
	Reason string
}

func (e *PathError) Error() string { return fmt.Sprintf("refusing to delete %s: %s", e.Path, e.Reason) }

type item struct {
	kind  string
	path  string
	parts []string // components under Root
}

// shapes lists, per kind, the components under Root a path must have and
// the name of the folder holding it.
var shapes = map[string]struct {
	min, max int
	folder   string
}{
	"repo":       {1, 1, ""},
	"snapshot":   {3, 3, "snapshots"},
	"ref":        {3, 64, "refs"},
	"blob":       {3, 3, "blobs"},
	"file":       {4, 4096, "snapshots"},
	"incomplete": {3, 3, "blobs"},
	"leftover":   {3, 4096, ""},
}

func (d *Deletion) items() ([]item, error) {
	var out []item
	add := func(kind string, paths []string) error {
		for _, p := range paths {
			if !filepath.IsAbs(p) || filepath.Clean(p) != p {
				return &PathError{p, "not a clean absolute path"}
			}
			rel, err := filepath.Rel(d.Root, p)
			if err != nil || rel == "." || strings.HasPrefix(rel, "..") {
				return &PathError{p, "outside the cache " + d.Root}
			}
			parts := strings.Split(rel, string(filepath.Separator))
			sh := shapes[kind]
			if len(parts) < sh.min || len(parts) > sh.max || (sh.folder != "" && parts[1] != sh.folder) {
				return &PathError{p, "not a " + kind + " path"}
			}
			if _, _, err := ParseFolderName(parts[0]); err != nil {
				return &PathError{p, "not inside a repo folder"}
			}
			if err := checkShape(kind, parts); err != nil {
				return &PathError{p, err.Error()}
			}
			out = append(out, item{kind, p, parts})
		}
		return nil
	}
	for _, g := range []struct {
		kind  string
		paths []string
	}{{"ref", d.Refs}, {"snapshot", d.Snapshots}, {"file", d.Files}, {"blob", d.Blobs}, {"incomplete", d.Incomplete},
		{"leftover", repoLeftovers(d.Root, d.Leftovers)}, {"repo", d.Repos}} {
		if err := add(g.kind, g.paths); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Execute removes the planned paths, repo by repo, in an order that keeps
// the cache consistent at every instant: refs, then snapshots, then blobs
// (re-checked just before: a blob some remaining snapshot links again is
// kept), then whole repos, each renamed aside first so that it disappears
// at once. It never follows a symlink: a link is removed as a link. A repo
// whose huggingface_hub download lock another process holds is skipped
// (or waited for, with Wait). A path already gone is recorded in Missing;
// any other error stops Execute, and the result says what was done.
func (d *Deletion) Execute() (DeleteResult, error) {
	res := DeleteResult{Removed: []Removal{}, Missing: []string{}, Kept: []string{}, Skipped: []Skip{},
		KeptPayloads: []KeptPayload{}, KeptLeftovers: []KeptPayload{}}
	items, err := d.items()
	if err != nil {
		return res, err
	}
	locks, err := lockLeftovers(d.Root, d.Leftovers)
	if err != nil {
		return res, err
	}
	for _, p := range d.Payloads {
		if !isStorePayload(d.Root, p) {
			return res, &PathError{p, "not a payload of the shared blob store"}
		}
	}
	d.store = IsStore(d.Root)
	d.sweeps = map[string]bool{}
	for _, p := range d.Payloads {
		d.sweeps[p] = true
	}
	if err := d.finishAside(); err != nil {
		return res, err
	}
	byRepo := map[string][]item{}
	var folders []string
	for _, it := range items {
		f := it.parts[0]
		if _, ok := byRepo[f]; !ok {
			folders = append(folders, f)
		}
		byRepo[f] = append(byRepo[f], it)
	}
	sort.Strings(folders)
	for _, f := range folders {
		unlock, held, err := d.lockRepo(f)
		if err != nil {
			return res, err
		}
		if held != "" {
			res.Skipped = append(res.Skipped, Skip{Folder: f, Reason: "download lock held by another process: " + held})
			continue
		}
		err = d.repo(f, byRepo[f], &res)
		unlock()
		if err != nil {
			return res, err
		}
	}
	if err := d.sweepAll(&res); err != nil {
		return res, err
	}
	for _, l := range locks {
		if err := d.removeLocks(l, &res); err != nil {
			return res, err
		}
	}
	return res, nil
}

// finishAside removes what an interrupted Execute renamed aside.
func (d *Deletion) finishAside() error {
	return eachEntry(d.Root, func(e fs.DirEntry) error {
		if strings.HasPrefix(e.Name(), DeletingPrefix) {
			if err := os.RemoveAll(filepath.Join(d.Root, e.Name())); err != nil {
				return fmt.Errorf("finish an interrupted delete: %w", err)
			}
		}
		return nil
	})
}

// lockRepo takes huggingface_hub's download locks of the repo
// (`.locks/<folder>/*.lock`, flock) that exist; it creates none. It
// returns the name of a lock another process holds, if any.
func (d *Deletion) lockRepo(folder string) (unlock func(), held string, err error) {
	return lockDir(filepath.Join(d.Root, ".locks", folder), d.Wait)
}

// lockDir takes the flock of every `*.lock` file in dir (waiting for each
// with wait) and returns the name of one another process holds, if any.
func lockDir(dir string, wait bool) (unlock func(), held string, err error) {
	var files []*os.File
	unlock = func() {
		for _, f := range files {
			syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
			f.Close()
		}
	}
	if fi, err := os.Lstat(dir); err != nil || !fi.IsDir() {
		return unlock, "", nil
	}
	des, err := os.ReadDir(dir)
	if err != nil {
		return unlock, "", nil
	}
	for _, e := range des {
		if !e.Type().IsRegular() || !strings.HasSuffix(e.Name(), ".lock") {
			continue
		}
		f, err := os.OpenFile(filepath.Join(dir, e.Name()), os.O_RDONLY|syscall.O_NOFOLLOW, 0)
		if err != nil {
			continue
		}
		how := syscall.LOCK_EX | syscall.LOCK_NB
		if wait {
			how = syscall.LOCK_EX
		}
		if err := syscall.Flock(int(f.Fd()), how); err != nil {
			f.Close()
			if errors.Is(err, syscall.EWOULDBLOCK) {
				unlock()
				return func() {}, e.Name(), nil
			}
			continue
		}
		files = append(files, f)
	}
	return unlock, "", nil
}

// realDir reports whether each folder from Root down to (not including) the
// last component of parts is a real directory, not a symlink.
func (d *Deletion) realDirs(parts []string) error {
	p := d.Root
	for _, c := range parts[:len(parts)-1] {
		p = filepath.Join(p, c)
		fi, err := os.Lstat(p)
		if err != nil {
			return err
		}
		if !fi.IsDir() {
			return &PathError{p, "a parent is not a real directory (a symlink or a file)"}
		}
	}
	return nil
}

func (d *Deletion) repo(folder string, items []item, res *DeleteResult) error {
	var blobs, repos, later []item
	for _, it := range items {
		switch it.kind {
		case "blob":
			blobs = append(blobs, it)
			continue
		case "repo":
			repos = append(repos, it)
			continue
		case "incomplete", "leftover":
			later = append(later, it)
			continue
		}
		if err := d.remove(it, res); err != nil {
			return err
		}
	}
	if len(blobs) > 0 {
		// Re-check just before each unlink: a snapshot written since the
		// plan may link a planned blob again.
		links := &linkCheck{root: d.Root, folder: folder}
		for _, it := range blobs {
			if links.linked(it.path) {
				res.Kept = append(res.Kept, it.path)
				continue
			}
			if err := d.remove(it, res); err != nil {
				return err
			}
		}
	}
	// Then leftovers and interrupted downloads; whole repos go last, after
	// any of their own entries a plan names.
	for _, group := range [][]item{later, repos} {
		for _, it := range group {
			if err := d.remove(it, res); err != nil {
				return err
			}
		}
	}
	return nil
}

// linkCheck tells whether a snapshot of a repo links a blob entry, right
// now. It lists the repo's snapshots again only when one of their folders
// changed since it last did (its modification and status-change times
// moved, or changed too recently for their times to tell): a link created
// since is always seen, and the check before each unlink costs a stat per
// snapshot folder, not a walk of every snapshot.
type linkCheck struct {
	root, folder string
	set          map[string]bool
	snaps        State // the snapshot folders listed (Dirs, DirSum), as listed
}

// linkRacy is how recent a folder's change may be for its times to be
// trusted between two checks: more than a tick of the kernel's clock.
const linkRacy = 50 * time.Millisecond

func (c *linkCheck) scan() {
	s := &scanner{root: c.root, racy: linkRacy}
	rs := s.scanRepo(c.folder, filepath.Join(c.root, c.folder), "", "")
	c.set = map[string]bool{}
	var dirs []DirStamp
	for _, v := range rs.r.Revisions {
		for _, f := range v.Files {
			if f.Blob >= 0 {
				c.set[rs.r.Blobs[f.Blob].Path] = true
			}
		}
	}
	for _, d := range rs.dirs {
		if d.Rel == "snapshots" || strings.HasPrefix(d.Rel, "snapshots"+string(filepath.Separator)) {
			dirs = append(dirs, d)
		}
	}
	c.snaps = stateOf(dirs, nil, nil, 0, nil, 0)
}

// stale reports whether the snapshots may have changed since scan.
func (c *linkCheck) stale() bool {
	if c.set == nil {
		return true
	}
	dir, err := openDirHandle(filepath.Join(c.root, c.folder))
	if err != nil {
		return true
	}
	defer dir.close()
	// A new revision folder is an entry of snapshots/, whose times are
	// among those compared.
	_, same := foldersUnchanged(dir, &c.snaps)
	return !same
}

func (c *linkCheck) linked(blob string) bool {
	if c.stale() {
		c.scan()
	}
	return c.set[blob]
}

func (d *Deletion) remove(it item, res *DeleteResult) error {
	if err := d.realDirs(it.parts); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			res.Missing = append(res.Missing, it.path)
			return nil
		}
		return err
	}
	fi, err := os.Lstat(it.path)
	if errors.Is(err, fs.ErrNotExist) {
		res.Missing = append(res.Missing, it.path)
		return nil
	}
	if err != nil {
		return err
	}
	if d.Before != nil {
		if err := d.Before(it.kind, it.path); err != nil {
			return err
		}
	}
	isLink := fi.Mode()&fs.ModeSymlink != 0
	var size int64
	switch {
	case it.kind == "leftover":
		var kept string
		if kept, err = removeLeftover(it, fi); kept != "" {
			res.KeptLeftovers = append(res.KeptLeftovers, KeptPayload{it.path, kept})
			return nil
		}
	case isLink:
		if it.kind == "blob" {
			// The sweep decides about the payload once every link is gone.
			if p := d.storeTarget(it.path); p != "" {
				d.sweeps[p] = true
			}
		}
		err = os.Remove(it.path)
	case it.kind == "ref" || it.kind == "blob" || it.kind == "file" || it.kind == "incomplete":
		if fi.IsDir() {
			return &PathError{it.path, "a directory where a file was planned"}
		}
		if fi.Mode().IsRegular() && it.kind != "ref" {
			size = fi.Size()
		}
		err = os.Remove(it.path)
	case it.kind == "snapshot":
		err = os.RemoveAll(it.path)
	case it.kind == "repo":
		// Every entry of its blobs/ that links into the store, used or
		// not, is swept afterwards, as huggingface_hub does.
		for _, p := range d.storeTargets(it.path) {
			d.sweeps[p] = true
		}
		// Renamed aside first: the repo disappears at once, and an
		// interruption leaves a folder the next run finishes.
		// A short name: the folder's own name may be near the 255-byte limit.
		sum := sha256.Sum256([]byte(it.parts[0]))
		aside := filepath.Join(d.Root, DeletingPrefix+hex.EncodeToString(sum[:8]))
		if err = os.Rename(it.path, aside); err == nil {
			err = os.RemoveAll(aside)
		}
	}
	if err != nil {
		return fmt.Errorf("delete %s %s: %w", it.kind, it.path, err)
	}
	res.Removed = append(res.Removed, Removal{Kind: it.kind, Path: it.path, Size: size})
	return nil
}

// Leftovers lists what a deletion leaves behind, as huggingface_hub does,
// for a later prune: the `.no_exist/<commit>` and `trees/<commit>.json` of
// removed snapshots, ref folders the removed refs leave empty, and the
// `.locks/<folder>` of removed repos. Only paths that exist are listed.
func Leftovers(root string, snapshots, refs, repos []string) []string {
	var out []string
	exists := func(p string) bool { _, err := os.Lstat(p); return err == nil }
	for _, s := range snapshots {
		repo := filepath.Dir(filepath.Dir(s))
		commit := filepath.Base(s)
		for _, p := range []string{filepath.Join(repo, ".no_exist", commit), filepath.Join(repo, "trees", commit+".json")} {
			if exists(p) {
				out = append(out, p)
			}
		}
	}
	gone := map[string]bool{}
	for _, r := range refs {
		gone[r] = true
	}
	dirs := map[string]bool{}
	for _, r := range refs {
		dir := filepath.Dir(r)
		refsDir := ""
		if rel, err := filepath.Rel(root, r); err == nil {
			folder, _, _ := strings.Cut(rel, string(filepath.Separator))
			refsDir = filepath.Join(root, folder, "refs")
		}
		for dir != refsDir && len(dir) > len(refsDir) && !dirs[dir] {
			des, err := os.ReadDir(dir)
			if err != nil {
				break
			}
			empty := true
			for _, e := range des {
				p := filepath.Join(dir, e.Name())
				if !gone[p] {
					empty = false
				}
			}
			if !empty {
				break
			}
			dirs[dir], gone[dir] = true, true
			out = append(out, dir)
			dir = filepath.Dir(dir)
		}
	}
	for _, r := range repos {
		if p := filepath.Join(root, ".locks", filepath.Base(r)); exists(p) {
			out = append(out, p)
		}
	}
	sort.Strings(out)
	return out
}
