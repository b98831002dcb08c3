package policy

import (
	"fmt"
	"os"

	"github.com/BurntSushi/toml"
)

// File is a policy file: the options of `hfidx gc` (flags given beside it
// override them) and rules for the repos they select.
type File struct {
	MaxSize    string     `toml:"max_size"`
	MinFree    string     `toml:"min_free"`
	KeepLast   *int       `toml:"keep_last"`
	KeepWithin string     `toml:"keep_within"`
	KeepRefs   *bool      `toml:"keep_refs"`
	Rules      []FileRule `toml:"rule"`
}

// FileRule is a [[rule]] of a policy file: a selector (every field given
// must match) and the keep rules it sets for the repos it selects.
type FileRule struct {
	Repo       string `toml:"repo"` // glob on the repo id: "meta-llama/*"
	Type       string `toml:"type"` // model, dataset, space or kernel
	Org        string `toml:"org"`
	KeepLast   *int   `toml:"keep_last"`
	KeepWithin string `toml:"keep_within"`
	KeepRefs   *bool  `toml:"keep_refs"`
	Pin        *bool  `toml:"pin"`
	Note       string `toml:"note"`
}

// ReadFile parses the policy file at path. An unknown key is an error
// (a typo must not silently keep or evict anything), as is a rule that
// selects nothing or sets nothing; parseDur parses durations as the
// flags do.
func ReadFile(path string, parseDur func(string) (float64, error)) (*File, []Rule, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	var f File
	md, err := toml.Decode(string(b), &f)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	if und := md.Undecoded(); len(und) > 0 {
		return nil, nil, fmt.Errorf("%s: unknown key %q (known: max_size, min_free, keep_last, keep_within, keep_refs, [[rule]] with repo, type, org, keep_last, keep_within, keep_refs, pin, note)", path, und[0].String())
	}
	var rules []Rule
	for i, fr := range f.Rules {
		r := Rule{Repo: fr.Repo, Type: fr.Type, Org: fr.Org, Set: map[string]bool{}}
		if r.Repo == "" && r.Type == "" && r.Org == "" {
			return nil, nil, fmt.Errorf("%s: rule %d selects every repo: give repo, type or org", path, i+1)
		}
		if fr.KeepLast != nil {
			if *fr.KeepLast < 0 {
				return nil, nil, fmt.Errorf("%s: rule %d: keep_last must be 0 or more", path, i+1)
			}
			r.Keep.Last, r.Set["last"] = *fr.KeepLast, true
		}
		if fr.KeepWithin != "" {
			d, err := parseDur(fr.KeepWithin)
			if err != nil {
				return nil, nil, fmt.Errorf("%s: rule %d: keep_within: %w", path, i+1, err)
			}
			r.Keep.Within, r.Set["within"] = d, true
		}
		if fr.KeepRefs != nil {
			r.Keep.Refs, r.Set["refs"] = *fr.KeepRefs, true
		}
		if fr.Pin != nil {
			r.Keep.Pin, r.Keep.Note, r.Set["pin"] = *fr.Pin, fr.Note, true
		}
		if len(r.Set) == 0 {
			return nil, nil, fmt.Errorf("%s: rule %d sets nothing: give keep_last, keep_within, keep_refs or pin", path, i+1)
		}
		rules = append(rules, r)
	}
	return &f, rules, nil
}
