package cache

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// LookupEnv looks up an environment variable the way os.LookupEnv does: the
// value and true if it is set (even to the empty string), "" and false if it
// is not. Functions of this package read the environment only through one,
// so callers decide what the environment is; a nil LookupEnv stands for an
// empty environment.
type LookupEnv func(key string) (string, bool)

func (lookup LookupEnv) get(key string) (string, bool) {
	if lookup == nil {
		return "", false
	}
	return lookup(key)
}

// getenv is Python's os.getenv(key, def): a set but empty variable wins
// over the default.
func (lookup LookupEnv) getenv(key, def string) string {
	if v, ok := lookup.get(key); ok {
		return v
	}
	return def
}

// DefaultDir returns the hub cache directory huggingface_hub would use in
// the environment lookup describes, computed as its constants module
// computes HF_HUB_CACHE:
//
//   - HF_HOME is $HF_HOME, else $XDG_CACHE_HOME/huggingface, else
//     ~/.cache/huggingface, then goes through ExpandUser and ExpandVars;
//   - the hub cache is $HF_HUB_CACHE, else $HUGGINGFACE_HUB_CACHE, else
//     HF_HOME/hub, then goes through ExpandUser and ExpandVars.
//
// A variable set to the empty string is used as it is, so the result may be
// relative ("hub" when HF_HOME is empty, "huggingface/hub" when
// XDG_CACHE_HOME is empty) or even empty (HF_HUB_CACHE set to ""); it is
// returned as is, for ResolveDir to make absolute. Unknown variables stay
// literally in the result. Like Python, the default HF_HOME/hub is expanded
// a second time, so HF_HOME=$V with V=~/x yields $HOME/x/hub, while
// HF_HUB_CACHE=$V yields ~/x. HUGGINGFACE_CO_STAGING has no effect, as in
// huggingface_hub. DefaultDir never fails.
func DefaultDir(lookup LookupEnv) string {
	expand := func(p string) string { return ExpandVars(ExpandUser(p, lookup), lookup) }
	defaultHome := posixJoin(ExpandUser("~", lookup), ".cache")
	hfHome := expand(lookup.getenv("HF_HOME",
		posixJoin(lookup.getenv("XDG_CACHE_HOME", defaultHome), "huggingface")))
	legacy := lookup.getenv("HUGGINGFACE_HUB_CACHE", posixJoin(hfHome, "hub"))
	return expand(lookup.getenv("HF_HUB_CACHE", legacy))
}

// posixJoin is Python's posixpath.join for two parts. Unlike filepath.Join
// it does not clean the result: "a/../b" and "x/" stay as they are, so
// DefaultDir returns the same string as huggingface_hub.
func posixJoin(a, b string) string {
	switch {
	case strings.HasPrefix(b, "/"):
		return b
	case a == "" || strings.HasSuffix(a, "/"):
		return a + b
	default:
		return a + "/" + b
	}
}

// ExpandUser returns p with a leading "~" or "~/" replaced by the home
// directory, as Python's os.path.expanduser does on POSIX: the home is
// lookup("HOME") with trailing slashes removed, and an empty result becomes
// "/". It returns p unchanged when p does not start with "~", when HOME is
// not set, and for the "~user" form, which would need the user database.
func ExpandUser(p string, lookup LookupEnv) string {
	if !strings.HasPrefix(p, "~") {
		return p
	}
	i := strings.IndexByte(p, '/')
	if i < 0 {
		i = len(p)
	}
	if i != 1 {
		return p // ~user
	}
	home, ok := lookup.get("HOME")
	if !ok {
		return p
	}
	if r := strings.TrimRight(home, "/") + p[i:]; r != "" {
		return r
	}
	return "/"
}

// ExpandVars returns p with every $NAME and ${NAME} replaced by the value
// of the variable, as Python's posixpath.expandvars does: NAME after a bare
// "$" is a run of ASCII letters, digits and underscores, NAME in braces is
// anything up to the first "}". A variable that is not set (and "${}") is
// left in place literally, unlike os.ExpandEnv, which would blank it;
// substituted values are not expanded again, so a value starting with "~"
// or containing "$" stays as it is. It never fails.
func ExpandVars(p string, lookup LookupEnv) string {
	if !strings.Contains(p, "$") {
		return p
	}
	i := 0
	for {
		k := strings.IndexByte(p[i:], '$')
		if k < 0 {
			return p
		}
		k += i
		name, end, ok := varAt(p, k)
		if !ok {
			i = k + 1
			continue
		}
		value, set := "", false
		if name != "" {
			value, set = lookup.get(name)
		}
		if !set {
			i = end
			continue
		}
		p = p[:k] + value + p[end:]
		i = k + len(value)
	}
}

// varAt matches Python's `\$(\w+|\{[^}]*\})` (with re.ASCII) at p[k], which
// is a '$'. It returns the variable name, the index just past the match,
// and whether there is a match.
func varAt(p string, k int) (name string, end int, ok bool) {
	j := k + 1
	for j < len(p) && isWordByte(p[j]) {
		j++
	}
	if j > k+1 {
		return p[k+1 : j], j, true
	}
	if j < len(p) && p[j] == '{' {
		if c := strings.IndexByte(p[j+1:], '}'); c >= 0 {
			return p[j+1 : j+1+c], j + 1 + c + 1, true
		}
	}
	return "", 0, false
}

func isWordByte(c byte) bool {
	return c == '_' || '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}

// DirErrorKind says why a cache directory cannot be scanned.
type DirErrorKind int

const (
	// DirMissing means the directory does not exist: a missing path, a
	// dangling symlink, or a path through a regular file.
	DirMissing DirErrorKind = iota + 1
	// DirNotDir means the path exists but is not a directory.
	DirNotDir
)

// String returns "missing" or "not a directory", or "DirErrorKind(n)" for
// an unknown kind.
func (k DirErrorKind) String() string {
	switch k {
	case DirMissing:
		return "missing"
	case DirNotDir:
		return "not a directory"
	}
	return fmt.Sprintf("DirErrorKind(%d)", int(k))
}

// DirError reports a cache directory that cannot be scanned. Callers that
// talk to users add the hint (the --cache-dir flag, HF_HUB_CACHE).
type DirError struct {
	Path string       // absolute path; symlinks resolved when it exists
	Kind DirErrorKind // why the directory cannot be scanned
	Err  error        // underlying error, nil for DirNotDir
}

// Error returns "cache directory not found: <path>" for DirMissing and
// "cache directory is a file: <path>" for DirNotDir.
func (e *DirError) Error() string {
	switch e.Kind {
	case DirMissing:
		return "cache directory not found: " + e.Path
	case DirNotDir:
		return "cache directory is a file: " + e.Path
	}
	return "cache directory " + e.Path + ": " + e.Kind.String()
}

// Unwrap returns the underlying error, which may be nil.
func (e *DirError) Unwrap() error { return e.Err }

// ResolveDir returns dir as scan_cache_dir prepares it before scanning:
// made absolute against the working directory, with every symlink resolved
// and cleaned. As with Python's Path.resolve, empty and "." elements are
// dropped first, and a ".." after a symlink goes up from the link's target,
// not lexically. It does not expand "~": callers taking a path from the
// user do that first with ExpandUser. An empty dir stands for the working
// directory.
//
// If dir does not exist (including a dangling symlink or a path through a
// regular file, such as "file/x" or "file/..") it returns a *DirError of Kind DirMissing; if it exists but
// is not a directory, a *DirError of Kind DirNotDir. Any other failure
// (permission denied, a symlink loop) is returned wrapped.
func ResolveDir(dir string) (string, error) {
	abs := dir
	if !filepath.IsAbs(dir) {
		cwd, err := os.Getwd()
		if err != nil {
			return "", fmt.Errorf("resolve cache directory: %w", err)
		}
		// Not filepath.Join, which would clean ".." before symlinks are
		// resolved; EvalSymlinks handles ".." on the resolved prefix.
		abs = cwd + string(filepath.Separator) + dir
	}
	abs = dropDotElems(abs)
	resolved, err := filepath.EvalSymlinks(abs)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
			return "", &DirError{Path: abs, Kind: DirMissing, Err: err}
		}
		return "", fmt.Errorf("resolve cache directory %s: %w", abs, err)
	}
	fi, err := os.Stat(resolved)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return "", &DirError{Path: resolved, Kind: DirMissing, Err: err}
		}
		return "", fmt.Errorf("resolve cache directory %s: %w", resolved, err)
	}
	if !fi.IsDir() {
		return "", &DirError{Path: resolved, Kind: DirNotDir}
	}
	return resolved, nil
}

// dropDotElems removes the empty and "." elements of the absolute path p
// but keeps "..", as pathlib does when it builds a Path, so that "file/"
// names the file (and is reported as not a directory) and "link/.." is
// left for EvalSymlinks to resolve after the link.
func dropDotElems(p string) string {
	vol := filepath.VolumeName(p)
	sep := string(filepath.Separator)
	var elems []string
	for _, e := range strings.Split(filepath.ToSlash(p[len(vol):]), "/") {
		if e != "" && e != "." {
			elems = append(elems, e)
		}
	}
	return vol + sep + strings.Join(elems, sep)
}
