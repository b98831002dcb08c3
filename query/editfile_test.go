package query

import (
	"reflect"
	"strings"
	"testing"
)

const (
	editNow   = 1_700_000_000.0
	editHashA = "abcdef0123456789abcdef0123456789abcdef01"
	editHashB = "older_hash_000000000000000000000000000000"
	editHashC = "9999999999999999999999999999999999999999"
	hourSecs  = 3600.0
)

func editRepos() []ChoiceRepo {
	return []ChoiceRepo{
		{Folder: "models--gpt2", CacheID: "model/gpt2", RepoType: "model", RepoID: "gpt2", SizeOnDisk: 3_600_000_000,
			LastAccessed: editNow - 2*hourSecs,
			Revisions: []ChoiceRevision{
				{Hash: editHashB, Refs: []string{}, LastModified: editNow - 3*365*86400},
				{Hash: editHashA, Refs: []string{"main", "refs/pr/1"}, LastModified: editNow - 2*86400},
			}},
		{Folder: "datasets--org--empty", CacheID: "dataset/org/empty", RepoType: "dataset", RepoID: "org/empty",
			Damaged: true, LastAccessed: editNow - 30},
		{Folder: "spaces--org--s", CacheID: "space/org/s", RepoType: "space", RepoID: "org/s", SizeOnDisk: 5100,
			LastAccessed: editNow - 10*86400,
			Revisions:    []ChoiceRevision{{Hash: editHashC, Refs: []string{"main"}, LastModified: editNow - 5}}},
	}
}

func TestEditFileLayout(t *testing.T) {
	repos := editRepos()
	got := EditFile(repos, map[RevisionKey]bool{{"models--gpt2", editHashA}: true}, editNow)
	if !strings.HasPrefix(got, "# INSTRUCTIONS\n# ------------\n") {
		t.Errorf("EditFile does not start with the instructions header:\n%s", got)
	}
	if strings.HasSuffix(got, "\n") {
		t.Errorf("EditFile ends with a newline")
	}
	kill := "\n\n# KILL SWITCH\n# ------------\n# Un-comment the next line to cancel the deletion, whatever else is chosen.\n# CANCEL_DELETION\n# ------------\n\n# REVISIONS\n# ------------\n"
	if !strings.Contains(got, kill) {
		t.Errorf("EditFile lacks the kill switch section %q:\n%s", kill, got)
	}
	_, list, _ := strings.Cut(got, "# REVISIONS\n# ------------\n")
	want := "# Model gpt2 (3.6G, used 2 hours ago)\n" +
		"#    " + editHashB + " # Refs: (detached) # modified 3 years ago\n" +
		"    " + editHashA + " # Refs: main, refs/pr/1 # modified 2 days ago\n" +
		"\n" +
		"# Dataset org/empty [damaged] (0.0, used 30 seconds ago)\n" +
		"#    dataset/org/empty # no revisions: un-comment to delete the whole repo\n" +
		"\n" +
		"# Space org/s (5.1K, used 1 week ago)\n" +
		"#    " + editHashC + " # Refs: main # modified a few seconds ago"
	if list != want {
		t.Errorf("EditFile revisions =\n%s\nwant\n%s", list, want)
	}
	for _, line := range strings.Split(got, "\n") {
		if line != "" && !strings.HasPrefix(line, "#") && !strings.HasPrefix(line, "    "+editHashA) {
			t.Errorf("EditFile line %q is neither a comment nor the selected revision", line)
		}
	}
}

func TestEditFileRoundTrip(t *testing.T) {
	repos := editRepos()
	if got := ParseEditFile(EditFile(repos, nil, editNow)); len(got) != 0 {
		t.Errorf("ParseEditFile(EditFile(nothing selected)) = %q, want nothing", got)
	}
	all := map[RevisionKey]bool{{"models--gpt2", editHashA}: true, {"models--gpt2", editHashB}: true, {"spaces--org--s", editHashC}: true}
	got := ParseEditFile(EditFile(repos, all, editNow))
	if want := []string{editHashB, editHashA, editHashC}; !reflect.DeepEqual(got, want) {
		t.Errorf("ParseEditFile(EditFile(all selected)) = %q, want %q (file order)", got, want)
	}
	// The user un-comments the kill switch and the repo without revisions.
	text := EditFile(repos, nil, editNow)
	text = strings.Replace(text, "\n# CANCEL_DELETION\n", "\nCANCEL_DELETION\n", 1)
	text = strings.Replace(text, "#    dataset/org/empty", "    dataset/org/empty", 1)
	if got, want := ParseEditFile(text), []string{CancelDeletion, "dataset/org/empty"}; !reflect.DeepEqual(got, want) {
		t.Errorf("ParseEditFile(kill switch and repo un-commented) = %q, want %q", got, want)
	}
}

func TestParseEditFile(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"", []string{}},
		{"# a comment\n#    " + editHashA, []string{}},
		{editHashA, []string{editHashA}},
		{"   " + editHashA + "   ", []string{editHashA}},
		{"\t" + editHashA + " # Refs: main # modified 2 days ago", []string{editHashA}},
		{editHashA + "#no space before the comment", []string{editHashA}},
		{"  # indented comment " + editHashA, []string{}},
		{"\n\n  \n" + editHashA + "\n\n", []string{editHashA}},
		// order and duplicates are kept.
		{editHashB + "\n" + editHashA + "\n" + editHashB, []string{editHashB, editHashA, editHashB}},
		// Windows line ends.
		{editHashA + "\r\n" + editHashB + "\r\n", []string{editHashA, editHashB}},
		// free text is kept, whole, to be reported as unknown.
		{"hello world # hi", []string{"hello world"}},
		{"CANCEL_DELETION", []string{CancelDeletion}},
		{"# CANCEL_DELETION", []string{}},
		{"    CANCEL_DELETION # un-commented", []string{CancelDeletion}},
		{"#", []string{}},
		{" # ", []string{}},
	}
	for _, tt := range tests {
		if got := ParseEditFile(tt.in); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("ParseEditFile(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// FuzzParseEditFile holds the parser's invariants on any text: every
// result is non-empty, stripped, on one line and free of '#', and parsing
// the results again, one per line, gives them back.
func FuzzParseEditFile(f *testing.F) {
	f.Add(EditFile(editRepos(), nil, editNow))
	f.Add(EditFile(editRepos(), map[RevisionKey]bool{{"models--gpt2", editHashA}: true}, editNow))
	f.Add("CANCEL_DELETION\n" + editHashA + " # x\r\n\t#" + editHashB)
	f.Add(" \u00a0x\u2028y # z\n\v#")
	f.Fuzz(func(t *testing.T, text string) {
		got := ParseEditFile(text)
		for _, s := range got {
			if s == "" || s != strings.TrimSpace(s) || strings.ContainsAny(s, "#\n") {
				t.Fatalf("ParseEditFile(%q) returned %q", text, s)
			}
		}
		if again := ParseEditFile(strings.Join(got, "\n")); !reflect.DeepEqual(again, got) {
			t.Fatalf("ParseEditFile(%q) = %q, but parsing that again gives %q", text, got, again)
		}
	})
}

// FuzzEditFileRoundTrip writes an edit file for repos with arbitrary names
// and refs and checks that the parser reads back exactly the selected
// revisions, in file order, whatever the names hold.
func FuzzEditFileRoundTrip(f *testing.F) {
	f.Add("org/name", "main", editHashA, uint8(1))
	f.Add("org/#x\ny", "re#f\n# CANCEL_DELETION", editHashB, uint8(3))
	f.Fuzz(func(t *testing.T, repoID, ref, hash string, pick uint8) {
		if hash == "" || strings.ContainsAny(hash, "#\r\n") || hash != strings.TrimSpace(hash) {
			t.Skip()
		}
		repos := []ChoiceRepo{
			{Folder: "a", CacheID: "model/" + repoID, RepoType: "model", RepoID: repoID, Revisions: []ChoiceRevision{
				{Hash: hash, Refs: []string{ref}}, {Hash: hash + "2", Refs: nil}}},
			{Folder: "b", CacheID: "dataset/" + repoID, RepoType: "dataset", RepoID: repoID,
				Revisions: []ChoiceRevision{{Hash: hash + "b", Refs: []string{ref, ref}}}},
		}
		keys := []RevisionKey{{"a", hash}, {"a", hash + "2"}, {"b", hash + "b"}}
		sel := map[RevisionKey]bool{}
		want := []string{}
		for i, k := range keys {
			if pick&(1<<i) != 0 {
				sel[k] = true
				want = append(want, k.Hash)
			}
		}
		text := EditFile(repos, sel, editNow)
		if got := ParseEditFile(text); !reflect.DeepEqual(got, want) {
			t.Fatalf("ParseEditFile(EditFile(%q)) = %q, want %q\n%s", keys, got, want, text)
		}
	})
}

// A commit cached in two repos gets lines that name the repo, and the
// parser reads them back as such targets.
func TestEditFileSharedCommit(t *testing.T) {
	repos := []ChoiceRepo{
		{Folder: "models--org--a", CacheID: "model/org/a", RepoType: "model", RepoID: "org/a",
			Revisions: []ChoiceRevision{{Hash: editHashA}, {Hash: editHashC}}},
		{Folder: "models--org--b", CacheID: "model/org/b", RepoType: "model", RepoID: "org/b",
			Revisions: []ChoiceRevision{{Hash: strings.ToUpper(editHashA)}}},
	}
	text := EditFile(repos, map[RevisionKey]bool{{"models--org--b", strings.ToUpper(editHashA)}: true, {"models--org--a", editHashC}: true}, editNow)
	for _, want := range []string{"\n#    model/org/a@" + editHashA + " # Refs: (detached)", "\n    " + editHashC + " # Refs"} {
		if !strings.Contains(text, want) {
			t.Errorf("EditFile lacks %q:\n%s", want, text)
		}
	}
	got := ParseEditFile(text)
	if want := []string{editHashC, "model/org/b@" + strings.ToUpper(editHashA)}; !reflect.DeepEqual(got, want) {
		t.Errorf("ParseEditFile = %q, want %q", got, want)
	}
	for _, g := range got {
		if _, ok, err := ParseTarget(g); !ok || err != nil {
			t.Errorf("ParseTarget(%q) = %v, %v; want a target", g, ok, err)
		}
	}
}
