package cache

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// dirTestEnv returns a LookupEnv over the given key/value pairs.
func dirTestEnv(kv ...string) LookupEnv {
	m := make(map[string]string)
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(key string) (string, bool) {
		v, ok := m[key]
		return v, ok
	}
}

func TestDefaultDir(t *testing.T) {
	tests := []struct {
		name string
		env  []string
		want string
	}{
		{"default", []string{"HOME", "/home/u"}, "/home/u/.cache/huggingface/hub"},
		{"home with trailing slash", []string{"HOME", "/home/u/"}, "/home/u/.cache/huggingface/hub"},
		{"home is root", []string{"HOME", "/"}, "/.cache/huggingface/hub"},
		{"home is empty", []string{"HOME", ""}, "/.cache/huggingface/hub"},
		{"no home", nil, "~/.cache/huggingface/hub"},

		{"xdg", []string{"HOME", "/home/u", "XDG_CACHE_HOME", "/xdg"}, "/xdg/huggingface/hub"},
		{"xdg trailing slash not doubled", []string{"HOME", "/home/u", "XDG_CACHE_HOME", "/xdg/"}, "/xdg/huggingface/hub"},
		{"xdg not cleaned", []string{"HOME", "/home/u", "XDG_CACHE_HOME", "/a/../xdg"}, "/a/../xdg/huggingface/hub"},
		{"empty xdg is relative", []string{"HOME", "/home/u", "XDG_CACHE_HOME", ""}, "huggingface/hub"},
		{"xdg with tilde", []string{"HOME", "/home/u", "XDG_CACHE_HOME", "~/xdg"}, "/home/u/xdg/huggingface/hub"},
		{"xdg with var", []string{"HOME", "/home/u", "XDG_CACHE_HOME", "$HOME/xdg"}, "/home/u/xdg/huggingface/hub"},
		{"xdg relative", []string{"HOME", "/home/u", "XDG_CACHE_HOME", "rel"}, "rel/huggingface/hub"},
		{"xdg ignored when HF_HOME set", []string{"HOME", "/home/u", "XDG_CACHE_HOME", "/xdg", "HF_HOME", "/hf"}, "/hf/hub"},

		{"hf home", []string{"HOME", "/home/u", "HF_HOME", "/hf"}, "/hf/hub"},
		{"hf home trailing slash", []string{"HOME", "/home/u", "HF_HOME", "/hf/"}, "/hf/hub"},
		{"empty hf home is relative", []string{"HOME", "/home/u", "HF_HOME", ""}, "hub"},
		{"hf home with tilde", []string{"HOME", "/home/u", "HF_HOME", "~/hf"}, "/home/u/hf/hub"},
		{"hf home with ~user", []string{"HOME", "/home/u", "HF_HOME", "~bob/hf"}, "~bob/hf/hub"},
		{"hf home with var", []string{"HOME", "/home/u", "HF_HOME", "$BASE/hf", "BASE", "/b"}, "/b/hf/hub"},
		{"hf home with braced var", []string{"HOME", "/home/u", "HF_HOME", "${BASE}hf", "BASE", "/b/"}, "/b/hf/hub"},
		{"undefined var stays", []string{"HOME", "/home/u", "HF_HOME", "${UNDEFINED}/x"}, "${UNDEFINED}/x/hub"},
		{"undefined bare var stays", []string{"HOME", "/home/u", "HF_HOME", "$UNDEFINED/x"}, "$UNDEFINED/x/hub"},
		// HF_HOME is expanded, then HF_HOME/hub is expanded again.
		{"hf home expanded twice, tilde", []string{"HOME", "/home/u", "HF_HOME", "$V", "V", "~/x"}, "/home/u/x/hub"},
		{"hf home expanded twice, var", []string{"HOME", "/home/u", "HF_HOME", "$A", "A", "$B", "B", "/b"}, "/b/hub"},

		{"hub cache", []string{"HOME", "/home/u", "HF_HUB_CACHE", "/hub"}, "/hub"},
		{"hub cache not cleaned", []string{"HOME", "/home/u", "HF_HUB_CACHE", "/a/./b/"}, "/a/./b/"},
		{"empty hub cache", []string{"HOME", "/home/u", "HF_HUB_CACHE", ""}, ""},
		{"relative hub cache", []string{"HOME", "/home/u", "HF_HUB_CACHE", "rel/hub"}, "rel/hub"},
		{"hub cache with tilde", []string{"HOME", "/home/u", "HF_HUB_CACHE", "~/hub"}, "/home/u/hub"},
		{"hub cache with var", []string{"HOME", "/home/u", "HF_HUB_CACHE", "$HOME/hub"}, "/home/u/hub"},
		{"hub cache undefined var", []string{"HOME", "/home/u", "HF_HUB_CACHE", "${UNDEFINED}/x"}, "${UNDEFINED}/x"},
		// Tilde first, then variables: a value starting with ~ stays.
		{"var then tilde", []string{"HOME", "/home/u", "HF_HUB_CACHE", "$V/hub", "V", "~/x"}, "~/x/hub"},
		{"hub cache with no home", []string{"HF_HUB_CACHE", "~/hub"}, "~/hub"},

		{"legacy", []string{"HOME", "/home/u", "HUGGINGFACE_HUB_CACHE", "/legacy"}, "/legacy"},
		{"legacy expanded", []string{"HOME", "/home/u", "HUGGINGFACE_HUB_CACHE", "~/legacy"}, "/home/u/legacy"},
		{"empty legacy", []string{"HOME", "/home/u", "HUGGINGFACE_HUB_CACHE", ""}, ""},
		{"legacy beats hf home", []string{"HOME", "/home/u", "HUGGINGFACE_HUB_CACHE", "/legacy", "HF_HOME", "/hf"}, "/legacy"},
		{"hub cache beats legacy", []string{"HOME", "/home/u", "HF_HUB_CACHE", "/hub", "HUGGINGFACE_HUB_CACHE", "/legacy", "HF_HOME", "/hf"}, "/hub"},
		{"empty hub cache beats legacy", []string{"HOME", "/home/u", "HF_HUB_CACHE", "", "HUGGINGFACE_HUB_CACHE", "/legacy"}, ""},

		{"staging has no effect", []string{"HOME", "/home/u", "HUGGINGFACE_CO_STAGING", "1"}, "/home/u/.cache/huggingface/hub"},
		{"staging has no effect with hf home", []string{"HOME", "/home/u", "HUGGINGFACE_CO_STAGING", "true", "HF_HOME", "/hf"}, "/hf/hub"},
		{"xet cache has no effect", []string{"HOME", "/home/u", "HF_XET_CACHE", "/xet"}, "/home/u/.cache/huggingface/hub"},
	}
	for _, tt := range tests {
		if got := DefaultDir(dirTestEnv(tt.env...)); got != tt.want {
			t.Errorf("%s: DefaultDir(%q) = %q, want %q", tt.name, tt.env, got, tt.want)
		}
	}
}

func TestDefaultDirNilLookup(t *testing.T) {
	if got, want := DefaultDir(nil), "~/.cache/huggingface/hub"; got != want {
		t.Errorf("DefaultDir(nil) = %q, want %q", got, want)
	}
}

func TestExpandUser(t *testing.T) {
	tests := []struct {
		path string
		home string // "-" means HOME is not set
		want string
	}{
		{"~", "/home/u", "/home/u"},
		{"~/", "/home/u", "/home/u/"},
		{"~/x", "/home/u", "/home/u/x"},
		{"~/x/~/y", "/home/u", "/home/u/x/~/y"},
		{"~//x", "/home/u", "/home/u//x"},
		{"~/x", "/home/u/", "/home/u/x"},
		{"~/x", "/home/u//", "/home/u/x"},
		{"~", "/home/u/", "/home/u"},
		{"~", "/", "/"},
		{"~/x", "/", "/x"},
		{"~", "", "/"},
		{"~/x", "", "/x"},
		{"~", "rel", "rel"},
		{"~/x", "-", "~/x"},
		{"~", "-", "~"},
		{"~bob", "/home/u", "~bob"},
		{"~bob/x", "/home/u", "~bob/x"},
		{"~~", "/home/u", "~~"},
		{"x/~", "/home/u", "x/~"},
		{" ~", "/home/u", " ~"},
		{"", "/home/u", ""},
		{"$HOME", "/home/u", "$HOME"},
	}
	for _, tt := range tests {
		env := []string{"HOME", tt.home}
		if tt.home == "-" {
			env = nil
		}
		if got := ExpandUser(tt.path, dirTestEnv(env...)); got != tt.want {
			t.Errorf("ExpandUser(%q) with HOME=%q = %q, want %q", tt.path, tt.home, got, tt.want)
		}
	}
}

var expandVarsTests = []struct {
	path string
	want string
}{
	{"", ""},
	{"plain", "plain"},
	{"$A", "a"},
	{"${A}", "a"},
	{"$A/$B", "a/b"},
	{"$A$B", "ab"},
	{"${A}B", "aB"},
	{"$AB", "$AB"}, // unknown
	{"$A_B", "ab-underscore"},
	{"$A-B", "a-B"},
	{"$A.B", "a.B"},
	{"x$A", "xa"},
	{"$$A", "$a"},
	{"$", "$"},
	{"$/", "$/"},
	{"a$", "a$"},
	{"${", "${"},
	{"${A", "${A"},
	{"${}", "${}"},
	{"${A}}", "a}"},
	{"${A B}", "space"},
	{"${a/b}", "${a/b}"},
	{"${$A}", "${$A}"},
	{"$UNDEFINED/x", "$UNDEFINED/x"},
	{"${UNDEFINED}/x", "${UNDEFINED}/x"},
	{"${UNDEFINED}$A", "${UNDEFINED}a"},
	{"$1", "one"},
	{"$é", "$é"},
	{"$Aé", "aé"},
	{"$EMPTY/x", "/x"},
	{"${EMPTY}x", "x"},
	{"$TILDE", "~/t"},    // not expanded again
	{"$DOLLAR", "$A"},    // not expanded again
	{"$DOLLAR$A", "$Aa"}, // the value is skipped, the rest goes on
	{"~/$A", "~/a"},
}

var expandVarsEnv = dirTestEnv(
	"A", "a",
	"B", "b",
	"A_B", "ab-underscore",
	"A B", "space",
	"1", "one",
	"EMPTY", "",
	"TILDE", "~/t",
	"DOLLAR", "$A",
	"", "never looked up",
)

func TestExpandVars(t *testing.T) {
	for _, tt := range expandVarsTests {
		if got := ExpandVars(tt.path, expandVarsEnv); got != tt.want {
			t.Errorf("ExpandVars(%q) = %q, want %q", tt.path, got, tt.want)
		}
	}
	if got := ExpandVars("$A", nil); got != "$A" {
		t.Errorf("ExpandVars(%q) with nil lookup = %q, want %q", "$A", got, "$A")
	}
}

// pyExpandVars is a transliteration of Python's posixpath.expandvars over
// regexp, to check ExpandVars against.
var pyVarRE = regexp.MustCompile(`\$(\w+|\{[^}]*\})`)

func pyExpandVars(p string, lookup LookupEnv) string {
	if !strings.Contains(p, "$") {
		return p
	}
	i := 0
	for {
		loc := pyVarRE.FindStringSubmatchIndex(p[i:])
		if loc == nil {
			return p
		}
		start, end := i+loc[0], i+loc[1]
		name := p[i+loc[2] : i+loc[3]]
		if strings.HasPrefix(name, "{") && strings.HasSuffix(name, "}") {
			name = name[1 : len(name)-1]
		}
		value, ok := "", false
		if name != "" {
			value, ok = lookup(name)
		}
		if !ok {
			i = end
			continue
		}
		p = p[:start] + value + p[end:]
		i = start + len(value)
	}
}

func FuzzExpandVars(f *testing.F) {
	for _, tt := range expandVarsTests {
		f.Add(tt.path)
	}
	f.Fuzz(func(t *testing.T, p string) {
		got := ExpandVars(p, expandVarsEnv)
		if !strings.Contains(p, "$") && got != p {
			t.Fatalf("ExpandVars(%q) = %q, want it unchanged", p, got)
		}
		if want := pyExpandVars(p, expandVarsEnv); got != want {
			t.Fatalf("ExpandVars(%q) = %q, want %q", p, got, want)
		}
	})
}

func TestResolveDir(t *testing.T) {
	root, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	mustMkdir := func(p string) {
		if err := os.MkdirAll(p, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	mustSymlink := func(target, link string) {
		if err := os.Symlink(target, link); err != nil {
			t.Skipf("symlinks unsupported: %v", err)
		}
	}
	hub := filepath.Join(root, "hub")
	deep := filepath.Join(root, "a", "b")
	file := filepath.Join(root, "file")
	mustMkdir(hub)
	mustMkdir(deep)
	if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	mustSymlink("hub", filepath.Join(root, "link"))
	mustSymlink(deep, filepath.Join(root, "deeplink"))
	mustSymlink("missing", filepath.Join(root, "dangling"))
	mustSymlink("file", filepath.Join(root, "filelink"))
	t.Chdir(root)

	ok := []struct {
		dir  string
		want string
	}{
		{hub, hub},
		{hub + "/", hub},
		{"hub", hub},
		{"./hub/", hub},
		{"", root},
		{".", root},
		{filepath.Join(root, "link"), hub},
		{"link", hub},
		// ".." applies to the link's target, as in Python's Path.resolve.
		{"deeplink/..", filepath.Join(root, "a")},
		{filepath.Join(root, "deeplink") + "/..", filepath.Join(root, "a")},
		{"a/b/../../hub", hub},
		{"./deeplink/./..//", filepath.Join(root, "a")},
		{"hub/.", hub},
		{root + "//hub", hub},
	}
	for _, tt := range ok {
		got, err := ResolveDir(tt.dir)
		if err != nil || got != tt.want {
			t.Errorf("ResolveDir(%q) = %q, %v, want %q, nil", tt.dir, got, err, tt.want)
		}
	}

	bad := []struct {
		dir     string
		kind    DirErrorKind
		path    string
		message string
	}{
		{"missing", DirMissing, filepath.Join(root, "missing"), "cache directory not found: " + filepath.Join(root, "missing")},
		{filepath.Join(root, "missing", "x"), DirMissing, filepath.Join(root, "missing", "x"), "cache directory not found: " + filepath.Join(root, "missing", "x")},
		{"dangling", DirMissing, filepath.Join(root, "dangling"), "cache directory not found: " + filepath.Join(root, "dangling")},
		{"file/sub", DirMissing, filepath.Join(root, "file", "sub"), "cache directory not found: " + filepath.Join(root, "file", "sub")},
		{"file", DirNotDir, file, "cache directory is a file: " + file},
		{"filelink", DirNotDir, file, "cache directory is a file: " + file},
		{"file/", DirNotDir, file, "cache directory is a file: " + file},
		{"file/.", DirNotDir, file, "cache directory is a file: " + file},
		// POSIX (and Go) refuse "file/.."; Python's realpath would go up.
		{"file/..", DirMissing, file + "/..", "cache directory not found: " + file + "/.."},
		{"missing/", DirMissing, filepath.Join(root, "missing"), "cache directory not found: " + filepath.Join(root, "missing")},
	}
	for _, tt := range bad {
		got, err := ResolveDir(tt.dir)
		var de *DirError
		if !errors.As(err, &de) {
			t.Errorf("ResolveDir(%q) = %q, %v, want a *DirError", tt.dir, got, err)
			continue
		}
		if got != "" || de.Kind != tt.kind || de.Path != tt.path || err.Error() != tt.message {
			t.Errorf("ResolveDir(%q) = %q, %v (kind %v, path %q), want \"\", %q (kind %v, path %q)",
				tt.dir, got, err, de.Kind, de.Path, tt.message, tt.kind, tt.path)
		}
		if tt.kind == DirMissing && !errors.Is(err, fs.ErrNotExist) && de.Err == nil {
			t.Errorf("ResolveDir(%q) = %v, want it to wrap the underlying error", tt.dir, err)
		}
	}
}

func TestResolveDirLoop(t *testing.T) {
	root := t.TempDir()
	loop := filepath.Join(root, "loop")
	if err := os.Symlink("loop", loop); err != nil {
		t.Skipf("symlinks unsupported: %v", err)
	}
	got, err := ResolveDir(loop)
	var de *DirError
	if err == nil || errors.As(err, &de) {
		t.Errorf("ResolveDir(%q) = %q, %v, want a plain wrapped error", loop, got, err)
	}
}

func TestResolveDirPermission(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root ignores permissions")
	}
	root := t.TempDir()
	locked := filepath.Join(root, "locked")
	if err := os.Mkdir(locked, 0); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(locked, 0o755) })
	dir := filepath.Join(locked, "hub")
	got, err := ResolveDir(dir)
	var de *DirError
	if !errors.Is(err, fs.ErrPermission) || errors.As(err, &de) {
		t.Errorf("ResolveDir(%q) = %q, %v, want a wrapped permission error", dir, got, err)
	}
}

func TestDirErrorUnwrap(t *testing.T) {
	inner := errors.New("inner")
	e := &DirError{Path: "/x", Kind: DirMissing, Err: inner}
	if got := errors.Unwrap(e); got != inner {
		t.Errorf("(&DirError{Err: inner}).Unwrap() = %v, want %v", got, inner)
	}
	if got, want := (&DirError{Path: "/x", Kind: 0}).Error(), "cache directory /x: DirErrorKind(0)"; got != want {
		t.Errorf("(&DirError{Kind: 0}).Error() = %q, want %q", got, want)
	}
}
