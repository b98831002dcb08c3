package cache

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/hfidx/hfidx/internal/flock"
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
	// Recheck are blobs the plan keeps because revisions it leaves link
	// them; each goes too if, when its turn comes, no snapshot links it
	// (another delete running beside this one removed those revisions),
	// so two concurrent deletes leave what one delete of both would.
	// Kept or already gone, they are not reported.
	Recheck []string
	// Wait makes Execute wait for download locks held by other processes
	// instead of skipping their repos.
	Wait bool
	// Before, when set, is called before each removal (tests inject
	// faults with it); an error stops the execution there.
	Before func(kind, path string) error
	// InUse, when set, is asked just before each blob file and store
	// payload is unlinked whether a live process holds that file (device
	// and inode of what is about to go); a non-empty answer ("in use by
	// 4711 (python serve.py)") keeps it, in KeptInUse.
	InUse func(dev, ino uint64) string

	store  bool            // Root/blobs is a marked store
	sweeps map[string]bool // payloads to sweep once everything else is done
	top    *safeDir        // the root, which every removal descends from
	gone   []item          // snapshots removed, whose refs are read once more at the end
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
	// KeptSnapshots are planned snapshots a ref names again (a download
	// moved it meanwhile), kept with the ref's name.
	KeptSnapshots []KeptPayload `json:"kept_snapshots"`
	// RefsBroken are refs that came to name a snapshot while it was being
	// removed, after its last re-check: each now names a missing snapshot.
	RefsBroken []KeptPayload `json:"refs_broken"`
	// KeptPayloads are store payloads a sweep left in place, with why:
	// still referenced, no readable manifest, lock held, ...
	KeptPayloads []KeptPayload `json:"kept_payloads"`
	// KeptLeftovers are leftovers left in place, with why.
	KeptLeftovers []KeptPayload `json:"kept_leftovers"`
	// KeptInUse are blobs and payloads a live process held just before
	// they were to go, kept with who.
	KeptInUse []KeptPayload `json:"kept_in_use"`
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
	quiet bool     // a Recheck blob: kept or missing is not reported
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
	"recheck":    {3, 3, "blobs"},
	"file":       {4, 4096, "snapshots"},
	"incomplete": {3, 3, "blobs"},
	"leftover":   {3, 4096, ""},
}

func (d *Deletion) items() ([]item, error) {
	var out []item
	add := func(kind string, paths []string) error {
		for _, p := range paths {
			parts, ok := Under(d.Root, p)
			if !ok {
				return &PathError{p, "not a clean path inside the cache " + d.Root}
			}
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
			if kind == "recheck" {
				out = append(out, item{"blob", p, parts, true})
				continue
			}
			out = append(out, item{kind, p, parts, false})
		}
		return nil
	}
	for _, g := range []struct {
		kind  string
		paths []string
	}{{"ref", d.Refs}, {"snapshot", d.Snapshots}, {"file", d.Files}, {"blob", d.Blobs}, {"recheck", d.Recheck}, {"incomplete", d.Incomplete},
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
		KeptPayloads: []KeptPayload{}, KeptLeftovers: []KeptPayload{}, KeptSnapshots: []KeptPayload{}, RefsBroken: []KeptPayload{}, KeptInUse: []KeptPayload{}}
	items, err := d.items()
	if err != nil {
		return res, err
	}
	if d.top, err = openSafeRoot(d.Root); err != nil {
		return res, err
	}
	defer d.top.close()
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
	d.gone = nil
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
	// A ref rewritten after a snapshot's re-check, while it went (a
	// download finishing then): never left unsaid.
	for _, it := range d.gone {
		if ref := d.refNaming(it.parts[0], it.parts[2]); ref != "" {
			res.RefsBroken = append(res.RefsBroken, KeptPayload{it.path, ref + " came to name it while it was removed"})
		}
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
			if err := d.top.removeAny(e.Name()); err != nil {
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
	locks, err := d.top.sub(".locks")
	if err != nil {
		return func() {}, "", nil
	}
	defer locks.close()
	return lockIn(locks, folder, d.Wait)
}

// lockIn takes the flock of every `*.lock` file in the folder name of
// parent (waiting for each with wait) and returns the name of one another
// process holds, if any. A folder that is missing or not a real folder
// holds no lock.
func lockIn(parent *safeDir, name string, wait bool) (unlock func(), held string, err error) {
	var files []*os.File
	unlock = func() {
		for _, f := range files {
			flock.Unlock(f)
			f.Close()
		}
	}
	dir, err := parent.sub(name)
	if err != nil {
		return unlock, "", nil
	}
	defer dir.close()
	des, err := dir.names()
	if err != nil {
		return unlock, "", nil
	}
	for _, e := range des {
		if !e.Type().IsRegular() || !strings.HasSuffix(e.Name(), ".lock") {
			continue
		}
		f, err := dir.openFile(e.Name(), os.O_RDONLY|syscall.O_NONBLOCK, 0)
		if err != nil {
			continue
		}
		if err := flock.Lock(f, wait); err != nil {
			f.Close()
			if errors.Is(err, flock.ErrHeld) {
				unlock()
				return func() {}, e.Name(), nil
			}
			continue
		}
		files = append(files, f)
	}
	return unlock, "", nil
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
				if !it.quiet {
					res.Kept = append(res.Kept, it.path)
				}
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
	n := len(it.parts)
	parent, err := d.top.walk(it.parts[:n-1])
	if errors.Is(err, fs.ErrNotExist) {
		res.Missing = append(res.Missing, it.path)
		return nil
	}
	if errors.Is(err, errNotRealDir) {
		var pe *fs.PathError
		errors.As(err, &pe)
		return &PathError{it.path, pe.Path + " is not a real directory (a symlink or a file)"}
	}
	if err != nil {
		return err
	}
	defer parent.close()
	name := it.parts[n-1]
	st, err := parent.lstat(name)
	if errors.Is(err, fs.ErrNotExist) {
		if !it.quiet {
			res.Missing = append(res.Missing, it.path)
		}
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
	if it.kind == "snapshot" {
		if ref := d.refNaming(it.parts[0], name); ref != "" {
			res.KeptSnapshots = append(res.KeptSnapshots, KeptPayload{it.path, ref + " names it again"})
			return nil
		}
	}
	var size int64
	switch {
	case it.kind == "leftover":
		var kept string
		if kept, err = removeLeftover(parent, it, st); kept != "" {
			res.KeptLeftovers = append(res.KeptLeftovers, KeptPayload{it.path, kept})
			return nil
		}
	case st.isLink():
		if it.kind == "blob" && d.store {
			// The sweep decides about the payload once every link is gone.
			if t, err := parent.readlink(name); err == nil {
				if p := d.storePayload(filepath.Dir(it.path), t); p != "" {
					d.sweeps[p] = true
				}
			}
		}
		err = parent.unlink(name)
	case it.kind == "ref" || it.kind == "blob" || it.kind == "file" || it.kind == "incomplete":
		if st.isDir() {
			return &PathError{it.path, "a directory where a file was planned"}
		}
		if it.kind == "blob" && d.InUse != nil && st.mode.IsRegular() {
			if by := d.InUse(st.dev, st.ino); by != "" {
				res.KeptInUse = append(res.KeptInUse, KeptPayload{it.path, by})
				return nil
			}
		}
		if st.mode.IsRegular() && it.kind != "ref" {
			size = st.size
		}
		err = parent.unlink(name)
	case it.kind == "snapshot":
		if st.isDir() {
			err = parent.removeTree(name)
		} else {
			err = parent.unlink(name)
		}
		if err == nil {
			d.gone = append(d.gone, it)
		}
	case it.kind == "repo":
		err = d.removeRepo(parent, it, st)
	}
	if errors.Is(err, fs.ErrNotExist) {
		res.Missing = append(res.Missing, it.path)
		return nil
	}
	if err != nil {
		return fmt.Errorf("delete %s %s: %w", it.kind, it.path, err)
	}
	res.Removed = append(res.Removed, Removal{Kind: it.kind, Path: it.path, Size: size})
	return nil
}

// removeRepo removes the repo folder of it, an entry of the root
// (parent) whose lstat was st. Every entry of its blobs/ that links into
// the store, used or not, is swept afterwards, as huggingface_hub does.
// The folder is renamed aside first: the repo disappears at once, and an
// interruption leaves a folder the next run finishes.
func (d *Deletion) removeRepo(parent *safeDir, it item, st entryStat) error {
	folder := it.parts[0]
	if !st.isDir() {
		return parent.unlink(folder)
	}
	for _, p := range d.storeTargets(folder) {
		d.sweeps[p] = true
	}
	// A short name: the folder's own name may be near the 255-byte limit.
	sum := sha256.Sum256([]byte(folder))
	aside := DeletingPrefix + hex.EncodeToString(sum[:8])
	if err := parent.rename(folder, aside); err != nil {
		return err
	}
	err := parent.removeTree(aside)
	if errors.Is(err, errNotRealDir) {
		// Swapped for a link between the stat and the rename: the link
		// goes back where it was, and the folder is left alone.
		parent.rename(aside, folder)
	}
	return err
}

// refNaming returns the name of a ref of the repo folder (refs/<name>)
// whose content names commit right now, or "". Refs are read the way the
// scan reads them (one trailing newline dropped); a ref folder that
// cannot be read names nothing.
func (d *Deletion) refNaming(folder, commit string) string {
	refs, err := d.top.walk([]string{folder, "refs"})
	if err != nil {
		return ""
	}
	defer refs.close()
	return refIn(refs, commit, "refs/", 0)
}

// refIn is refNaming for the folder dir, whose ref names start with
// prefix, depth folders down.
func refIn(dir *safeDir, commit, prefix string, depth int) string {
	des, err := dir.names()
	if err != nil {
		return ""
	}
	for _, e := range des {
		switch {
		case e.IsDir() && depth < 32:
			sub, err := dir.sub(e.Name())
			if err != nil {
				continue
			}
			found := refIn(sub, commit, prefix+e.Name()+"/", depth+1)
			sub.close()
			if found != "" {
				return found
			}
		case e.Type().IsRegular():
			f, err := dir.openFile(e.Name(), os.O_RDONLY|syscall.O_NONBLOCK, 0)
			if err != nil {
				continue
			}
			b := make([]byte, len(commit)+2)
			k, _ := io.ReadFull(f, b)
			f.Close()
			if strings.TrimSuffix(string(b[:k]), "\n") == commit {
				return prefix + e.Name()
			}
		}
	}
	return ""
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
			des, _, err := readDir(dir)
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
