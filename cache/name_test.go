package cache

import (
	"strings"
	"testing"
)

func TestRepoTypeForms(t *testing.T) {
	tests := []struct {
		t      RepoType
		plural string
		title  string
	}{
		{Model, "models", "Model"},
		{Dataset, "datasets", "Dataset"},
		{Space, "spaces", "Space"},
		{Kernel, "kernels", "Kernel"},
		{"", "s", ""},
		{"x", "xs", "X"},
		{"Élan", "Élans", "Élan"},
	}
	for _, tt := range tests {
		if got := tt.t.Plural(); got != tt.plural {
			t.Errorf("RepoType(%q).Plural() = %q, want %q", tt.t, got, tt.plural)
		}
		if got := tt.t.Title(); got != tt.title {
			t.Errorf("RepoType(%q).Title() = %q, want %q", tt.t, got, tt.title)
		}
	}
}

func TestParseRepoType(t *testing.T) {
	tests := []struct {
		s    string
		want RepoType
		ok   bool
	}{
		{"model", Model, true},
		{"dataset", Dataset, true},
		{"space", Space, true},
		{"kernel", Kernel, true},
		{"models", "", false},
		{"Model", "", false},
		{"MODEL", "", false},
		{" model", "", false},
		{"", "", false},
		{"bucket", "", false},
	}
	for _, tt := range tests {
		got, ok := ParseRepoType(tt.s)
		if got != tt.want || ok != tt.ok {
			t.Errorf("ParseRepoType(%q) = %q, %v, want %q, %v", tt.s, got, ok, tt.want, tt.ok)
		}
	}
}

func TestFolderName(t *testing.T) {
	tests := []struct {
		t    RepoType
		id   string
		want string
	}{
		{Model, "gpt2", "models--gpt2"},
		{Model, "google-bert/bert-base-uncased", "models--google-bert--bert-base-uncased"},
		{Dataset, "nyu-mll/glue", "datasets--nyu-mll--glue"},
		{Space, "dalle-mini/dalle-mini", "spaces--dalle-mini--dalle-mini"},
		{Kernel, "kernels-community/activation", "kernels--kernels-community--activation"},
		{Model, "Org/Repo", "models--Org--Repo"}, // case kept
		{Model, "a/b/c", "models--a--b--c"},
		{Model, "a/-b", "models--a---b"},
		{Model, "", "models--"},
		{Model, "/x", "models----x"},
	}
	for _, tt := range tests {
		if got := FolderName(tt.t, tt.id); got != tt.want {
			t.Errorf("FolderName(%q, %q) = %q, want %q", tt.t, tt.id, got, tt.want)
		}
	}
}

// folderNameTests holds every example of spec §1.4 with what hfidx's strict
// parse and the library's loose parse make of it.
var folderNameTests = []struct {
	name string
	// strict: ParseFolderName
	typ    RepoType
	id     string
	errMsg string
	// loose: LibraryParseFolderName
	libType RepoType
	libID   string
	libOK   bool
}{
	{"models--gpt2", Model, "gpt2", "", Model, "gpt2", true},
	{"models--google-bert--bert-base-uncased", Model, "google-bert/bert-base-uncased", "", Model, "google-bert/bert-base-uncased", true},
	{"datasets--nyu-mll--glue", Dataset, "nyu-mll/glue", "", Dataset, "nyu-mll/glue", true},
	{"spaces--dalle-mini--dalle-mini", Space, "dalle-mini/dalle-mini", "", Space, "dalle-mini/dalle-mini", true},
	{"models--Org--Repo", Model, "Org/Repo", "", Model, "Org/Repo", true},
	{"models--a--b--c", Model, "a/b/c", "", Model, "a/b/c", true},
	{"models--a-b--c", Model, "a-b/c", "", Model, "a-b/c", true},
	{"models--a---b", Model, "a/-b", "", Model, "a/-b", true},
	{"models---a", Model, "-a", "", Model, "-a", true},
	{"models--a---", Model, "a/-", "", Model, "a/-", true},
	{"models--.hidden", Model, ".hidden", "", Model, ".hidden", true},
	{"models--a--b.incomplete", Model, "a/b.incomplete", "", Model, "a/b.incomplete", true},

	// Kernels: downloaded by the library, rejected by its scanner.
	{"kernels--a--b", Kernel, "a/b", "", "", "", false},

	// Empty ids and segments: accepted by the library.
	{"models--", "", "", "not a repo folder: empty repo id", Model, "", true},
	{"models----x", "", "", `not a repo folder: empty segment in repo id "/x"`, Model, "/x", true},
	{"models--a--", "", "", `not a repo folder: empty segment in repo id "a/"`, Model, "a/", true},
	{"models--a----b", "", "", `not a repo folder: empty segment in repo id "a//b"`, Model, "a//b", true},
	{"datasets------", "", "", `not a repo folder: empty segment in repo id "//"`, Dataset, "//", true},

	// Any last character of the type is dropped by the library.
	{"modelx--foo", "", "", `not a repo folder: type "modelx" is not models, datasets, spaces or kernels`, Model, "foo", true},
	{"datasetz--bar", "", "", `not a repo folder: type "datasetz" is not models, datasets, spaces or kernels`, Dataset, "bar", true},
	{"model--foo", "", "", `not a repo folder: type "model" is not models, datasets, spaces or kernels`, "", "", false},
	{"spaces_--foo", "", "", `not a repo folder: type "spaces_" is not models, datasets, spaces or kernels`, "", "", false},
	{"modelé--foo", "", "", `not a repo folder: type "modelé" is not models, datasets, spaces or kernels`, Model, "foo", true},
	{"model\xff--foo", "", "", `not a repo folder: type "model\xff" is not models, datasets, spaces or kernels`, Model, "foo", true},
	{"MODELS--x", "", "", `not a repo folder: type "MODELS" is not models, datasets, spaces or kernels`, "", "", false},
	{"not-models--t5-small", "", "", `not a repo folder: type "not-models" is not models, datasets, spaces or kernels`, "", "", false},
	{"--x", "", "", `not a repo folder: type "" is not models, datasets, spaces or kernels`, "", "", false},

	// No separator.
	{"", "", "", `not a repo folder: no "--" in name`, "", "", false},
	{"models", "", "", `not a repo folder: no "--" in name`, "", "", false},
	{"models-gpt2", "", "", `not a repo folder: no "--" in name`, "", "", false},
	{"xet", "", "", `not a repo folder: no "--" in name`, "", "", false},
	{"hub", "", "", `not a repo folder: no "--" in name`, "", "", false},
	{"assets", "", "", `not a repo folder: no "--" in name`, "", "", false},
	{".locks", "", "", `not a repo folder: no "--" in name`, "", "", false},
	{"CACHEDIR.TAG", "", "", `not a repo folder: no "--" in name`, "", "", false},

	// Not a file name at all.
	{"models--a/b", "", "", `not a repo folder: "/" in name`, Model, "a/b", true},
}

func TestParseFolderName(t *testing.T) {
	for _, tt := range folderNameTests {
		typ, id, err := ParseFolderName(tt.name)
		if tt.errMsg != "" {
			if err == nil || err.Error() != tt.errMsg || typ != "" || id != "" {
				t.Errorf("ParseFolderName(%q) = %q, %q, %v, want error %q", tt.name, typ, id, err, tt.errMsg)
			}
			continue
		}
		if err != nil || typ != tt.typ || id != tt.id {
			t.Errorf("ParseFolderName(%q) = %q, %q, %v, want %q, %q, nil", tt.name, typ, id, err, tt.typ, tt.id)
		}
	}
}

func TestLibraryParseFolderName(t *testing.T) {
	for _, tt := range folderNameTests {
		typ, id, ok := LibraryParseFolderName(tt.name)
		if typ != tt.libType || id != tt.libID || ok != tt.libOK {
			t.Errorf("LibraryParseFolderName(%q) = %q, %q, %v, want %q, %q, %v",
				tt.name, typ, id, ok, tt.libType, tt.libID, tt.libOK)
		}
	}
}

func TestFolderNameRoundTrip(t *testing.T) {
	ids := []string{"gpt2", "a/b", "a/b/c", "a/-b", "-", "a/-", "Org/Repo", "a.b/c_d", "日本/語"}
	for _, typ := range repoTypes {
		for _, id := range ids {
			name := FolderName(typ, id)
			gotType, gotID, err := ParseFolderName(name)
			if err != nil || gotType != typ || gotID != id {
				t.Errorf("ParseFolderName(%q) = %q, %q, %v, want %q, %q, nil", name, gotType, gotID, err, typ, id)
			}
		}
	}
}

// An id segment ending in "-" (not allowed on the Hub) collides with the
// next segment starting with "-"; the parse reads the "/" leftmost.
func TestFolderNameCollision(t *testing.T) {
	a, b := FolderName(Model, "a-/b"), FolderName(Model, "a/-b")
	if a != b || a != "models--a---b" {
		t.Errorf("FolderName(model, %q), FolderName(model, %q) = %q, %q, want both %q", "a-/b", "a/-b", a, b, "models--a---b")
	}
	if typ, id, err := ParseFolderName(a); typ != Model || id != "a/-b" || err != nil {
		t.Errorf("ParseFolderName(%q) = %q, %q, %v, want %q, %q, nil", a, typ, id, err, Model, "a/-b")
	}
}

func FuzzParseFolderName(f *testing.F) {
	for _, tt := range folderNameTests {
		f.Add(tt.name)
	}
	f.Fuzz(func(t *testing.T, name string) {
		typ, id, err := ParseFolderName(name)
		libType, libID, libOK := LibraryParseFolderName(name)
		if libOK && !strings.Contains(name, "/") {
			// The library's name differs from FolderName's at most in the
			// type's last character.
			_, rest, _ := strings.Cut(name, "--")
			_, got, _ := strings.Cut(FolderName(libType, libID), "--")
			if got != rest {
				t.Fatalf("LibraryParseFolderName(%q) = %q, %q, true; id part %q, want %q", name, libType, libID, got, rest)
			}
		}
		if err != nil {
			if typ != "" || id != "" {
				t.Fatalf("ParseFolderName(%q) = %q, %q, %v, want empty results with the error", name, typ, id, err)
			}
			if msg := err.Error(); !strings.HasPrefix(msg, "not a repo folder: ") || strings.Contains(msg, "\n") {
				t.Fatalf("ParseFolderName(%q) error = %q, want one line starting with %q", name, msg, "not a repo folder: ")
			}
			return
		}
		if got := FolderName(typ, id); got != name {
			t.Fatalf("FolderName(ParseFolderName(%q)) = %q, want %q", name, got, name)
		}
		// Where hfidx accepts a name the library also knows, they agree.
		if typ != Kernel && (!libOK || libType != typ || libID != id) {
			t.Fatalf("LibraryParseFolderName(%q) = %q, %q, %v, want %q, %q, true", name, libType, libID, libOK, typ, id)
		}
	})
}
