// Package report renders the index as one self-contained HTML file: a
// treemap of repos, revisions and files (area: bytes, colour: days since
// last use) with drill-down, a sortable table of every repo, what a prune
// would free, and growth over time when a history is kept. CSS, JS and the
// data (one JSON blob) are inline; the page loads nothing at view time.
package report

import (
	"bytes"
	"cmp"
	"embed"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/hfidx/hfidx/query"
)

//go:embed sql/*.sql
var sqlFS embed.FS

//go:embed assets/report.html assets/report.css assets/report.js
var assetFS embed.FS

func sqlText(name string) string {
	b, err := sqlFS.ReadFile("sql/" + name + ".sql")
	if err != nil {
		panic("report: missing embedded SQL " + name) // a build mistake, caught by every test
	}
	return string(b)
}

// MaxBytes is the size the report stays under: repos beyond what fits are
// listed with their numbers but without their revisions and files.
const MaxBytes = 3_000_000

// detailBytes is what revisions and files may take of the file: the
// rest of MaxBytes is for the repos' rows, and a smaller file is parsed
// and drawn sooner.
const detailBytes = 1_200_000

// maxFiles is the most files of one revision the report carries; the
// treemap groups the rest into one tile with their bytes.
const maxFiles = 400

// Point is one entry of the cache's history: its total at a time.
type Point struct {
	At         float64 `json:"at"` // epoch seconds
	SizeOnDisk int64   `json:"size_on_disk"`
}

// Options is what the report shows beside the index.
type Options struct {
	CacheDir string
	Now      time.Time
	// Prune is what `hfidx prune` would remove now (query.PlanPrune, never
	// executed); nil leaves the section out.
	Prune *query.Prune
	// History is the cache's total over time, oldest first; with fewer
	// than two points the growth section is not shown.
	History []Point
	// MaxBytes overrides the MaxBytes budget (tests); 0 means MaxBytes.
	MaxBytes int
}

// Totals are the cache's numbers as `hfidx scan` reports them.
type Totals struct {
	SizeOnDisk        int64 `json:"size_on_disk" db:"size_on_disk"`
	DamagedSizeOnDisk int64 `json:"damaged_size_on_disk" db:"damaged_size_on_disk"`
	Repos             int64 `json:"repos" db:"repos"`
	DamagedRepos      int64 `json:"damaged_repos" db:"damaged_repos"`
	Revisions         int64 `json:"revisions" db:"revisions"`
	Files             int64 `json:"files" db:"files"`
	Blobs             int64 `json:"blobs" db:"blobs"`
	IncompleteSize    int64 `json:"incomplete_size" db:"incomplete_size"`
	IncompleteFiles   int64 `json:"incomplete_files" db:"incomplete_files"`
	Warnings          int64 `json:"warnings" db:"warnings"`
}

// PruneKind is one line of the prune section.
type PruneKind struct {
	Kind  string `json:"kind"`
	Count int    `json:"count"`
	Size  int64  `json:"size"`
}

// Data is the JSON the page reads. Repos, revisions and files are arrays
// (see the field comments) to keep the file small at 30,000 repos.
type Data struct {
	Version   int     `json:"version"`
	Generated float64 `json:"generated"`
	CacheDir  string  `json:"cache_dir"`
	Totals    Totals  `json:"totals"`
	// Repos, largest first: [cache id, size_on_disk, exclusive, last used,
	// refs, damaged (0/1), revisions, files].
	Repos [][]any `json:"repos"`
	// Detail maps a repo's index in Repos to its revisions and the blobs
	// they share.
	Detail map[string]*Detail `json:"detail"`
	// Omitted counts repos whose revisions are left out to stay small.
	Omitted int         `json:"omitted"`
	Prune   []PruneKind `json:"prune"`
	Freed   *int64      `json:"prune_total"`
	History []Point     `json:"history"`
	Hints   ReportHints `json:"hints"`
	repos   []repoRowRaw
}

// ReportHints are the commands the page names.
type ReportHints struct {
	Prune string `json:"prune"`
	Ls    string `json:"ls"`
}

// Detail is one repo's revisions and the blobs several of them link: the
// revisions' bytes of their own plus Shared make the repo's size, which
// is how the treemap lays them out.
type Detail struct {
	// Revs, largest first: [commit hash, size_on_disk, exclusive_size,
	// last_modified, refs, last used, files, files left out, bytes left
	// out, bytes no other revision links], files being [path, size, only
	// in this revision (0/1), last access].
	Revs [][]any `json:"revs"`
	// Shared are the blobs two or more revisions link: [path, size,
	// revisions, last access].
	Shared      [][]any `json:"shared"`
	SharedBytes int64   `json:"shared_bytes"`
}

type repoRowRaw struct {
	Repo         int64   `db:"repo"`
	Folder       string  `db:"folder"`
	CacheID      string  `db:"cache_id"`
	Size         int64   `db:"size_on_disk"`
	NbFiles      int64   `db:"nb_files"`
	NbRevisions  int64   `db:"nb_revisions"`
	Refs         string  `db:"refs"`
	Damaged      bool    `db:"damaged"`
	LastModified float64 `db:"last_modified"`
}

// Load reads the report's data from the index (read-only). It returns
// the database error, if any.
func Load(db query.Reader, opts Options) (*Data, error) {
	d := &Data{Version: 1, Generated: float64(opts.Now.UnixNano()) / 1e9, CacheDir: Show(opts.CacheDir),
		Detail: map[string]*Detail{}, Prune: []PruneKind{}, History: opts.History,
		Hints: ReportHints{Prune: "hfidx prune --dry-run", Ls: "hfidx ls"}}
	if d.History == nil {
		d.History = []Point{}
	}
	if err := db.Get(&d.Totals, sqlText("totals")); err != nil {
		return nil, err
	}
	if err := db.Select(&d.repos, sqlText("repos")); err != nil {
		return nil, err
	}
	var excl []struct {
		Repo      int64 `db:"repo"`
		Exclusive int64 `db:"exclusive"`
	}
	if err := db.Select(&excl, sqlText("exclusive")); err != nil {
		return nil, err
	}
	exclusive := make(map[int64]int64, len(excl))
	for _, e := range excl {
		exclusive[e.Repo] = e.Exclusive
	}
	used, err := query.LastUsed(db)
	if err != nil {
		return nil, err
	}
	for _, r := range d.repos {
		d.Repos = append(d.Repos, []any{Show(r.CacheID), r.Size, exclusive[r.Repo], used[r.Folder], Show(r.Refs),
			b2i(r.Damaged), r.NbRevisions, r.NbFiles})
	}
	if d.Repos == nil {
		d.Repos = [][]any{}
	}
	if p := opts.Prune; p != nil {
		s := p.Summary
		d.Prune = []PruneKind{
			{"Detached revisions", s.Revisions.Count, s.Revisions.Size},
			{"Interrupted downloads", s.Incomplete.Count, s.Incomplete.Size},
			{"Orphan blobs", s.OrphanBlobs.Count, s.OrphanBlobs.Size},
			{"Unreferenced shared-store payloads", s.SharedPayloads.Count, s.SharedPayloads.Size},
			{"Leftovers (.no_exist, trees, locks)", s.Leftovers.Count, 0},
		}
		total := p.TotalSize
		d.Freed = &total
	}
	budget := opts.MaxBytes
	if budget == 0 {
		budget = MaxBytes
	}
	// What is left for revisions and files once the rest is written, with
	// room for the page itself.
	base, err := json.Marshal(d)
	if err != nil {
		return nil, err
	}
	left := min(detailBytes*budget/MaxBytes, budget-len(base)-assetsSize()-4096)
	for i, r := range d.repos {
		if left <= 0 {
			d.Omitted = len(d.repos) - i
			break
		}
		revs, err := detail(db, r.Repo)
		if err != nil {
			return nil, err
		}
		b, _ := json.Marshal(revs)
		cost := len(b) + len(fmt.Sprint(i)) + 4
		if cost > left {
			d.Omitted = len(d.repos) - i
			break
		}
		left -= cost
		d.Detail[fmt.Sprint(i)] = revs
	}
	return d, nil
}

// detail returns a repo's revisions with their files and shared blobs.
func detail(db query.Reader, repo int64) (*Detail, error) {
	var revs []struct {
		Revision     int64   `db:"revision"`
		Hash         string  `db:"commit_hash"`
		Size         int64   `db:"size_on_disk"`
		Exclusive    int64   `db:"exclusive_size"`
		LastModified float64 `db:"last_modified"`
		Refs         string  `db:"refs"`
	}
	if err := db.Select(&revs, sqlText("revisions"), repo); err != nil {
		return nil, err
	}
	files, err := query.RepoFiles(db, query.RepoRev{Repo: repo})
	if err != nil {
		return nil, err
	}
	byRev := map[int64][]query.FileRow{}
	type sharedBlob struct {
		name  string
		size  int64
		revs  map[int64]bool
		atime float64
	}
	shared := map[string]*sharedBlob{}
	var sharedOrder []string
	for _, f := range files {
		byRev[f.RevisionID] = append(byRev[f.RevisionID], f)
		if f.Sharing != "shared" {
			continue
		}
		b := shared[f.BlobPath]
		if b == nil {
			b = &sharedBlob{name: f.Path, size: f.Size, revs: map[int64]bool{}, atime: f.LastAccessed}
			shared[f.BlobPath] = b
			sharedOrder = append(sharedOrder, f.BlobPath)
		}
		b.revs[f.RevisionID] = true
	}
	d := &Detail{Revs: make([][]any, 0, len(revs)), Shared: [][]any{}}
	for _, p := range sharedOrder {
		b := shared[p]
		d.SharedBytes += b.size
		d.Shared = append(d.Shared, []any{Show(b.name), b.size, len(b.revs), b.atime})
	}
	for _, v := range revs {
		fs := byRev[v.Revision]
		sortFiles(fs)
		var rows [][]any
		var lastUsed float64
		var moreN int
		var moreBytes, only int64
		seen := map[string]bool{}
		for i, f := range fs {
			lastUsed = max(lastUsed, f.LastAccessed)
			if f.Sharing == "exclusive" && !seen[f.BlobPath] {
				seen[f.BlobPath] = true
				only += f.Size
			}
			if i >= maxFiles {
				moreN++
				moreBytes += f.Size
				continue
			}
			rows = append(rows, []any{Show(f.Path), f.Size, b2i(f.Sharing == "exclusive"), f.LastAccessed})
		}
		if rows == nil {
			rows = [][]any{}
		}
		d.Revs = append(d.Revs, []any{Show(v.Hash), v.Size, v.Exclusive, v.LastModified, Show(v.Refs), lastUsed, rows, moreN, moreBytes, only})
	}
	return d, nil
}

// sortFiles orders files largest first, by path among equals.
func sortFiles(fs []query.FileRow) {
	slices.SortStableFunc(fs, func(a, b query.FileRow) int { return cmp.Compare(b.Size, a.Size) })
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// Show returns s for display: as it is when it is UTF-8, else with each
// byte that is not written \xNN, so that a name stays recognisable (JSON
// would turn such bytes into U+FFFD).
func Show(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			fmt.Fprintf(&b, `\x%02x`, s[i])
		} else {
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

func assetsSize() int {
	n := 0
	for _, f := range []string{"report.html", "report.css", "report.js"} {
		b, _ := assetFS.ReadFile("assets/" + f)
		n += len(b)
	}
	return n
}

var page = template.Must(template.New("report.html").ParseFS(assetFS, "assets/report.html"))

// Write renders d as the HTML page on w. The data goes in as JSON with
// <, > and & escaped (\u003c...), so no name can close its script
// element, and every text the template prints is HTML-escaped. It
// returns the writer's error.
func Write(w io.Writer, d *Data) error {
	var js bytes.Buffer
	enc := json.NewEncoder(&js)
	enc.SetEscapeHTML(true) // also escapes U+2028 and U+2029
	if err := enc.Encode(d); err != nil {
		return err
	}
	css, _ := assetFS.ReadFile("assets/report.css")
	script, _ := assetFS.ReadFile("assets/report.js")
	return page.Execute(w, map[string]any{
		"Data":      template.JS(bytes.TrimSpace(js.Bytes())),
		"CSS":       template.CSS(css),
		"JS":        template.JS(script),
		"Total":     d.Totals.SizeOnDisk,
		"TotalText": query.FormatSize(d.Totals.SizeOnDisk),
		"Repos":     d.Totals.Repos,
		"CacheDir":  d.CacheDir,
		"Generated": time.Unix(int64(d.Generated), 0).UTC().Format("2006-01-02 15:04 UTC"),
	})
}
