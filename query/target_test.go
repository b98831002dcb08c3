package query

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

const (
	hashA = "0123456789abcdef0123456789abcdef01234567"
	hashU = "0123456789ABCDEF0123456789ABCDEF01234567"
)

func TestParseTarget(t *testing.T) {
	type want struct {
		ok       bool
		usage    string // non-empty: a *UsageError containing this
		kind     TargetKind
		hash     string
		repoType string
		repoID   string
		path     string
		glob     bool
		exact    bool
	}
	for _, tc := range []struct {
		in   string
		want want
	}{
		// commit hashes and prefixes of at least 8 hex digits.
		{hashA, want{ok: true, kind: TargetRevision, hash: hashA}},
		{hashU, want{ok: true, kind: TargetRevision, hash: hashU}},
		{"  " + hashA + "\t", want{usage: "leading or trailing white space"}}, // nothing is trimmed
		{hashA + " ", want{usage: "leading or trailing white space"}},
		{hashA + "\r", want{usage: "leading or trailing white space"}},
		{"0123abcd", want{ok: true, kind: TargetRevision, hash: "0123abcd"}},
		{"0123ABCD", want{ok: true, kind: TargetRevision, hash: "0123ABCD"}},
		{"0123abc", want{}}, // 7 hex: too short to be a target
		{hashA + "8", want{ok: true, kind: TargetRevision, hash: hashA + "8"}}, // 41 hex: a snapshot folder may have any name
		{hashA[:39], want{ok: true, kind: TargetRevision, hash: hashA[:39]}},
		{"0123abcg", want{}},  // not hex
		{"0123 abcd", want{}}, // inner space
		{"main", want{}},      // a ref name is not a target
		{"model/org/name@", want{usage: "bad revision"}},
		// cache ids of every type.
		{"model/org/name", want{ok: true, kind: TargetRepo, repoType: "model", repoID: "org/name"}},
		{"dataset/x", want{ok: true, kind: TargetRepo, repoType: "dataset", repoID: "x"}},
		{"space/a/b", want{ok: true, kind: TargetRepo, repoType: "space", repoID: "a/b"}},
		{"kernel/a/b", want{ok: true, kind: TargetRepo, repoType: "kernel", repoID: "a/b"}},
		{"model/gpt2", want{ok: true, kind: TargetRepo, repoType: "model", repoID: "gpt2"}},
		{"model/Org/Name", want{ok: true, kind: TargetRepo, repoType: "model", repoID: "Org/Name"}},
		{"model/org/name@" + hashA, want{ok: true, kind: TargetRepoRevision, hash: hashA, repoType: "model", repoID: "org/name"}},
		{"model/org/name@0123ABCD", want{ok: true, kind: TargetRepoRevision, hash: "0123ABCD", repoType: "model", repoID: "org/name"}},
		{"dataset/x@0123abcd", want{ok: true, kind: TargetRepoRevision, hash: "0123abcd", repoType: "dataset", repoID: "x"}},
		{"model/org/name@zz", want{usage: "bad revision"}},
		{"model/org/name@main", want{usage: "bad revision"}},
		{"model/org/at@sign", want{usage: "=model/org/at%40sign"}}, // the hint names the exact form
		{"model/org/name@0123abc", want{usage: "bad revision"}},
		// hf:// repo URIs.
		{"hf://org/name", want{ok: true, kind: TargetRepo, repoType: "model", repoID: "org/name"}},
		{"hf://org/name/", want{ok: true, kind: TargetRepo, repoType: "model", repoID: "org/name"}},
		{"hf://models/org/name", want{ok: true, kind: TargetRepo, repoType: "model", repoID: "org/name"}},
		{"hf://datasets/org/name", want{ok: true, kind: TargetRepo, repoType: "dataset", repoID: "org/name"}},
		{"hf://spaces/org/app", want{ok: true, kind: TargetRepo, repoType: "space", repoID: "org/app"}},
		{"hf://kernels/org/k", want{ok: true, kind: TargetRepo, repoType: "kernel", repoID: "org/k"}},
		{"hf://gpt2", want{usage: "namespace/name"}},
		{"hf://models/gpt2", want{usage: "namespace/name"}},
		{"hf://datasets", want{usage: "namespace/name"}},
		{"hf://", want{usage: "namespace/name"}},
		{"hf://org/name@main", want{usage: "bad revision"}},
		{"hf://org/name@" + hashA, want{ok: true, kind: TargetRepoRevision, hash: hashA, repoType: "model", repoID: "org/name"}},
		{"hf://datasets/org/name@main", want{usage: "bad revision"}},
		{"hf://org@x/name", want{usage: "bad repo id"}},
		// file targets: hf:// paths (exact) and <type>/<id>[@rev]:<glob>.
		{"hf://org/name/config.json", want{ok: true, kind: TargetFile, repoType: "model", repoID: "org/name", path: "config.json"}},
		{"hf://org/name/sub/dir/file", want{ok: true, kind: TargetFile, repoType: "model", repoID: "org/name", path: "sub/dir/file"}},
		{"hf://datasets/org/d/data/x@1.csv", want{ok: true, kind: TargetFile, repoType: "dataset", repoID: "org/d", path: "data/x@1.csv"}},
		{"hf://kernels/org/k@main/a.so", want{ok: true, kind: TargetFile, hash: "main", repoType: "kernel", repoID: "org/k", path: "a.so"}},
		{"hf://org/name@/a", want{usage: "empty revision"}},
		{"hf://org/name/a/../b", want{usage: "bad path"}},
		{"hf://org/name/a//b", want{usage: "bad path"}},
		{"model/org/name:*Q8_0*", want{ok: true, kind: TargetFile, repoType: "model", repoID: "org/name", path: "*Q8_0*", glob: true}},
		{"model/org/name@0123abcd:a/*.bin", want{ok: true, kind: TargetFile, hash: "0123abcd", repoType: "model", repoID: "org/name", path: "a/*.bin", glob: true}},
		{"dataset/x@main:f@1.txt", want{ok: true, kind: TargetFile, hash: "main", repoType: "dataset", repoID: "x", path: "f@1.txt", glob: true}},
		{"model/org/name:", want{usage: "empty glob"}},
		{"model/org/na:me", want{ok: true, kind: TargetFile, repoType: "model", repoID: "org/na", path: "me", glob: true}},
		// the exact form: =<type>/<id>[@<hash>], =<hash>, =<type>/<id>[@<revision>]:<glob>, %XX escapes.
		{"=model/org/name", want{ok: true, exact: true, kind: TargetRepo, repoType: "model", repoID: "org/name"}},
		{"=model/org/na%3Ame", want{ok: true, exact: true, kind: TargetRepo, repoType: "model", repoID: "org/na:me"}},
		{"=model/org/at%40sign", want{ok: true, exact: true, kind: TargetRepo, repoType: "model", repoID: "org/at@sign"}},
		{"=model/org/name%20", want{ok: true, exact: true, kind: TargetRepo, repoType: "model", repoID: "org/name "}},
		{"=model/org/a b", want{ok: true, exact: true, kind: TargetRepo, repoType: "model", repoID: "org/a b"}},
		{"=model/org/a%0Ab%0d", want{ok: true, exact: true, kind: TargetRepo, repoType: "model", repoID: "org/a\nb\r"}},
		{"=model/org/100%25", want{ok: true, exact: true, kind: TargetRepo, repoType: "model", repoID: "org/100%"}},
		{"=model/org/.", want{ok: true, exact: true, kind: TargetRepo, repoType: "model", repoID: "org/."}}, // a folder models--org--. exists
		{"=model/..", want{ok: true, exact: true, kind: TargetRepo, repoType: "model", repoID: ".."}},
		{"=model/org/caf\xe9", want{ok: true, exact: true, kind: TargetRepo, repoType: "model", repoID: "org/caf\xe9"}},
		{"=model/org/a@" + hashU, want{ok: true, exact: true, kind: TargetRepoRevision, hash: hashU, repoType: "model", repoID: "org/a"}},
		{"=model/org/a@%20x", want{ok: true, exact: true, kind: TargetRepoRevision, hash: " x", repoType: "model", repoID: "org/a"}},
		{"=model/org/a@b@c", want{ok: true, exact: true, kind: TargetRepoRevision, hash: "b@c", repoType: "model", repoID: "org/a"}},
		{"=" + hashA, want{ok: true, exact: true, kind: TargetRevision, hash: hashA}},
		{"=main", want{ok: true, exact: true, kind: TargetRevision, hash: "main"}},
		{"=%20" + hashA, want{ok: true, exact: true, kind: TargetRevision, hash: " " + hashA}},
		{"==x", want{ok: true, exact: true, kind: TargetRevision, hash: "=x"}},
		{"=#c", want{ok: true, exact: true, kind: TargetRevision, hash: "#c"}},
		{"=model/org/na%3Ame:*.bin", want{ok: true, exact: true, kind: TargetFile, repoType: "model", repoID: "org/na:me", path: "*.bin", glob: true}},
		{"=model/org/a@we%3Aird:a:b", want{ok: true, exact: true, kind: TargetFile, hash: "we:ird", repoType: "model", repoID: "org/a", path: "a:b", glob: true}},
		{"=", want{usage: "nothing after '='"}},
		{"=%", want{usage: "bad escape"}},
		{"=model/org/a%2", want{usage: "bad escape"}},
		{"=model/org/a%g0", want{usage: "bad escape"}},
		{"=model/org/a@%zz", want{usage: "bad escape"}},
		{"=models/org/a", want{usage: "unknown repo type"}},
		{"=org/a", want{usage: "unknown repo type"}},
		{"=model/", want{usage: "empty repo id"}},
		{"=model/org//a", want{usage: "empty repo id or id segment"}},
		{"=model/org/a@", want{usage: "empty revision"}},
		{"=model/org/a:", want{usage: "empty glob"}},
		{"=model/org/a:[x", want{usage: "unterminated"}},
		{"=abc:x", want{usage: "a glob needs a repo"}},
		{"= model/org/a", want{usage: "unknown repo type"}},
		{"model/org/name@:x", want{usage: "empty revision"}},
		{"model/org/name:[ab", want{usage: "unterminated"}},
		{"org/name:*.bin", want{usage: "want <type>/<repo id>"}},
		{"hf://buckets/x/y", want{usage: "only repository hf:// URIs"}},
		{"hf://org/..", want{usage: "bad repo id"}},
		{"hf://./x", want{usage: "bad repo id"}},
		// names hfidx does not look up: unknown, not errors.
		{"org/name", want{}},
		{"models/org/name", want{}},
		{"datasets/x", want{}},
		{"Model/org/name", want{}},
		{"model/", want{}},
		{"model//x", want{}},
		{"model/org/", want{}},
		{"model/../x", want{}},
		{"model/org/..", want{}},
		{"model/./x", want{}},
		{"gpt2", want{}},
		// empty targets.
		{"", want{usage: "empty target"}},
		{"   \t", want{usage: "empty target"}},
	} {
		got, ok, err := ParseTarget(tc.in)
		if tc.want.usage != "" {
			var ue *UsageError
			if !errors.As(err, &ue) || !strings.Contains(err.Error(), tc.want.usage) {
				t.Errorf("ParseTarget(%q) error = %v, want a *UsageError containing %q", tc.in, err, tc.want.usage)
			}
			if ok {
				t.Errorf("ParseTarget(%q) ok = true with an error", tc.in)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseTarget(%q) error = %v, want none", tc.in, err)
			continue
		}
		if ok != tc.want.ok {
			t.Errorf("ParseTarget(%q) ok = %v, want %v (target %+v)", tc.in, ok, tc.want.ok, got)
			continue
		}
		if !ok {
			continue
		}
		w := tc.want
		if got.Kind != w.kind || got.Hash != w.hash || got.RepoType != w.repoType || got.RepoID != w.repoID ||
			got.Path != w.path || got.Glob != w.glob || got.Exact != w.exact {
			t.Errorf("ParseTarget(%q) = {kind %d, hash %q, type %q, id %q}, want {kind %d, hash %q, type %q, id %q}",
				tc.in, got.Kind, got.Hash, got.RepoType, got.RepoID, w.kind, w.hash, w.repoType, w.repoID)
		}
		if got.Raw != tc.in {
			t.Errorf("ParseTarget(%q).Raw = %q, want the input", tc.in, got.Raw)
		}
	}
}

func TestMatchPath(t *testing.T) {
	for _, tc := range []struct {
		target string
		path   string
		want   bool
	}{
		{"hf://org/n/config.json", "config.json", true},
		{"hf://org/n/config.json", "sub/config.json", false},
		{"hf://org/n/Config.json", "config.json", false}, // case-sensitive
		{"hf://org/n/sub", "sub/x.bin", false},           // exact: no folders, as the library
		{"model/org/n:*Q8_0*", "model-Q8_0.gguf", true},
		{"model/org/n:*Q8_0*", "model-Q4_K_M.gguf", false},
		{"model/org/n:*Q8_0*", "Q8_0/model-00001-of-00002.gguf", true}, // a folder name matches
		{"model/org/n:*Q8_0*", "deep/in/x-Q8_0.gguf", true},            // no '/': any name on the path
		{"model/org/n:*.json", "config.json", true},
		{"model/org/n:*.json", "a/b.json", true},
		{"model/org/n:a/*.bin", "a/x.bin", true},
		{"model/org/n:a/*.bin", "a/b/x.bin", false}, // '*' stops at '/'
		{"model/org/n:a/**.bin", "a/b/x.bin", true},
		{"model/org/n:a/*", "a/b/x.bin", true}, // the folder a/b matches
		{"model/org/n:?.txt", "a.txt", true},
		{"model/org/n:?.txt", "ab.txt", false},
		{"model/org/n:[ab].txt", "b.txt", true},
		{"model/org/n:[!ab].txt", "b.txt", false},
		{"model/org/n:[!ab].txt", "c.txt", true},
		{"model/org/n:a.b", "axb", false}, // '.' is literal
		{"model/org/n:\\*", "*", true},
		{"model/org/n:\\*", "x", false},
	} {
		tg, ok, err := ParseTarget(tc.target)
		if err != nil || !ok {
			t.Fatalf("ParseTarget(%q) = %v, %v", tc.target, ok, err)
		}
		if got := tg.MatchPath(tc.path); got != tc.want {
			t.Errorf("ParseTarget(%q).MatchPath(%q) = %v, want %v", tc.target, tc.path, got, tc.want)
		}
	}
}

func TestTargetString(t *testing.T) {
	for _, tc := range []struct{ in, want, cacheID string }{
		{hashA, hashA, ""},
		{"model/org/name", "model/org/name", "model/org/name"},
		{"hf://datasets/org/d", "dataset/org/d", "dataset/org/d"},
		{"space/a/b@0123abcd", "space/a/b@0123abcd", "space/a/b"},
		{"hf://org/n@main/a/b.bin", "model/org/n@main:a/b.bin", "model/org/n"},
		{"model/org/n:*Q8*", "model/org/n:*Q8*", "model/org/n"},
	} {
		tg, ok, err := ParseTarget(tc.in)
		if err != nil || !ok {
			t.Fatalf("ParseTarget(%q) = %v, %v", tc.in, ok, err)
		}
		if got := tg.String(); got != tc.want {
			t.Errorf("ParseTarget(%q).String() = %q, want %q", tc.in, got, tc.want)
		}
		if tc.cacheID != "" && tg.CacheID() != tc.cacheID {
			t.Errorf("ParseTarget(%q).CacheID() = %q, want %q", tc.in, tg.CacheID(), tc.cacheID)
		}
	}
}

func FuzzParseTarget(f *testing.F) {
	for _, s := range []string{
		hashA, "0123abcd", "0123abc", "model/org/name", "dataset/x", "model/gpt2",
		"model/org/name@" + hashA, "model/org/name@zz", "hf://org/name", "hf://models/org/name",
		"hf://datasets/org/name", "hf://gpt2", "hf://org/name@main", "hf://org/name/config.json",
		"hf://buckets/x/y", "org/name", "", "model/../x", "hf://org//name", "hf:///", "@", "model/@",
		"model/org/name:*Q8_0*", "model/org/n@main:a/**/[!x]?.bin", "hf://org/n@abc/x", "model/x:[", "model/x:\\",
		" " + hashA, hashA + "\r", hashA + "8", "=model/org/na%3Ame", "=model/org/a@%20x:*.bin", "=%zz", "=", "=main",
		"=model/org/a%0A", "=model/..", "=abc:x", "model/org/at@sign",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tg, ok, err := ParseTarget(s)
		if err != nil {
			var ue *UsageError
			if !errors.As(err, &ue) {
				t.Fatalf("ParseTarget(%q) error %T (%v), want *UsageError", s, err, err)
			}
			if ok {
				t.Fatalf("ParseTarget(%q) ok with an error", s)
			}
			return
		}
		if !ok {
			return
		}
		if s != strings.TrimSpace(s) {
			t.Fatalf("ParseTarget(%q) accepted white space at an end", s)
		}
		if tg.Exact {
			// the exact form renders back to itself, up to escapes.
			back, ok2, err2 := ParseTarget(tg.String())
			if err2 != nil || !ok2 || back.Kind != tg.Kind || back.Hash != tg.Hash || back.RepoType != tg.RepoType ||
				back.RepoID != tg.RepoID || back.Path != tg.Path || !back.Exact {
				t.Fatalf("ParseTarget(%q) = %+v; its String %q parses as %+v, %v, %v", s, tg, tg.String(), back, ok2, err2)
			}
		}
		switch tg.Kind {
		case TargetRevision:
			if tg.Hash == "" || !tg.Exact && !hexRe.MatchString(tg.Hash) {
				t.Fatalf("ParseTarget(%q) revision hash %q is not 8+ hex", s, tg.Hash)
			}
		case TargetRepo, TargetRepoRevision:
			if !repoTypes[tg.RepoType] {
				t.Fatalf("ParseTarget(%q) repo type %q", s, tg.RepoType)
			}
			for _, seg := range strings.Split(tg.RepoID, "/") {
				if seg == "" || !tg.Exact && (seg == "." || seg == "..") {
					t.Fatalf("ParseTarget(%q) repo id %q has an empty or dot segment", s, tg.RepoID)
				}
			}
			if tg.Kind == TargetRepoRevision && (tg.Hash == "" || !tg.Exact && !hexRe.MatchString(tg.Hash)) {
				t.Fatalf("ParseTarget(%q) revision hash %q is not 8+ hex", s, tg.Hash)
			}
			if tg.Kind == TargetRepo && tg.Hash != "" {
				t.Fatalf("ParseTarget(%q) repo target with hash %q", s, tg.Hash)
			}
		case TargetFile:
			if !repoTypes[tg.RepoType] || !tg.Exact && !validRepoID(tg.RepoID) || tg.RepoID == "" || tg.Path == "" {
				t.Fatalf("ParseTarget(%q) file target %+v", s, tg)
			}
			if !tg.Glob && !validRepoPath(tg.Path) {
				t.Fatalf("ParseTarget(%q) path %q has an empty or dot segment", s, tg.Path)
			}
			if !tg.Glob && !tg.MatchPath(tg.Path) {
				t.Fatalf("ParseTarget(%q) does not match its own path", s)
			}
		default:
			t.Fatalf("ParseTarget(%q) kind %d", s, tg.Kind)
		}
	})
}

// TestQuoteExact: what QuoteExact writes is one line without white space
// at its ends, and "=" followed by it parses back to the exact text.
func TestQuoteExact(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"model/org/name", "model/org/name"},
		{"model/org/name ", "model/org/name%20"},
		{" x ", "%20x%20"},
		{"model/org/a b", "model/org/a b"},
		{"model/org/na:me", "model/org/na%3Ame"},
		{"model/org/at@sign", "model/org/at%40sign"},
		{"model/org/100%", "model/org/100%25"},
		{"model/org/a\nb\r", "model/org/a%0Ab%0D"},
		{"model/org/tab\tx\x7f", "model/org/tab%09x%7F"},
		{"model/org/caf\u00e9", "model/org/caf\u00e9"},
		{"model/org/cafe\u0301", "model/org/cafe\u0301"},
		{"model/org/caf\xe9", "model/org/caf\xe9"},
		{"x\u00a0", "x%C2%A0"},
		{"a\u2028b\u0085", "a%E2%80%A8b%C2%85"},
		{"=x", "=x"},
		{"#c", "#c"},
	} {
		if got := QuoteExact(tc.in); got != tc.want {
			t.Errorf("QuoteExact(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func FuzzQuoteExact(f *testing.F) {
	for _, s := range []string{"org/name", "org/name ", " a", "na:me", "at@sign", "100%", "a\nb", "\r", "caf\xe9", "\u2028", ".", "a//b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		q := QuoteExact(s)
		if strings.ContainsAny(q, "\n\r@:") || q != strings.TrimSpace(q) {
			t.Fatalf("QuoteExact(%q) = %q: a line break, '@', ':' or white space at an end", s, q)
		}
		if s == "" {
			return
		}
		if !strings.Contains(s, "/") {
			tg, ok, err := ParseTarget("=" + q)
			if err != nil || !ok || tg.Kind != TargetRevision || tg.Hash != s {
				t.Fatalf("ParseTarget(%q) = %+v, %v, %v; want the revision %q", "="+q, tg, ok, err, s)
			}
		}
		if slices.Contains(strings.Split(s, "/"), "") {
			return
		}
		tg, ok, err := ParseTarget("=model/" + q)
		if err != nil || !ok || tg.Kind != TargetRepo || tg.RepoID != s {
			t.Fatalf("ParseTarget(%q) = %+v, %v, %v; want the repo %q", "=model/"+q, tg, ok, err, s)
		}
		if PlainRepo("model/" + s) {
			tg, ok, err := ParseTarget("model/" + s)
			if err != nil || !ok || tg.Kind != TargetRepo || tg.RepoID != s {
				t.Fatalf("PlainRepo(%q), but it parses as %+v, %v, %v", "model/"+s, tg, ok, err)
			}
		}
	})
}
