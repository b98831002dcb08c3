package cache

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// RepoType is the kind of a Hub repository, in the singular form
// huggingface_hub uses for repo_type ("model", "dataset", ...).
type RepoType string

// The repository types whose folders hfidx recognises in a cache.
const (
	Model   RepoType = "model"
	Dataset RepoType = "dataset"
	Space   RepoType = "space"
	// Kernel repos are downloaded into kernels--… folders by
	// huggingface_hub, whose own scanner then rejects them.
	Kernel RepoType = "kernel"
)

// repoTypes lists the known types in the order error messages name them.
var repoTypes = [...]RepoType{Model, Dataset, Space, Kernel}

// Plural returns the plural form used as a folder-name prefix and in Hub
// URLs ("models", "datasets", "spaces", "kernels"). For a type outside the
// known four it returns the type followed by "s".
func (t RepoType) Plural() string { return string(t) + "s" }

// Title returns the type with an upper-case first letter, as headings show
// it ("Model", "Dataset", "Space", "Kernel"). For a type outside the known
// four it upper-cases the first byte if it is an ASCII letter.
func (t RepoType) Title() string {
	s := string(t)
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return s
	}
	return string(s[0]-'a'+'A') + s[1:]
}

// ParseRepoType returns the RepoType named by s, which must be one of the
// singular names "model", "dataset", "space" or "kernel", exactly. It
// returns "" and false for anything else, plural and capitalised forms
// included.
func ParseRepoType(s string) (RepoType, bool) {
	for _, t := range repoTypes {
		if s == string(t) {
			return t, true
		}
	}
	return "", false
}

// folderSep separates the type prefix and the repo id segments in a repo
// folder name; it is not allowed in repo ids on the Hub.
const folderSep = "--"

// FolderName returns the name of the cache folder holding repo repoID of
// type t, as huggingface_hub's repo_folder_name builds it: the plural type,
// then every "/"-separated part of the id, all joined with "--"
// ("models--google-bert--bert-base-uncased"). It does not validate its
// arguments and never fails.
func FolderName(t RepoType, repoID string) string {
	return t.Plural() + folderSep + strings.ReplaceAll(repoID, "/", folderSep)
}

// ParseFolderName parses the name of a top-level cache entry into a repo
// type and id. It is stricter than huggingface_hub's scanner (see
// LibraryParseFolderName): the text before the first "--" must be exactly
// "models", "datasets", "spaces" or "kernels", and the id (the rest, with
// every "--" turned into "/") must be non-empty without an empty segment.
// So "modelx--foo", "models--" and "models----x" are rejected, while
// "models--a---b" is model "a/-b". Whenever it succeeds,
// FolderName(type, id) gives name back. The converse does not hold for ids
// with a segment starting or ending in "-", which the Hub does not allow:
// "a-/b" and "a/-b" share the folder "models--a---b", read as "a/-b".
//
// On failure it returns "", "" and a one-line error starting with
// "not a repo folder: " that says what is wrong.
func ParseFolderName(name string) (RepoType, string, error) {
	prefix, rest, ok := strings.Cut(name, folderSep)
	if !ok {
		return "", "", errors.New(`not a repo folder: no "--" in name`)
	}
	var typ RepoType
	for _, t := range repoTypes {
		if prefix == t.Plural() {
			typ = t
			break
		}
	}
	if typ == "" {
		return "", "", fmt.Errorf("not a repo folder: type %q is not models, datasets, spaces or kernels", prefix)
	}
	if strings.Contains(rest, "/") {
		// A "/" could not come back from FolderName; no file name has one.
		return "", "", errors.New(`not a repo folder: "/" in name`)
	}
	if rest == "" {
		return "", "", errors.New("not a repo folder: empty repo id")
	}
	id := strings.ReplaceAll(rest, folderSep, "/")
	for seg := range strings.SplitSeq(id, "/") {
		if seg == "" {
			return "", "", fmt.Errorf("not a repo folder: empty segment in repo id %q", id)
		}
	}
	return typ, id, nil
}

// LibraryParseFolderName parses a top-level cache entry name with
// huggingface_hub's own, loose rule (its scanner, as of 1.29): the type is
// the text before the first "--" minus its last character, whatever that
// character is, and must be "model", "dataset" or "space"; the id is the
// rest with every "--" turned into "/", and may be empty. So "modelx--foo"
// is model "foo", "models--" is model "" and "kernels--a--b" is rejected.
// It exists to show, in tests and docs, where hfidx parts from the library.
//
// It returns "", "" and false when the library would report the entry as
// not a repo folder.
func LibraryParseFolderName(name string) (RepoType, string, bool) {
	prefix, rest, ok := strings.Cut(name, folderSep)
	if !ok {
		return "", "", false
	}
	// Python drops one code point; an undecodable byte is one code point
	// there too (surrogateescape), as it is one RuneError here.
	_, size := utf8.DecodeLastRuneInString(prefix)
	switch t := RepoType(prefix[:len(prefix)-size]); t {
	case Model, Dataset, Space:
		return t, strings.ReplaceAll(rest, folderSep, "/"), true
	}
	return "", "", false
}
