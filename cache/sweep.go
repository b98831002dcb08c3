package cache

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"syscall"
	"unicode/utf8"

	"github.com/hfidx/hfidx/internal/flock"
)

// manifestRepoRe is the first component of a valid manifest line: a repo
// folder of any type, kernels included (stricter than huggingface_hub
// versions that drop such lines and could sweep a payload a kernel uses).
var manifestRepoRe = regexp.MustCompile(`^(?:models|datasets|spaces|kernels)--.+`)

// checkShape checks what the shape table cannot: the name of the entry
// for kinds that only take some names.
func checkShape(kind string, parts []string) error {
	name := parts[len(parts)-1]
	switch kind {
	case "incomplete":
		if !strings.HasSuffix(name, ".incomplete") {
			return errors.New("not an interrupted download (*.incomplete)")
		}
	case "leftover":
		switch parts[1] {
		case ".no_exist":
			if len(parts) != 3 {
				return errors.New("not a .no_exist/<commit> folder")
			}
		case "trees":
			if len(parts) != 3 || !strings.HasSuffix(name, ".json") {
				return errors.New("not a trees/<commit>.json listing")
			}
		case "refs":
		default:
			return errors.New("not a leftover of a deletion")
		}
	}
	return nil
}

// repoLeftovers returns the leftovers that lie inside repo folders; the
// .locks/<folder> ones are handled apart.
func repoLeftovers(root string, paths []string) []string {
	var out []string
	for _, p := range paths {
		if parts, ok := Under(root, p); ok && parts[0] == ".locks" {
			continue
		}
		out = append(out, p)
	}
	return out
}

// lockLeftovers returns the .locks/<folder> leftovers, each checked.
func lockLeftovers(root string, paths []string) ([]string, error) {
	var out []string
	for _, p := range paths {
		parts, ok := Under(root, p)
		if !ok || parts[0] != ".locks" {
			continue
		}
		if len(parts) != 2 || strings.HasPrefix(parts[1], ".") {
			return nil, &PathError{p, "not a .locks/<folder> path"}
		}
		out = append(out, p)
	}
	return out, nil
}

// removeLeftover removes one leftover inside a repo folder, the entry of
// parent whose lstat is st. It returns a reason when it leaves the path
// in place on purpose.
func removeLeftover(parent *safeDir, it item, st entryStat) (kept string, err error) {
	name := it.parts[len(it.parts)-1]
	switch it.parts[1] {
	case ".no_exist":
		if st.isDir() {
			return "", parent.removeTree(name)
		}
		return "", parent.unlink(name)
	case "trees":
		if st.isDir() {
			return "a directory, not a listing", nil
		}
		return "", parent.unlink(name)
	}
	// refs: an empty folder, or a stale temporary file of a ref update.
	if st.isDir() {
		err := parent.rmdir(name)
		if errors.Is(err, syscall.ENOTEMPTY) || errors.Is(err, syscall.EEXIST) {
			return "no longer empty", nil
		}
		return "", err
	}
	if !refTmpRe.MatchString(name) {
		return "", &PathError{it.path, "a ref, not a temporary file"}
	}
	return "", parent.unlink(name)
}

// removeLocks removes .locks/<folder> when the folder is not in the cache
// and no process holds one of its locks; the locks are held meanwhile, so a
// download starting now waits for the removal and then creates new ones.
func (d *Deletion) removeLocks(dir string, res *DeleteResult) error {
	folder := filepath.Base(dir)
	locks, err := d.top.sub(".locks")
	if errors.Is(err, fs.ErrNotExist) {
		res.Missing = append(res.Missing, dir)
		return nil
	}
	if err != nil {
		return err
	}
	defer locks.close()
	st, err := locks.lstat(folder)
	if errors.Is(err, fs.ErrNotExist) {
		res.Missing = append(res.Missing, dir)
		return nil
	}
	if err != nil {
		return err
	}
	if !st.isDir() {
		return &PathError{dir, "not a directory"}
	}
	if _, err := d.top.lstat(folder); err == nil {
		res.KeptLeftovers = append(res.KeptLeftovers, KeptPayload{dir, "the repo folder is still in the cache"})
		return nil
	}
	unlock, held, err := lockIn(locks, folder, false)
	if err != nil {
		return err
	}
	defer unlock()
	if held != "" {
		res.KeptLeftovers = append(res.KeptLeftovers, KeptPayload{dir, "lock held by another process: " + held})
		return nil
	}
	if d.Before != nil {
		if err := d.Before("leftover", dir); err != nil {
			return err
		}
	}
	err = locks.removeTree(folder)
	if errors.Is(err, fs.ErrNotExist) {
		res.Missing = append(res.Missing, dir)
		return nil
	}
	if err != nil {
		return fmt.Errorf("delete leftover %s: %w", dir, err)
	}
	res.Removed = append(res.Removed, Removal{Kind: "leftover", Path: dir})
	return nil
}

// LocksHeld returns the name of a `*.lock` file in dir that another
// process holds (flock), or "" when none is held or dir does not exist. It
// creates nothing.
func LocksHeld(dir string) string {
	parent, err := openSafeRoot(filepath.Dir(dir))
	if err != nil {
		return ""
	}
	defer parent.close()
	unlock, held, _ := lockIn(parent, filepath.Base(dir), false)
	unlock()
	return held
}

// IncompleteLock returns huggingface_hub's download lock of an interrupted
// download <root>/<folder>/blobs/<etag>[.<8 hex>].incomplete:
// <root>/.locks/<folder>/<etag>.lock.
func IncompleteLock(root, path string) string {
	parts, ok := Under(root, path)
	if !ok {
		return ""
	}
	folder := parts[0]
	name := strings.TrimSuffix(filepath.Base(path), ".incomplete")
	if i := strings.LastIndexByte(name, '.'); i > 0 && len(name)-i-1 == 8 && isHex(name[i+1:]) {
		name = name[:i]
	}
	return filepath.Join(root, ".locks", folder, name+".lock")
}

// LockHeld reports whether another process holds the flock of the lock
// file at path; a missing file is not held. It creates nothing.
func LockHeld(path string) bool {
	f, err := os.OpenFile(path, os.O_RDONLY|oNoFollow|syscall.O_NONBLOCK, 0)
	if err != nil {
		return false
	}
	defer f.Close()
	if err := flock.Lock(f, false); err != nil {
		return errors.Is(err, flock.ErrHeld)
	}
	flock.Unlock(f)
	return false
}

func isHex(s string) bool {
	_, err := hex.DecodeString(s)
	return err == nil && len(s)%2 == 0
}

// isStorePayload reports whether p has the shape of a payload of the store
// at root: <root>/blobs/<xx>/<hash>, with xx the hash's first two digits.
func isStorePayload(root, p string) bool {
	if filepath.Clean(p) != p {
		return false
	}
	dir, hash := filepath.Split(p)
	dir = filepath.Clean(dir)
	prefix := filepath.Base(dir)
	return filepath.Dir(dir) == filepath.Join(root, "blobs") &&
		storeHash.MatchString(hash) && storePrefix.MatchString(prefix) && hash[:2] == prefix
}

// linkTarget returns the lexical target of the symlink at p (its parent
// joined with readlink, cleaned, never resolved), or "".
func linkTarget(p string) string {
	t, _ := readLinkTarget(p)
	return t
}

// readLinkTarget is linkTarget with the error of readlink.
func readLinkTarget(p string) (string, error) {
	t, err := os.Readlink(p)
	if err != nil {
		return "", err
	}
	if !filepath.IsAbs(t) {
		t = filepath.Join(filepath.Dir(p), t)
	}
	return filepath.Clean(t), nil
}

// storePayload returns the store payload a link in the folder dir with
// the target t leads to, or "" when the store is not marked or the target
// is not a payload.
func (d *Deletion) storePayload(dir, t string) string {
	if !d.store {
		return ""
	}
	if !filepath.IsAbs(t) {
		t = filepath.Join(dir, t)
	}
	if t = filepath.Clean(t); isStorePayload(d.Root, t) {
		return t
	}
	return ""
}

// storeTargets returns the payloads the entries of <folder>/blobs link to.
func (d *Deletion) storeTargets(folder string) []string {
	if !d.store {
		return nil
	}
	blobs, err := d.top.walk([]string{folder, "blobs"})
	if err != nil {
		return nil
	}
	defer blobs.close()
	des, err := blobs.names()
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range des {
		if e.Type()&fs.ModeSymlink == 0 {
			continue
		}
		if t, err := blobs.readlink(e.Name()); err == nil {
			if p := d.storePayload(filepath.Join(d.Root, folder, "blobs"), t); p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}

// census lists, for every payload, the repo entries (<folder>/blobs/<name>,
// relative to root) that link to it now. ok is false when a blobs folder
// could not be listed: a link may then be missed.
func (d *Deletion) census() (links map[string][]string, ok bool) {
	links, ok = map[string][]string{}, true
	err := eachEntry(d.Root, func(e fs.DirEntry) error {
		name := e.Name()
		if !e.IsDir() || name == "blobs" || strings.HasPrefix(name, DeletingPrefix) {
			return nil
		}
		dir := filepath.Join(d.Root, name, "blobs")
		bs, _, err := readDir(dir)
		if err != nil {
			if !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, syscall.ENOTDIR) {
				ok = false
			}
			return nil
		}
		for _, b := range bs {
			if b.Type()&fs.ModeSymlink == 0 {
				continue
			}
			if t := linkTarget(filepath.Join(dir, b.Name())); isStorePayload(d.Root, t) {
				links[t] = append(links[t], name+"/blobs/"+b.Name())
			}
		}
		return nil
	})
	return links, ok && err == nil
}

// sweepAll sweeps every payload a removed entry led to, and the planned
// ones, in path order.
func (d *Deletion) sweepAll(res *DeleteResult) error {
	if len(d.sweeps) == 0 {
		return nil
	}
	var paths []string
	for p := range d.sweeps {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	if !d.store {
		for _, p := range paths {
			res.KeptPayloads = append(res.KeptPayloads, KeptPayload{p, "blobs/ is not a marked shared store"})
		}
		return nil
	}
	links, complete := d.census()
	for _, p := range paths {
		freed, reason, err := d.sweep(p, links[p], complete)
		if err != nil {
			return fmt.Errorf("sweep %s: %w", p, err)
		}
		if reason != "" {
			res.KeptPayloads = append(res.KeptPayloads, KeptPayload{p, reason})
			continue
		}
		res.Removed = append(res.Removed, Removal{Kind: "payload", Path: p, Size: freed})
	}
	return nil
}

// sweep removes the payload at p when no valid reference to it remains,
// following huggingface_hub's protocol, more strictly: under an exclusive
// flock of <hash>.lock it re-reads the manifest <hash>.refs, keeps every
// line naming a repo entry that links to p now, adds the live links of the
// census (links is the census's list for p; complete says whether the
// census saw every repo), and rewrites the manifest if references remain.
// On any doubt it keeps the payload and returns the reason; an error is
// returned only for a failed removal.
func (d *Deletion) sweep(p string, links []string, complete bool) (freed int64, reason string, err error) {
	parts, _ := Under(d.Root, p)
	xx, err := d.top.walk(parts[:2])
	if errors.Is(err, fs.ErrNotExist) {
		return 0, "already gone", nil
	}
	if err != nil {
		return 0, "store folders are not real directories", nil
	}
	defer xx.close()
	hash := parts[2]
	lockName := hash + ".lock"
	if _, err := xx.lstat(lockName + ".soft"); err == nil {
		return 0, "a soft lock (" + lockName + ".soft) is held", nil
	}
	lf, err := xx.openFile(lockName, os.O_WRONLY|os.O_CREATE|syscall.O_NONBLOCK, 0o666)
	if err != nil {
		return 0, "cannot open the lock: " + errText(err), nil
	}
	defer lf.Close()
	if fi, err := lf.Stat(); err != nil || !fi.Mode().IsRegular() {
		return 0, "the lock is not a regular file", nil
	}
	lf.Chmod(0o666) // as huggingface_hub leaves it, so other users can lock it too
	if err := flock.Lock(lf, d.Wait); err != nil {
		if errors.Is(err, flock.ErrHeld) {
			return 0, "lock held by another process (use --wait to wait for it)", nil
		}
		return 0, "cannot lock: " + err.Error(), nil
	}
	defer flock.Unlock(lf)

	st, err := xx.lstat(hash)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, "already gone", nil
	}
	if err != nil || !st.mode.IsRegular() {
		return 0, "not a regular file", nil
	}
	if d.InUse != nil {
		if by := d.InUse(st.dev, st.ino); by != "" {
			return 0, by, nil
		}
	}
	manifest := hash + ".refs"
	content, why := readManifest(xx, manifest)
	if why != "" {
		return 0, why, nil
	}
	live := map[string]bool{}
	for _, line := range splitLines(content) {
		ok, err := validRef(d.Root, p, line)
		if err != nil {
			return 0, fmt.Sprintf("cannot check reference %q: %s", line, errText(err)), nil
		}
		if ok {
			live[line] = true
		}
	}
	for _, l := range links {
		// A live link the manifest lacks protects the payload too, whatever
		// its folder's name; if it cannot be checked again, it still does.
		if ok, err := linksTo(filepath.Join(d.Root, filepath.FromSlash(l)), p); ok || err != nil {
			live[l] = true
		}
	}
	if !complete {
		return 0, "some repo's blobs folder could not be listed: a link to it may be missed", nil
	}
	if len(live) > 0 {
		lines := make([]string, 0, len(live))
		for l := range live {
			lines = append(lines, l)
		}
		sort.Strings(lines)
		want := strings.Join(lines, "\n") + "\n"
		if want != string(content) {
			if err := rewriteManifest(xx, manifest, want); err != nil {
				return 0, fmt.Sprintf("still referenced by %d link(s); manifest not rewritten: %s", len(live), errText(err)), nil
			}
		}
		return 0, fmt.Sprintf("still referenced by %d link(s)", len(live)), nil
	}
	if d.Before != nil {
		if err := d.Before("payload", p); err != nil {
			return 0, "", err
		}
	}
	if err := xx.unlink(hash); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return 0, "already gone", nil
		}
		if errors.Is(err, fs.ErrPermission) {
			return 0, "permission denied: " + errText(err), nil
		}
		return 0, "", err
	}
	if err := xx.unlink(manifest); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return st.size, "", err
	}
	return st.size, "", nil
}

// ManifestReadable reports whether the store payload at path has a
// manifest a sweep can read: a regular UTF-8 file <path>.refs.
func ManifestReadable(path string) bool {
	dir, err := openSafeRoot(filepath.Dir(path))
	if err != nil {
		return false
	}
	defer dir.close()
	_, why := readManifest(dir, filepath.Base(path)+".refs")
	return why == ""
}

// maxManifest bounds what a sweep reads of a manifest: a line per repo
// entry linking the payload.
const maxManifest = 64 << 20

// readManifest reads the manifest name of dir, which must be a regular
// UTF-8 file (never read through a link); why says what is wrong
// otherwise.
func readManifest(dir *safeDir, name string) (content []byte, why string) {
	st, err := dir.lstat(name)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, "no manifest (" + name + "): never swept"
	case err != nil:
		return nil, "cannot stat the manifest: " + errText(err)
	case !st.mode.IsRegular():
		return nil, "the manifest is not a regular file"
	}
	f, err := dir.openFile(name, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, "cannot read the manifest: " + errText(err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxManifest+1))
	switch {
	case err != nil:
		return nil, "cannot read the manifest: " + errText(err)
	case len(b) > maxManifest:
		return nil, "the manifest is larger than 64 MiB"
	case !utf8.Valid(b):
		return nil, "the manifest is not UTF-8"
	}
	return b, ""
}

func splitLines(b []byte) []string {
	var out []string
	for _, l := range bytes.FieldsFunc(b, func(r rune) bool { return r == '\n' || r == '\r' }) {
		out = append(out, string(l))
	}
	return out
}

// validRef reports whether a manifest line names a repo entry
// (<repo folder>/blobs/<name>, relative to root) that is a symlink whose
// lexical target is payload. A line naming nothing is stale (false); an
// error other than "does not exist" is returned, as doubt.
func validRef(root, payload, line string) (bool, error) {
	if line == "" || filepath.IsAbs(line) || unsafePath(line) {
		return false, nil
	}
	parts := strings.Split(line, "/")
	if len(parts) != 3 || !manifestRepoRe.MatchString(parts[0]) || parts[1] != "blobs" || parts[2] == "" {
		return false, nil
	}
	return linksTo(filepath.Join(root, parts[0], parts[1], parts[2]), payload)
}

// linksTo reports whether p is a symlink whose lexical target is payload;
// a missing p is false, any other error is returned.
func linksTo(p, payload string) (bool, error) {
	fi, err := os.Lstat(p)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if fi.Mode()&fs.ModeSymlink == 0 {
		return false, nil
	}
	t, err := readLinkTarget(p)
	return err == nil && t == payload, err
}

// rewriteManifest replaces the manifest name of dir atomically, mode
// 0666: written to a new temporary file beside it (never through a link),
// synced, renamed over it.
func rewriteManifest(dir *safeDir, name, content string) error {
	var rnd [4]byte
	rand.Read(rnd[:])
	tmp := name + "." + hex.EncodeToString(rnd[:]) + ".tmp"
	f, err := dir.openFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o666)
	if err != nil {
		return err
	}
	err = f.Chmod(0o666)
	if err == nil {
		_, err = f.WriteString(content)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = dir.rename(tmp, name)
	}
	if err != nil {
		dir.unlink(tmp)
	}
	return err
}

// WriteFileAtomic replaces the file at path with data: written to tmp
// (never through a symlink), given mode perm, synced, renamed over path.
// On error tmp is removed and path is as it was.
func WriteFileAtomic(path, tmp string, data []byte, perm fs.FileMode) error {
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC|oNoFollow, perm)
	if err != nil {
		return err
	}
	err = f.Chmod(perm)
	if err == nil {
		_, err = f.Write(data)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
	}
	return err
}

// LockFolders returns the names of the folders in <root>/.locks (the repo
// folders huggingface_hub keeps download locks for), listed once without
// setting access times; nil when there is none.
func LockFolders(root string) map[string]bool {
	des, _, err := readDir(filepath.Join(root, ".locks"))
	if err != nil {
		return nil
	}
	out := map[string]bool{}
	for _, e := range des {
		if e.IsDir() {
			out[e.Name()] = true
		}
	}
	return out
}
