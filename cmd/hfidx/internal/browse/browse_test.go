package browse

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/jmoiron/sqlx"
	"github.com/mattn/go-runewidth"

	"github.com/hfidx/hfidx/cache/cachetest"
	"github.com/hfidx/hfidx/index"
	"github.com/hfidx/hfidx/query"
	"github.com/hfidx/hfidx/schema"
)

// spec: org/a is 35 bytes (config.json, 2 bytes, in all three revisions;
// w.bin of 10 and 20; extra.txt 3): revision 2222 alone frees 20. org/d
// holds 8 bytes, org/x 5 and is damaged (a ref naming no snapshot).
const spec = `
repo model org/a
rev 1111111111111111111111111111111111111111
file config.json "{}" time=1000
file w.bin "0123456789" time=1000
ref main 1111111111111111111111111111111111111111
rev 2222222222222222222222222222222222222222
file config.json "{}" time=1000
file w.bin "abcdefghijklmnopqrst" time=2000
ref refs/pr/1 2222222222222222222222222222222222222222
rev 3333333333333333333333333333333333333333
file config.json "{}" time=1000
file extra.txt "xyz" time=3000
repo dataset org/d
rev 4444444444444444444444444444444444444444
file data.csv "a,b\n1,2\n" time=500
ref main 4444444444444444444444444444444444444444
repo model org/x
rev 5555555555555555555555555555555555555555
file x.bin "hello" time=100
ref main 5555555555555555555555555555555555555555
corrupt dangling-ref
`

const (
	h1 = "1111111111111111111111111111111111111111"
	h2 = "2222222222222222222222222222222222222222"
	h3 = "3333333333333333333333333333333333333333"
)

func openIndex(t *testing.T) *sqlx.DB {
	t.Helper()
	c, err := cachetest.Parse(spec)
	if err != nil {
		t.Fatal(err)
	}
	root := filepath.Join(t.TempDir(), "hub")
	if _, err := cachetest.Write(root, c); err != nil {
		t.Fatal(err)
	}
	dbPath := filepath.Join(t.TempDir(), "index.db")
	if _, err := index.Sync(root, dbPath, index.Options{}); err != nil {
		t.Fatal(err)
	}
	db, err := schema.OpenReadOnly(dbPath)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func newModel(t *testing.T, db *sqlx.DB, opt Options) *Model {
	t.Helper()
	totals, err := query.LoadBrowseTotals(db)
	if err != nil {
		t.Fatal(err)
	}
	repos, err := query.LoadBrowseRepos(db)
	if err != nil {
		t.Fatal(err)
	}
	if opt.Now == 0 {
		opt.Now = 10_000
	}
	m := New(totals, repos, IndexSource(db), opt)
	update(m, tea.WindowSizeMsg{Width: 100, Height: 20})
	return m
}

// update passes msg to m, then runs the plans it asks for, as the
// program would, until none is left.
func update(m *Model, msg tea.Msg) {
	_, cmd := m.Update(msg)
	for cmd != nil {
		p, ok := cmd().(plannedMsg)
		if !ok {
			return
		}
		_, cmd = m.Update(p)
	}
}

func press(m *Model, keys ...string) {
	for _, k := range keys {
		var msg tea.KeyPressMsg
		switch k {
		case "up":
			msg = tea.KeyPressMsg{Code: tea.KeyUp}
		case "down":
			msg = tea.KeyPressMsg{Code: tea.KeyDown}
		case "enter":
			msg = tea.KeyPressMsg{Code: tea.KeyEnter}
		case "left":
			msg = tea.KeyPressMsg{Code: tea.KeyLeft}
		case "backspace":
			msg = tea.KeyPressMsg{Code: tea.KeyBackspace}
		case "esc":
			msg = tea.KeyPressMsg{Code: tea.KeyEscape}
		case "space":
			msg = tea.KeyPressMsg{Code: tea.KeySpace, Text: " "}
		case "ctrl+c":
			msg = tea.KeyPressMsg{Code: 'c', Mod: tea.ModCtrl}
		default:
			msg = tea.KeyPressMsg{Code: rune(k[0]), Text: k}
		}
		update(m, msg)
	}
}

// listing returns the rows' names as the screen shows them, in order.
func listing(m *Model) []string {
	var out []string
	for _, r := range m.rows {
		out = append(out, r.name)
	}
	return out
}

// cursorLine returns the screen line of the cursor.
func cursorLine(t *testing.T, m *Model) string {
	t.Helper()
	for _, l := range strings.Split(m.Render(), "\n") {
		if strings.HasPrefix(l, ">") {
			return l
		}
	}
	t.Fatalf("no cursor line in:\n%s", m.Render())
	return ""
}

func TestTopLevel(t *testing.T) {
	db := openIndex(t)
	m := newModel(t, db, Options{})
	if got, want := listing(m), []string{"model/org/a", "dataset/org/d", "model/org/x"}; !slices.Equal(got, want) {
		t.Fatalf("rows = %q, want %q (largest first)", got, want)
	}
	rep, err := query.Load(db, false)
	if err != nil {
		t.Fatal(err)
	}
	screen := m.Render()
	lines := strings.Split(screen, "\n")
	if want := "total " + query.FormatSize(rep.SizeOnDisk) + " in 2 repo(s), 1 damaged with 5.0 more"; !strings.Contains(lines[0], want) {
		t.Errorf("title %q does not say %q (scan's total)", lines[0], want)
	}
	// Bars are relative to the largest row: 35 bytes fill 10, 8 bytes 2.
	for _, want := range []string{
		">     35.0 [##########]      35.0 ",
		"       8.0 [##        ]       8.0 ",
		"       5.0 [#         ]       5.0 ",
		"model/org/x [damaged]  dangling, main",
		"model/org/a  main, refs/pr/1",
	} {
		if !strings.Contains(screen, want) {
			t.Errorf("the screen lacks %q:\n%s", want, screen)
		}
	}
	if info := lines[len(lines)-2]; !strings.Contains(info, "35.0 · 35.0 exclusive · 0.0 shared") || !strings.Contains(info, "3 revisions") {
		t.Errorf("info line = %q", info)
	}
}

func TestNavigate(t *testing.T) {
	db := openIndex(t)
	m := newModel(t, db, Options{})
	press(m, "enter")
	if m.Level() != Revisions || !slices.Equal(listing(m), []string{h2, h1, h3}) {
		t.Fatalf("after enter: level %d rows %q, want the revisions of org/a by size", m.Level(), listing(m))
	}
	// 2222 is 22 bytes of which 20 its own; config.json is shared.
	if l := cursorLine(t, m); !strings.Contains(l, "22.0") || !strings.Contains(l, "  20.0 ") || !strings.Contains(l, h2+"  refs/pr/1") {
		t.Errorf("cursor line = %q, want 22.0, 20.0 exclusive and the full hash with its ref", l)
	}
	press(m, "down", "down")
	if l := cursorLine(t, m); !strings.Contains(l, "(detached)") {
		t.Errorf("revision 3333 = %q, want (detached)", l)
	}
	press(m, "up", "up", "l")
	if m.Level() != Files || !slices.Equal(listing(m), []string{"w.bin", "config.json"}) {
		t.Fatalf("files of 2222 = %q", listing(m))
	}
	screen := m.Render()
	if !strings.Contains(screen, "config.json  shared: 3 revisions") || !strings.Contains(screen, "/ model/org/a / "+h2) {
		t.Errorf("file level:\n%s", screen)
	}
	press(m, "down")
	if l := cursorLine(t, m); !strings.Contains(l, "2.0 [#         ]       0.0 ") {
		t.Errorf("config.json = %q, want 2 bytes freeing 0", l)
	}
	press(m, "backspace")
	if m.Level() != Revisions || m.rows[m.cursor].key.hash != h2 {
		t.Errorf("backspace: level %d, cursor on %+v; want the revision left", m.Level(), m.rows[m.cursor].key)
	}
	press(m, "esc")
	if m.Level() != Repos || m.rows[m.cursor].name != "model/org/a" || m.Outcome() != Browsing {
		t.Errorf("esc inside a repo: level %d outcome %d; want the top level, still browsing", m.Level(), m.Outcome())
	}
	press(m, "h")
	if m.Outcome() != Browsing {
		t.Errorf("h at the top level left the browser")
	}
	press(m, "esc")
	if m.Outcome() != Quit {
		t.Errorf("esc at the top level: outcome %d, want Quit", m.Outcome())
	}
	for _, k := range []string{"q", "ctrl+c"} {
		m := newModel(t, db, Options{})
		press(m, "enter", "enter", k)
		if m.Outcome() != Quit {
			t.Errorf("%s inside a revision: outcome %d, want Quit", k, m.Outcome())
		}
	}
}

func TestMarks(t *testing.T) {
	db := openIndex(t)
	m := newModel(t, db, Options{})
	press(m, "enter", "d") // 2222, then the cursor moves to 1111
	sel := m.Selection()
	if len(sel.Revisions) != 1 || !sel.Revisions[query.RevisionKey{Folder: "models--org--a", Hash: h2}] || len(sel.Repos)+len(sel.Files) != 0 {
		t.Fatalf("selection after marking 2222 = %+v", sel)
	}
	if freed, err := m.Freed(); freed != 20 || err != nil {
		t.Errorf("Freed = %d, %v; want 20", freed, err)
	}
	if got := m.MarkText(); got != "Marked 1 revision, freeing 20.0." {
		t.Errorf("MarkText = %q", got)
	}
	if !strings.Contains(m.Render(), "Marked 1 revision, freeing 20.0.") {
		t.Errorf("the footer lacks the marks:\n%s", m.Render())
	}
	// 3333: mark its extra.txt only.
	press(m, "down", "enter", "space")
	sel = m.Selection()
	if !sel.Files[query.FileKey{Folder: "models--org--a", Hash: h3, RelPath: "extra.txt"}] || len(sel.Files) != 1 {
		t.Fatalf("selection after marking extra.txt = %+v", sel)
	}
	plan, err := query.MakePlan(db, sel)
	if err != nil {
		t.Fatal(err)
	}
	if freed, _ := m.Freed(); freed != plan.ExpectedFreedSize || freed != 23 {
		t.Errorf("Freed = %d, want the plan's %d (23)", freed, plan.ExpectedFreedSize)
	}
	press(m, "left")
	if l := cursorLine(t, m); !strings.HasPrefix(l, ">+") {
		t.Errorf("revision 3333 with a file marked = %q, want +", l)
	}
	press(m, "left")
	if l := cursorLine(t, m); !strings.HasPrefix(l, ">+") {
		t.Errorf("repo with marks inside = %q, want +", l)
	}
	// Marking the repo covers its revisions; they cannot be toggled inside.
	press(m, "d", "up", "enter")
	if l := cursorLine(t, m); !strings.HasPrefix(l, ">*") {
		t.Errorf("a revision of a marked repo = %q, want *", l)
	}
	press(m, "d")
	if !strings.Contains(m.Render(), "Marked with its repo") || !m.Selection().Repos["models--org--a"] {
		t.Errorf("toggling inside a marked repo:\n%s", m.Render())
	}
	if freed, _ := m.Freed(); freed != 35 {
		t.Errorf("Freed with the repo marked = %d, want 35", freed)
	}
	press(m, "u")
	if !m.Selection().Empty() || !strings.Contains(m.Render(), "Nothing marked.") {
		t.Errorf("u left marks: %+v", m.Selection())
	}
}

func TestDeleteKey(t *testing.T) {
	db := openIndex(t)
	m := newModel(t, db, Options{})
	press(m, "D")
	if m.Outcome() != Browsing || !strings.Contains(m.Render(), "Nothing marked: mark rows with d or space") {
		t.Errorf("D with nothing marked: outcome %d\n%s", m.Outcome(), m.Render())
	}
	press(m, "enter", "d", "D")
	if m.Outcome() != Delete || m.Location() != (Location{Folder: "models--org--a", Row: 1}) {
		t.Errorf("D with a mark: outcome %d at %+v, want Delete in org/a", m.Outcome(), m.Location())
	}
	m = newModel(t, db, Options{NoDelete: "not with --no-sync"})
	press(m, "d", "D")
	if m.Outcome() != Browsing || !strings.Contains(m.Render(), "not with --no-sync") {
		t.Errorf("D with deleting off: outcome %d\n%s", m.Outcome(), m.Render())
	}
}

func TestStart(t *testing.T) {
	db := openIndex(t)
	m := newModel(t, db, Options{Start: Location{Folder: "models--org--a", Hash: h3, Row: 1}, Status: "Deleted 1 revision."})
	if m.Level() != Files || !slices.Equal(listing(m), []string{"extra.txt", "config.json"}) || m.rows[m.cursor].name != "config.json" {
		t.Errorf("start in 3333 on row 1: level %d rows %q cursor %d", m.Level(), listing(m), m.cursor)
	}
	if !strings.Contains(m.Render(), "Deleted 1 revision.") {
		t.Errorf("the status is not shown:\n%s", m.Render())
	}
	m = newModel(t, db, Options{Start: Location{Row: 7}})
	if m.rows[m.cursor].name != "model/org/x" {
		t.Errorf("start on row 7 of 3: cursor %d, want the last row", m.cursor)
	}
	m = newModel(t, db, Options{Start: Location{Folder: "models--gone--b", Hash: h3}})
	if m.Level() != Repos || m.cursor != 0 {
		t.Errorf("start in a repo that is gone: level %d cursor %d, want the top, first row", m.Level(), m.cursor)
	}
}

func TestSort(t *testing.T) {
	db := openIndex(t)
	m := newModel(t, db, Options{})
	for _, c := range []struct {
		key  string
		want []string
	}{
		{"n", []string{"dataset/org/d", "model/org/a", "model/org/x"}},
		{"n", []string{"model/org/x", "model/org/a", "dataset/org/d"}},
		{"s", []string{"model/org/a", "dataset/org/d", "model/org/x"}},
		{"s", []string{"model/org/x", "dataset/org/d", "model/org/a"}},
	} {
		press(m, c.key)
		if got := listing(m); !slices.Equal(got, c.want) {
			t.Errorf("after %s: %q, want %q", c.key, got, c.want)
		}
	}
	press(m, "enter", "a") // the revisions, newest first: 3333 (3000), 2222, 1111
	if got, want := listing(m), []string{h3, h2, h1}; !slices.Equal(got, want) {
		t.Errorf("revisions by time: %q, want %q", got, want)
	}
	if !strings.Contains(m.Render(), "sorted by modified ↓") {
		t.Errorf("no sort indicator:\n%s", m.Render())
	}
}

// TestWidths: every line fits, whatever the width, and the screen has as
// many lines as the terminal; columns go as it narrows.
func TestWidths(t *testing.T) {
	db := openIndex(t)
	for _, w := range []int{40, 60, 80, 120, 200} {
		for _, h := range []int{8, 20, 40} {
			m := newModel(t, db, Options{Color: false})
			update(m, tea.WindowSizeMsg{Width: w, Height: h})
			for _, keys := range [][]string{nil, {"enter"}, {"enter", "enter"}, {"?"}} {
				press(m, keys...)
				lines := strings.Split(m.Render(), "\n")
				if len(lines) != h {
					t.Errorf("%dx%d after %q: %d lines, want %d", w, h, keys, len(lines), h)
				}
				for _, l := range lines {
					if runewidth.StringWidth(l) > w {
						t.Errorf("%dx%d after %q: line wider than the screen: %q", w, h, keys, l)
					}
				}
			}
		}
	}
	m := newModel(t, db, Options{})
	update(m, tea.WindowSizeMsg{Width: 60, Height: 20})
	if s := m.Render(); strings.Contains(s, "last used") || !strings.Contains(s, "exclusive") {
		t.Errorf("at 60 columns the time column should go, the exclusive one stay:\n%s", s)
	}
	update(m, tea.WindowSizeMsg{Width: 200, Height: 20})
	if s := m.Render(); !strings.Contains(s, "last used") || !strings.Contains(s, "[####################]") {
		t.Errorf("at 200 columns, every column and a 20-wide bar:\n%s", s)
	}
}

// TestScroll: the cursor stays on the screen.
func TestScroll(t *testing.T) {
	db := openIndex(t)
	m := newModel(t, db, Options{})
	update(m, tea.WindowSizeMsg{Width: 80, Height: 7}) // two rows of the list
	press(m, "down", "down")
	if l := cursorLine(t, m); !strings.Contains(l, "model/org/x") {
		t.Errorf("cursor line = %q", l)
	}
	press(m, "g")
	if l := cursorLine(t, m); !strings.Contains(l, "model/org/a") {
		t.Errorf("after g: cursor line = %q", l)
	}
}

func TestColour(t *testing.T) {
	db := openIndex(t)
	for _, color := range []bool{false, true} {
		m := newModel(t, db, Options{Color: color})
		s := m.Render()
		if got := strings.Contains(s, "\x1b["); got != color {
			t.Errorf("colour %v: escape sequences in the screen: %v\n%q", color, got, s)
		}
		if color && (!strings.Contains(s, "\x1b[7m>") || !strings.Contains(s, "\x1b[31m [damaged]")) {
			t.Errorf("colour: no reverse cursor line or red damage mark:\n%q", s)
		}
	}
}

func TestHelp(t *testing.T) {
	db := openIndex(t)
	m := newModel(t, db, Options{})
	press(m, "?")
	if s := m.Render(); !strings.Contains(s, "hfidx browse: keys") || !strings.Contains(s, "delete the marks") {
		t.Errorf("no help:\n%s", s)
	}
	press(m, "q")
	if m.Outcome() != Browsing || strings.Contains(m.Render(), "hfidx browse: keys") {
		t.Errorf("q in the help should close it, not quit")
	}
}

// fake serves no revisions and plans that free nothing.
type fake struct{}

func (fake) Revisions(string) ([]query.BrowseRevision, error) { return nil, nil }
func (fake) Files(string, string) ([]query.BrowseFile, error) { return nil, nil }
func (fake) Plan(*query.Selection) (*query.Plan, error)       { return &query.Plan{}, nil }

// TestNarrow: what must stay in view at 60 columns does: the total, the
// damage mark of a long id, the row's details and the way to the help.
func TestNarrow(t *testing.T) {
	long := "model/some-organisation/a-repository-name-much-longer-than-sixty-columns"
	totals := query.BrowseTotals{CacheDir: "/home/someone/.cache/huggingface/hub/and/deeper/still", Size: 1_500_000_000, Repos: 2, DamagedRepos: 1, DamagedSize: 5}
	repos := []query.BrowseRepo{
		{Folder: "models--some-organisation--a", CacheID: long, Damaged: true, SizeOnDisk: 5, Revisions: 1},
		{Folder: "models--o--b", CacheID: "model/o/b", SizeOnDisk: 1_500_000_000, Revisions: 1, RefsList: "main"},
	}
	m := New(totals, repos, fake{}, Options{Now: 1})
	update(m, tea.WindowSizeMsg{Width: 60, Height: 10})
	lines := strings.Split(m.Render(), "\n")
	for _, l := range lines {
		if runewidth.StringWidth(l) > 60 {
			t.Errorf("line wider than 60 columns: %q", l)
		}
	}
	if !strings.Contains(lines[0], "total 1.5G, 1 repo(s) (+5.0 damaged)") || !strings.HasPrefix(lines[0], "…") {
		t.Errorf("title = %q, want the total whole and the folder cut at its start", lines[0])
	}
	if !strings.Contains(m.Render(), "… [damaged]") {
		t.Errorf("the damage mark of a long id is cut off:\n%s", m.Render())
	}
	press(m, "d")
	lines = strings.Split(m.Render(), "\n")
	if foot := lines[len(lines)-1]; foot != "Marked 1 repo, freeing 0.0.  ? help" {
		t.Errorf("footer = %q, want the marks and the help key", foot)
	}
}

// TestPlannedLater: the exclusive bytes show once planned, off the keys;
// until then an ellipsis holds their place.
func TestPlannedLater(t *testing.T) {
	db := openIndex(t)
	totals, _ := query.LoadBrowseTotals(db)
	repos, err := query.LoadBrowseRepos(db)
	if err != nil {
		t.Fatal(err)
	}
	m := New(totals, repos, IndexSource(db), Options{Now: 1})
	if l := cursorLine(t, m); !strings.Contains(l, "35.0 [##########]         … ") {
		t.Errorf("before planning: %q, want an ellipsis", l)
	}
	if s := m.Render(); !strings.Contains(s, "exclusive …") {
		t.Errorf("info line before planning:\n%s", s)
	}
	cmd := m.Init()
	if cmd == nil {
		t.Fatal("Init plans nothing")
	}
	m.Update(cmd())
	if l := cursorLine(t, m); !strings.Contains(l, "35.0 [##########]      35.0 ") {
		t.Errorf("after planning: %q", l)
	}
}

// TestPage: PgDn and PgUp move the view by a page with the cursor.
func TestPage(t *testing.T) {
	var repos []query.BrowseRepo
	for i := range 50 {
		repos = append(repos, query.BrowseRepo{Folder: fmt.Sprintf("models--o--r%02d", i), CacheID: fmt.Sprintf("model/o/r%02d", i), SizeOnDisk: int64(100 - i)})
	}
	m := New(query.BrowseTotals{}, repos, fake{}, Options{Now: 1})
	update(m, tea.WindowSizeMsg{Width: 80, Height: 15}) // 10 rows of the list
	top := func() string {
		return strings.Split(m.Render(), "\n")[3]
	}
	update(m, tea.KeyPressMsg{Code: tea.KeyPgDown})
	if l := cursorLine(t, m); !strings.Contains(l, "model/o/r10") || !strings.Contains(top(), "model/o/r10") {
		t.Errorf("after PgDn: cursor %q, first row %q; want r10 for both", l, top())
	}
	update(m, tea.KeyPressMsg{Code: tea.KeyDown})
	update(m, tea.KeyPressMsg{Code: tea.KeyPgUp})
	if l := cursorLine(t, m); !strings.Contains(l, "model/o/r01") || !strings.Contains(top(), "model/o/r00") {
		t.Errorf("after PgUp: cursor %q, first row %q; want r01 and r00", l, top())
	}
	update(m, tea.KeyPressMsg{Code: 'G', Text: "G"})
	if l := cursorLine(t, m); !strings.Contains(l, "model/o/r49") {
		t.Errorf("after G: cursor %q", l)
	}
}

// TestMarksKept: the marks given are marked, and planned.
func TestMarksKept(t *testing.T) {
	db := openIndex(t)
	m := newModel(t, db, Options{})
	press(m, "enter", "d", "enter", "d")
	m2 := newModel(t, db, Options{Marks: m.Selection()})
	if got, want := m2.MarkText(), m.MarkText(); got != want || got != "Marked 1 revision, 1 file, freeing 30.0." {
		t.Errorf("MarkText = %q, want %q (30.0)", got, want)
	}
	if l := cursorLine(t, m2); !strings.HasPrefix(l, ">+") {
		t.Errorf("org/a with marks inside = %q, want +", l)
	}
}
