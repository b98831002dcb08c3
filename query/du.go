package query

import (
	"path"
	"regexp"
	"sort"
	"strings"
)

// DuKeys are the groupings `hfidx du --by` accepts.
var DuKeys = []string{"org", "type", "ext", "quant"}

// NoGroup names the group of what has no org, extension or quantization.
const NoGroup = "(none)"

// UnnamedGGUF is the quant group of a GGUF file whose name carries no
// quantization hfidx knows.
const UnnamedGGUF = "(gguf, unnamed)"

// DuGroup is one row of `hfidx du`: the bytes of a group as `hfidx scan`
// counts them, each blob once per repo.
type DuGroup struct {
	Group      string `json:"group"`
	SizeOnDisk int64  `json:"size_on_disk"`
	Size       string `json:"size"`
	Repos      int    `json:"repos"`
	Blobs      int64  `json:"blobs"`
}

// Du totals the index by key (one of DuKeys): org and type sum the repos'
// size_on_disk; ext and quant sum each blob a repo's snapshots link, once
// per repo, in the group of the first path (byte order) linking it in
// that repo. So groups sum to the sum of the repos' sizes, whichever the
// key; a blob two repos link counts in each. Groups come largest first,
// then by name. It returns a *UsageError for an unknown key, or the
// database error.
func Du(db Reader, key string) ([]DuGroup, error) {
	groups := map[string]*DuGroup{}
	repos := map[string]map[int64]bool{}
	add := func(g string, repo, size, blobs int64) {
		d := groups[g]
		if d == nil {
			d = &DuGroup{Group: g}
			groups[g] = d
			repos[g] = map[int64]bool{}
		}
		d.SizeOnDisk += size
		d.Blobs += blobs
		repos[g][repo] = true
	}
	type row struct {
		Repo     int64  `db:"repo"`
		RepoType string `db:"repo_type"`
		RepoID   string `db:"repo_id"`
		Size     int64  `db:"size"`
		Blobs    int64  `db:"blobs"`
		RelPath  string `db:"rel_path"`
	}
	var rows []row
	switch key {
	case "org", "type":
		if err := db.Select(&rows, filesSQL("du_repos")); err != nil {
			return nil, err
		}
		for _, r := range rows {
			g := r.RepoType
			if key == "org" {
				g = Org(r.RepoID)
			}
			add(g, r.Repo, r.Size, r.Blobs)
		}
	case "ext", "quant":
		if err := db.Select(&rows, filesSQL("du")); err != nil {
			return nil, err
		}
		for _, r := range rows {
			name := path.Base(r.RelPath)
			g := Ext(name)
			if key == "quant" {
				g = NoGroup
				if q, ok := GGUFQuant(name); ok {
					g = q
				}
			}
			add(g, r.Repo, r.Size, 1)
		}
	default:
		return nil, usageErr("invalid --by %q: want one of %s", key, strings.Join(DuKeys, ", "))
	}
	out := make([]DuGroup, 0, len(groups))
	for g, d := range groups {
		d.Repos = len(repos[g])
		d.Size = FormatSize(d.SizeOnDisk)
		out = append(out, *d)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].SizeOnDisk != out[j].SizeOnDisk {
			return out[i].SizeOnDisk > out[j].SizeOnDisk
		}
		return out[i].Group < out[j].Group
	})
	return out, nil
}

// Org returns the namespace of a repo id ("org" of "org/name"), or
// NoGroup for a legacy id without one.
func Org(repoID string) string {
	org, _, ok := strings.Cut(repoID, "/")
	if !ok || org == "" {
		return NoGroup
	}
	return org
}

// Ext returns the lower-cased extension of a file's base name without
// its dot ("safetensors", "gz" for a .tar.gz), or NoGroup when it has none
// (a dot file such as .gitattributes has none either).
func Ext(name string) string {
	i := strings.LastIndexByte(name, '.')
	if i <= 0 || i == len(name)-1 {
		return NoGroup
	}
	return strings.ToLower(name[i+1:])
}

// quantRe matches a quantization name as llama.cpp writes them in file
// names: Q4_K_M, Q5_K_S, Q8_0, Q4_0_4_4, IQ2_XS, IQ4_NL, TQ1_0, F16,
// BF16, F32, FP16, MXFP4 ...
var quantRe = regexp.MustCompile(`^(?:I?Q[1-8](?:_(?:[0-9]|K|XXS|XS|S|M|L|NL))*|TQ[12]_0|BF16|F16|F32|F64|FP16|FP32|MXFP4(?:_MOE)?)$`)

// looseQuantRe finds one inside a word where the name separates its parts
// by '_' (llama_q4_k_m.gguf): the longest forms first.
var looseQuantRe = regexp.MustCompile(`(?:^|[^A-Z0-9])(I?Q[1-8]_K_(?:XXS|XS|S|M|L)|IQ[1-4]_(?:XXS|XS|S|M|NL)|I?Q[1-8]_K|Q[1-8]_[0-9](?:_[0-9]_[0-9])?|TQ[12]_0|BF16|F16|F32|FP16|FP32|MXFP4)(?:$|[^A-Z0-9])`)

// GGUFQuant returns the quantization a GGUF file name carries, upper-cased
// ("model-q4_k_m-00001-of-00003.gguf" gives "Q4_K_M"), with ok set when the
// name ends in .gguf (any case); UnnamedGGUF when it carries none hfidx
// knows. The parts of a multi-part file carry the same name.
func GGUFQuant(name string) (quant string, ok bool) {
	stem, found := strings.CutSuffix(strings.ToUpper(name), ".GGUF")
	if !found {
		return "", false
	}
	words := strings.FieldsFunc(stem, func(r rune) bool { return r == '-' || r == '.' || r == ' ' })
	for i := len(words) - 1; i >= 0; i-- { // the last word wins: "Q8_0-Model-Q4_K_M"
		if quantRe.MatchString(words[i]) {
			return words[i], true
		}
	}
	if m := looseQuantRe.FindAllStringSubmatch(stem, -1); m != nil {
		return m[len(m)-1][1], true
	}
	return UnnamedGGUF, true
}

// CacheTotal returns `hfidx scan`'s total: healthy repos, each store
// payload once. It returns the database error, if any.
func CacheTotal(db Reader) (int64, error) {
	var n int64
	err := db.Get(&n, filesSQL("cache_total"))
	return n, err
}
