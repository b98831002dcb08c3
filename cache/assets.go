package cache

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
)

// The assets cache (hf-cache.md §6.2) is where libraries keep their own
// files, under HF_ASSETS_CACHE: cached_assets_path(library, namespace,
// subfolder) names and creates <assets>/<library>/<namespace>/<subfolder>,
// and the library fills that folder as it likes. huggingface_hub never
// scans nor deletes it.

// DefaultAssetsDir returns the assets cache huggingface_hub would use in
// the environment lookup describes, computed as its constants module
// computes HF_ASSETS_CACHE: $HF_ASSETS_CACHE, else
// $HUGGINGFACE_ASSETS_CACHE, else HF_HOME/assets (HF_HOME as DefaultDir
// finds it), then ExpandUser and ExpandVars. Like DefaultDir it may return
// a relative path and never fails.
func DefaultAssetsDir(lookup LookupEnv) string {
	expand := func(p string) string { return ExpandVars(ExpandUser(p, lookup), lookup) }
	defaultHome := posixJoin(ExpandUser("~", lookup), ".cache")
	hfHome := expand(lookup.getenv("HF_HOME",
		posixJoin(lookup.getenv("XDG_CACHE_HOME", defaultHome), "huggingface")))
	legacy := lookup.getenv("HUGGINGFACE_ASSETS_CACHE", posixJoin(hfHome, "assets"))
	return expand(lookup.getenv("HF_ASSETS_CACHE", legacy))
}

// AssetName returns name as cached_assets_path sanitises each of its three
// names: every space, "/" and "\" becomes "--"; case and everything else,
// ".." included, are kept.
func AssetName(name string) string {
	for _, c := range []string{" ", "/", `\`} {
		name = strings.ReplaceAll(name, c, "--")
	}
	return name
}

// AssetPathError is returned by AssetPath when the folder cannot be
// created because the path, or one of its parents, is not a directory.
type AssetPathError struct{ Path string }

// Error is the library's ValueError text.
func (e *AssetPathError) Error() string {
	return fmt.Sprintf("Corrupted assets folder: cannot create directory because of an existing file (%s).", e.Path)
}

// ErrAssetDotDot is returned by AssetPath for a name that is "..", which
// the library would follow out of the assets cache.
var ErrAssetDotDot = errors.New(`an assets folder name cannot be ".."`)

// AssetPath returns the folder cached_assets_path(library, namespace,
// subfolder, assets_dir=dir) names, and creates it with its parents:
// dir made absolute with every symlink resolved (as pathlib's resolve(),
// which also accepts a dir that does not exist yet), then the three names
// sanitised by AssetName and joined as pathlib joins them (an empty name
// or "." adds no level). dir must already have "~" expanded. It returns an
// *AssetPathError when a file stands in the way, ErrAssetDotDot for a name
// that is "..", which the library would follow, and any other error of
// mkdir.
func AssetPath(dir, library, namespace, subfolder string) (string, error) {
	base, err := resolveLoose(dir)
	if err != nil {
		return "", err
	}
	p := base
	for _, n := range []string{library, namespace, subfolder} {
		n = AssetName(n)
		switch n {
		case "", ".":
			continue
		case "..":
			return "", ErrAssetDotDot
		}
		p = filepath.Join(p, n)
	}
	if err := os.MkdirAll(p, 0o777); err != nil {
		if errors.Is(err, syscall.ENOTDIR) || errors.Is(err, fs.ErrExist) {
			return "", &AssetPathError{Path: p}
		}
		return "", err
	}
	return p, nil
}

// ResolveAssetsDir returns the assets cache dir as cached_assets_path
// resolves it; dir must already have "~" expanded. See resolveLoose.
func ResolveAssetsDir(dir string) (string, error) { return resolveLoose(dir) }

// resolveLoose is pathlib's Path.resolve() (strict=False): p made absolute
// against the working directory, then every symlink resolved, one element
// at a time, ".." applied after the symlink before it; from the first
// element that does not exist on, the rest is appended as it is (".."
// applied lexically), so a dangling symlink is followed to its target. It
// returns an error for a symlink loop, as Python raises one.
func resolveLoose(p string) (string, error) {
	if !filepath.IsAbs(p) {
		cwd, err := os.Getwd()
		if err != nil {
			return "", err
		}
		p = cwd + string(filepath.Separator) + p
	}
	sep := string(filepath.Separator)
	rest := strings.Split(p, sep)
	cur := sep
	for hops := 0; len(rest) > 0; {
		e := rest[0]
		rest = rest[1:]
		switch e {
		case "", ".":
			continue
		case "..":
			cur = filepath.Dir(cur)
			continue
		}
		next := filepath.Join(cur, e)
		fi, err := os.Lstat(next)
		if err != nil {
			return filepath.Join(append([]string{next}, rest...)...), nil
		}
		if fi.Mode()&fs.ModeSymlink == 0 {
			cur = next
			continue
		}
		if hops++; hops > maxHops {
			return "", fmt.Errorf("resolve %s: %w", p, syscall.ELOOP)
		}
		t, err := os.Readlink(next)
		if err != nil {
			return "", err
		}
		if filepath.IsAbs(t) {
			cur = sep
		}
		rest = append(strings.Split(t, sep), rest...)
	}
	return cur, nil
}

// Asset is one entry of the assets cache: normally a
// <library>/<namespace>/<subfolder> folder, or a shallower entry that holds
// no deeper folder (a file, a link or an empty folder), whose deeper names
// are then "".
type Asset struct {
	Library   string `json:"library"`
	Namespace string `json:"namespace"`
	Subfolder string `json:"subfolder"`
	Path      string `json:"path"`
	// Kind is "dir", "file" or "link"; links are never followed.
	Kind  string `json:"kind"`
	Size  int64  `json:"size"`  // apparent bytes of the regular files in it
	Usage int64  `json:"usage"` // allocated bytes, a hard-linked file once
	Files int    `json:"files"` // regular files in it
	// LastModified is the newest modification time of the entry and of
	// everything in it, in seconds since the epoch.
	LastModified float64 `json:"last_modified"`
}

// Level returns how many of the three names are set.
func (a Asset) Level() int {
	switch {
	case a.Subfolder != "":
		return 3
	case a.Namespace != "":
		return 2
	}
	return 1
}

// ScanAssets lists the assets cache at dir, sorted by library, namespace
// and subfolder (byte order). It never follows a symlink. A dir that does
// not exist holds no assets: it returns nil and no error. Entries it
// cannot read become warnings; it returns an error only when dir exists
// and cannot be listed.
func ScanAssets(dir string) ([]Asset, []Warning, error) {
	des, err := listDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("list assets cache %s: %w", dir, err)
	}
	var out []Asset
	var ws []Warning
	var level func(names []string, p string, depth int)
	level = func(names []string, p string, depth int) {
		fi, err := os.Lstat(p)
		if err != nil {
			ws = append(ws, Warning{Entry: names[0], Path: p, Message: "cannot stat: " + errText(err)})
			return
		}
		if fi.IsDir() && depth < 3 {
			kids, _, err := readDir(p)
			if err != nil {
				ws = append(ws, Warning{Entry: names[0], Path: p, Message: "cannot list: " + errText(err)})
			}
			if len(kids) > 0 {
				for _, k := range kids {
					level(append(names[:depth:depth], k.Name()), filepath.Join(p, k.Name()), depth+1)
				}
				return
			}
		}
		a := Asset{Library: names[0], Path: p}
		if depth > 1 {
			a.Namespace = names[1]
		}
		if depth > 2 {
			a.Subfolder = names[2]
		}
		a.Kind, a.Size, a.Usage, a.Files, a.LastModified = measure(p, fi, &ws, names[0])
		out = append(out, a)
	}
	for _, d := range des {
		level([]string{d.Name()}, filepath.Join(dir, d.Name()), 1)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Library != b.Library {
			return a.Library < b.Library
		}
		if a.Namespace != b.Namespace {
			return a.Namespace < b.Namespace
		}
		return a.Subfolder < b.Subfolder
	})
	return out, ws, nil
}

// measure walks one entry without following symlinks.
func measure(p string, fi fs.FileInfo, ws *[]Warning, entry string) (kind string, size, usage int64, files int, newest float64) {
	seen := map[[2]uint64]bool{}
	add := func(fi fs.FileInfo) {
		st := statOf(fi)
		newest = max(newest, st.Mtime.Float())
		if !fi.Mode().IsRegular() {
			return
		}
		files++
		size += st.Size
		if st.Ino != 0 {
			k := [2]uint64{st.Dev, st.Ino}
			if seen[k] {
				return
			}
			seen[k] = true
		}
		usage += st.Usage
	}
	switch {
	case fi.Mode()&fs.ModeSymlink != 0:
		add(fi)
		return "link", size, usage, files, newest
	case !fi.IsDir():
		add(fi)
		return "file", size, usage, files, newest
	}
	walkDir(p, func(q string, d fs.DirEntry, err error) error {
		if err != nil {
			*ws = append(*ws, Warning{Entry: entry, Path: q, Message: "cannot read: " + errText(err)})
			return nil
		}
		info, err := d.Info()
		if err != nil {
			*ws = append(*ws, Warning{Entry: entry, Path: q, Message: "cannot stat: " + errText(err)})
			return nil
		}
		add(info)
		return nil
	})
	return "dir", size, usage, files, newest
}

// AssetTarget names what `hfidx assets rm` removes: a library, one of its
// namespaces, or one subfolder.
type AssetTarget struct {
	Library, Namespace, Subfolder string
}

// ParseAssetTarget parses LIBRARY[/NAMESPACE[/SUBFOLDER]], each name
// sanitised as cached_assets_path does (spaces and "\" become "--"; the
// "/" separates the levels). It returns an error for an empty name, "."
// or "..", or more than three levels.
func ParseAssetTarget(s string) (AssetTarget, error) {
	parts := strings.Split(s, "/")
	if len(parts) > 3 {
		return AssetTarget{}, fmt.Errorf("%q: at most LIBRARY/NAMESPACE/SUBFOLDER", s)
	}
	for i, p := range parts {
		p = AssetName(p)
		if p == "" || p == "." || p == ".." {
			return AssetTarget{}, fmt.Errorf("%q: empty, \".\" or \"..\" name", s)
		}
		parts[i] = p
	}
	t := AssetTarget{Library: parts[0]}
	if len(parts) > 1 {
		t.Namespace = parts[1]
	}
	if len(parts) > 2 {
		t.Subfolder = parts[2]
	}
	return t, nil
}

// Path returns the target's path under dir.
func (t AssetTarget) Path(dir string) string {
	p := filepath.Join(dir, t.Library)
	if t.Namespace != "" {
		p = filepath.Join(p, t.Namespace)
	}
	if t.Subfolder != "" {
		p = filepath.Join(p, t.Subfolder)
	}
	return p
}

// String renders the target as LIBRARY[/NAMESPACE[/SUBFOLDER]].
func (t AssetTarget) String() string {
	s := t.Library
	if t.Namespace != "" {
		s += "/" + t.Namespace
	}
	if t.Subfolder != "" {
		s += "/" + t.Subfolder
	}
	return s
}

// Matches reports whether the target covers asset a.
func (t AssetTarget) Matches(a Asset) bool {
	return a.Library == t.Library &&
		(t.Namespace == "" || a.Namespace == t.Namespace) &&
		(t.Subfolder == "" || a.Subfolder == t.Subfolder)
}

// AssetPlan is what removing some targets from the assets cache at Dir
// does: the paths removed whole and the assets they hold.
type AssetPlan struct {
	Dir               string   `json:"assets_dir"`
	Paths             []string `json:"paths"`
	Assets            []Asset  `json:"assets"`
	ExpectedFreedSize int64    `json:"expected_freed_size"`
	Unknown           []string `json:"unknown"`
}

// PlanAssets plans the removal of targets from the assets listed in
// assets (from ScanAssets on dir): for each target the folder at its level,
// removed whole, unless another target already covers it. Targets that
// match nothing are listed in Unknown.
func PlanAssets(dir string, assets []Asset, targets []AssetTarget) *AssetPlan {
	p := &AssetPlan{Dir: dir, Paths: []string{}, Assets: []Asset{}, Unknown: []string{}}
	covered := func(path string, paths []string) bool {
		for _, q := range paths {
			if path == q || strings.HasPrefix(path, q+string(filepath.Separator)) {
				return true
			}
		}
		return false
	}
	var paths []string
	for _, t := range targets {
		n := 0
		for _, a := range assets {
			if t.Matches(a) {
				n++
			}
		}
		if n == 0 {
			p.Unknown = append(p.Unknown, t.String())
			continue
		}
		paths = append(paths, t.Path(dir))
	}
	sort.Strings(paths)
	for _, q := range paths {
		if !covered(q, p.Paths) {
			p.Paths = append(p.Paths, q)
		}
	}
	for _, a := range assets {
		if covered(a.Path, p.Paths) {
			p.Assets = append(p.Assets, a)
			p.ExpectedFreedSize += a.Size
		}
	}
	return p
}

// RemoveAssets removes the plan's paths: each must still lie one to three
// levels under Dir, reached through real directories only (each opened
// from Dir downward without following a link, so a folder swapped for a
// link at any moment fails that removal instead of leading outside); a
// link is removed as a link, a folder with everything in it. Parents left
// empty are removed too, up to (not including) Dir. It stops at the first
// error and returns the paths removed until then.
func (p *AssetPlan) RemoveAssets() ([]string, error) {
	var done []string
	top, err := openSafeRoot(p.Dir)
	if err != nil {
		return done, fmt.Errorf("delete in %s: %w", p.Dir, err)
	}
	defer top.close()
	for _, q := range p.Paths {
		parts, ok := Under(p.Dir, q)
		if !ok {
			return done, fmt.Errorf("refusing to delete %s: outside the assets cache %s", q, p.Dir)
		}
		if len(parts) > 3 {
			return done, fmt.Errorf("refusing to delete %s: deeper than <library>/<namespace>/<subfolder>", q)
		}
		// dirs[i] is the folder holding parts[i].
		dirs := []*safeDir{top}
		closeDirs := func() {
			for _, d := range dirs[1:] {
				d.close()
			}
		}
		for _, c := range parts[:len(parts)-1] {
			next, err := dirs[len(dirs)-1].sub(c)
			if err != nil {
				closeDirs()
				if errors.Is(err, fs.ErrNotExist) {
					err = nil // gone with its parent
				}
				if err != nil {
					return done, fmt.Errorf("delete %s: %w", q, err)
				}
				break
			}
			dirs = append(dirs, next)
		}
		if len(dirs) < len(parts) {
			continue
		}
		parent, name := dirs[len(dirs)-1], parts[len(parts)-1]
		if _, err := parent.lstat(name); errors.Is(err, fs.ErrNotExist) {
			closeDirs()
			continue
		}
		err := parent.removeAny(name)
		if err != nil {
			closeDirs()
			return done, fmt.Errorf("delete %s: %w", q, err)
		}
		done = append(done, q)
		for i := len(dirs) - 1; i > 0; i-- {
			if dirs[i-1].rmdir(parts[i-1]) != nil {
				break
			}
		}
		closeDirs()
	}
	return done, nil
}
