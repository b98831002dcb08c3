package cache

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func env(kv ...string) LookupEnv {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestDefaultAssetsDir(t *testing.T) {
	tests := []struct {
		env  LookupEnv
		want string
	}{
		{env("HOME", "/h"), "/h/.cache/huggingface/assets"},
		{env("HOME", "/h", "XDG_CACHE_HOME", "/x"), "/x/huggingface/assets"},
		{env("HOME", "/h", "HF_HOME", "/hf"), "/hf/assets"},
		{env("HOME", "/h", "HF_HOME", "/hf", "HUGGINGFACE_ASSETS_CACHE", "/legacy"), "/legacy"},
		{env("HOME", "/h", "HUGGINGFACE_ASSETS_CACHE", "/legacy", "HF_ASSETS_CACHE", "/new"), "/new"},
		{env("HOME", "/h", "HF_ASSETS_CACHE", "~/a"), "/h/a"},
		{env("HOME", "/h", "V", "/v", "HF_ASSETS_CACHE", "$V/a/${UNSET}"), "/v/a/${UNSET}"},
		{env("HOME", "/h", "HF_HOME", ""), "assets"},
		{env("HOME", "/h", "HUB", "x", "HF_HUB_CACHE", "/elsewhere"), "/h/.cache/huggingface/assets"},
	}
	for i, tt := range tests {
		if got := DefaultAssetsDir(tt.env); got != tt.want {
			t.Errorf("case %d: DefaultAssetsDir = %q, want %q", i, got, tt.want)
		}
	}
}

func TestAssetName(t *testing.T) {
	for in, want := range map[string]string{
		"ReAlLy dumb":        "ReAlLy--dumb",
		"user/repo_name":     "user--repo_name",
		`this is/not\clever`: "this--is--not--clever",
		"..":                 "..",
		"Case.Kept":          "Case.Kept",
	} {
		if got := AssetName(in); got != want {
			t.Errorf("AssetName(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestAssetPath ports tests/test_utils_assets.py (hf-cache.md §7.4).
func TestAssetPath(t *testing.T) {
	dir := newRoot(t)
	tests := []struct {
		lib, ns, sub string
		want         string
	}{
		{"datasets", "SQuAD", "download", "datasets/SQuAD/download"},
		{"datasets", "default", "default", "datasets/default/default"},
		{"datasets", "SQuAD", "default", "datasets/SQuAD/default"},
		{"datasets", "default", "download", "datasets/default/download"},
		{"ReAlLy dumb", "user/repo_name", `this is/not\clever`, "ReAlLy--dumb/user--repo_name/this--is--not--clever"},
		{"lib", "", "x", "lib/x"}, // pathlib drops an empty part
		{"lib", ".", "x", "lib/x"},
	}
	for _, tt := range tests {
		got, err := AssetPath(dir, tt.lib, tt.ns, tt.sub)
		want := filepath.Join(dir, filepath.FromSlash(tt.want))
		if err != nil || got != want {
			t.Errorf("AssetPath(%q, %q, %q) = %q, %v; want %q", tt.lib, tt.ns, tt.sub, got, err, want)
			continue
		}
		if fi, err := os.Stat(got); err != nil || !fi.IsDir() {
			t.Errorf("AssetPath(%q, %q, %q): %s was not created", tt.lib, tt.ns, tt.sub, got)
		}
	}
	// The target, or a parent, is a file: the library's ValueError.
	os.WriteFile(filepath.Join(dir, "datasets", "SQuAD", "file"), nil, 0o644)
	for _, c := range [][3]string{{"datasets", "SQuAD", "file"}, {"datasets", "", "SQuAD"}} {
		_, err := AssetPath(dir, c[0], c[1], c[2])
		var pe *AssetPathError
		if c[2] == "SQuAD" {
			if err != nil {
				t.Errorf("AssetPath(%q) on an existing folder = %v, want nil", c, err)
			}
			continue
		}
		if !errors.As(err, &pe) || !strings.HasPrefix(pe.Error(), "Corrupted assets folder: cannot create directory because of an existing file (") {
			t.Errorf("AssetPath(%q) = %v, want the corrupted-folder error", c, err)
		}
	}
	os.WriteFile(filepath.Join(dir, "afile"), nil, 0o644)
	var pe *AssetPathError
	if _, err := AssetPath(dir, "afile", "ns", "sub"); !errors.As(err, &pe) || pe.Path != filepath.Join(dir, "afile", "ns", "sub") {
		t.Errorf("AssetPath under a file = %v, want an AssetPathError naming the path", err)
	}
	if _, err := AssetPath(dir, "..", "x", "y"); !errors.Is(err, ErrAssetDotDot) {
		t.Errorf(`AssetPath("..") = %v, want ErrAssetDotDot`, err)
	}
	// The assets dir itself is created, resolved through symlinks, even a
	// dangling one, and ".." after a link goes up from its target.
	os.MkdirAll(filepath.Join(dir, "real", "sub"), 0o755)
	os.Symlink(filepath.Join(dir, "real", "sub"), filepath.Join(dir, "link"))
	os.Symlink("missing-target", filepath.Join(dir, "dangling"))
	for _, c := range [][2]string{
		{"link/new/assets", "real/sub/new/assets"},
		{"link/../other", "real/other"},
		{"dangling/x", "missing-target/x"},
		{"./real//sub/./y", "real/sub/y"},
	} {
		got, err := AssetPath(dir+"/"+c[0], "lib", "default", "default")
		if want := filepath.Join(dir, c[1], "lib", "default", "default"); err != nil || got != want {
			t.Errorf("AssetPath(%s) = %q, %v; want %q", c[0], got, err, want)
		}
	}
	os.Symlink("loop", filepath.Join(dir, "loop"))
	if _, err := AssetPath(filepath.Join(dir, "loop", "x"), "lib", "", ""); err == nil {
		t.Errorf("AssetPath through a symlink loop succeeded")
	}
}

func TestScanPlanRemoveAssets(t *testing.T) {
	base := newRoot(t)
	dir := filepath.Join(base, "assets")
	tree(t, dir, map[string]string{
		"datasets/SQuAD/downloaded/a.bin":          "file:12345",
		"datasets/SQuAD/downloaded/deep/b.bin":     "file:678",
		"datasets/SQuAD/extracted/":                "dir:",
		"datasets/glue/default/c.txt":              "file:c",
		"transformers/default/link":                "link:" + filepath.Join(base, "outside"),
		"transformers/stray.txt":                   "file:stray",
		"emptylib/":                                "dir:",
		"toplevel.txt":                             "file:top",
		"datasets/glue/processed/x/y/z/deeper.txt": "file:zz",
	})
	tree(t, base, map[string]string{"outside/keep.txt": "file:do not touch"})
	as, ws, err := ScanAssets(dir)
	if err != nil || len(ws) != 0 {
		t.Fatalf("ScanAssets: %v, %v", err, ws)
	}
	var got []string
	for _, a := range as {
		got = append(got, strings.Join([]string{a.Library, a.Namespace, a.Subfolder, a.Kind}, "|")+
			"|"+itoa(a.Size)+"|"+itoa(int64(a.Files)))
	}
	want := []string{
		"datasets|SQuAD|downloaded|dir|8|2",
		"datasets|SQuAD|extracted|dir|0|0",
		"datasets|glue|default|dir|1|1",
		"datasets|glue|processed|dir|2|1",
		"emptylib|||dir|0|0",
		"toplevel.txt|||file|3|1",
		"transformers|default|link|link|0|0",
		"transformers|stray.txt||file|5|1",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("ScanAssets:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if as, _, err := ScanAssets(filepath.Join(base, "none")); as != nil || err != nil {
		t.Errorf("ScanAssets(missing) = %v, %v; want nothing", as, err)
	}

	targets := func(ss ...string) []AssetTarget {
		var out []AssetTarget
		for _, s := range ss {
			tg, err := ParseAssetTarget(s)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, tg)
		}
		return out
	}
	p := PlanAssets(dir, as, targets("datasets/SQuAD", "datasets/SQuAD/downloaded", "transformers/default", "nope/x"))
	if len(p.Paths) != 2 || p.Paths[0] != filepath.Join(dir, "datasets", "SQuAD") || p.Paths[1] != filepath.Join(dir, "transformers", "default") {
		t.Errorf("plan paths %v, want datasets/SQuAD (covering its subfolder) and transformers/default", p.Paths)
	}
	if p.ExpectedFreedSize != 8 || len(p.Assets) != 3 || len(p.Unknown) != 1 || p.Unknown[0] != "nope/x" {
		t.Errorf("plan: freed %d, %d assets, unknown %v; want 8, 3, [nope/x]", p.ExpectedFreedSize, len(p.Assets), p.Unknown)
	}
	removed, err := p.RemoveAssets()
	if err != nil || len(removed) != 2 {
		t.Fatalf("RemoveAssets = %v, %v", removed, err)
	}
	for _, gone := range []string{"datasets/SQuAD", "transformers/default"} {
		if _, err := os.Lstat(filepath.Join(dir, gone)); !os.IsNotExist(err) {
			t.Errorf("%s still exists", gone)
		}
	}
	if b, err := os.ReadFile(filepath.Join(base, "outside", "keep.txt")); err != nil || string(b) != "do not touch" {
		t.Errorf("the link's target was touched: %q, %v", b, err)
	}
	// transformers still holds stray.txt; a library emptied by a removal
	// goes with it.
	if _, err := os.Stat(filepath.Join(dir, "transformers", "stray.txt")); err != nil {
		t.Errorf("stray.txt was removed: %v", err)
	}
	p = PlanAssets(dir, mustScan(t, dir), targets("datasets/glue/default", "datasets/glue/processed"))
	if _, err := p.RemoveAssets(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(filepath.Join(dir, "datasets")); !os.IsNotExist(err) {
		t.Errorf("datasets/ left empty, want it removed: %v", err)
	}
	// A plan path under a symlinked folder is refused.
	os.MkdirAll(filepath.Join(base, "elsewhere", "ns", "sub"), 0o755)
	os.Symlink(filepath.Join(base, "elsewhere"), filepath.Join(dir, "linked"))
	bad := &AssetPlan{Dir: dir, Paths: []string{filepath.Join(dir, "linked", "ns", "sub")}}
	if _, err := bad.RemoveAssets(); err == nil {
		t.Errorf("RemoveAssets through a symlinked library succeeded")
	}
	if _, err := os.Stat(filepath.Join(base, "elsewhere", "ns", "sub")); err != nil {
		t.Errorf("the folder behind the link was removed")
	}
	outside := &AssetPlan{Dir: dir, Paths: []string{base}}
	if _, err := outside.RemoveAssets(); err == nil {
		t.Errorf("RemoveAssets outside the assets dir succeeded")
	}
}

func mustScan(t *testing.T, dir string) []Asset {
	t.Helper()
	as, _, err := ScanAssets(dir)
	if err != nil {
		t.Fatal(err)
	}
	return as
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func TestParseAssetTarget(t *testing.T) {
	tests := []struct {
		in   string
		want AssetTarget
		err  bool
	}{
		{"datasets", AssetTarget{Library: "datasets"}, false},
		{"datasets/SQuAD", AssetTarget{"datasets", "SQuAD", ""}, false},
		{"datasets/SQuAD/extracted", AssetTarget{"datasets", "SQuAD", "extracted"}, false},
		{`ReAlLy dumb/a\b`, AssetTarget{"ReAlLy--dumb", "a--b", ""}, false},
		{"a/b/c/d", AssetTarget{}, true},
		{"", AssetTarget{}, true},
		{"a//c", AssetTarget{}, true},
		{"a/..", AssetTarget{}, true},
		{"./a", AssetTarget{}, true},
	}
	for _, tt := range tests {
		got, err := ParseAssetTarget(tt.in)
		if (err != nil) != tt.err || got != tt.want {
			t.Errorf("ParseAssetTarget(%q) = %+v, %v; want %+v (error %v)", tt.in, got, err, tt.want, tt.err)
		}
	}
}

func FuzzParseAssetTarget(f *testing.F) {
	for _, s := range []string{"a", "a/b/c", "a b/c\\d", "../x", "a//b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tg, err := ParseAssetTarget(s)
		if err != nil {
			return
		}
		p := tg.Path("/assets")
		rel, err := filepath.Rel("/assets", p)
		if err != nil || rel == "." || rel == ".." || strings.HasPrefix(rel, "../") || len(strings.Split(rel, "/")) > 3 {
			t.Errorf("ParseAssetTarget(%q) = %+v, path %q escapes or is too deep", s, tg, p)
		}
		if tg.String() != s && AssetName(s) == s {
			t.Errorf("ParseAssetTarget(%q).String() = %q", s, tg.String())
		}
	})
}
