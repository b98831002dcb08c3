package tui

import (
	"path/filepath"
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

// Sizes: org/a holds config.json (2 bytes, in all three revisions), w.bin
// of 10 and 20 bytes and extra.txt (3): 35 bytes; revision 2222 alone
// frees 20, 3333 alone 3, both 23. dataset org/d: 8 bytes.
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
repo model org/a-very-long-repository-name-that-does-not-fit-in-eighty-columns-at-all-really
rev 5555555555555555555555555555555555555555
file x.bin "x" time=100
`

// openIndex builds the cache of spec and returns its open index.
func openIndex(t testing.TB) *sqlx.DB { return openIndexOf(t, spec) }

func openIndexOf(t testing.TB, spec string) *sqlx.DB {
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

func newModel(t *testing.T, db *sqlx.DB, color bool) (*Model, *int) {
	t.Helper()
	repos, err := query.LoadChoices(db, "")
	if err != nil {
		t.Fatal(err)
	}
	calls := 0
	m := New(repos, func(s *query.Selection) (*query.Plan, error) {
		calls++
		return query.MakePlan(db, s)
	}, 10_000, color)
	m.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
	return m, &calls
}

var (
	keyDown  = tea.KeyPressMsg{Code: tea.KeyDown}
	keyUp    = tea.KeyPressMsg{Code: tea.KeyUp}
	keySpace = tea.KeyPressMsg{Code: tea.KeySpace, Text: " "}
	keyEnter = tea.KeyPressMsg{Code: tea.KeyEnter}
	keyCtrlC = tea.KeyPressMsg{Code: 'c', Mod: tea.ModCtrl}
	keyEsc   = tea.KeyPressMsg{Code: tea.KeyEscape}
)

func runes(s string) tea.KeyPressMsg { return tea.KeyPressMsg{Code: []rune(s)[0], Text: s} }

func press(m *Model, keys ...tea.KeyPressMsg) tea.Cmd {
	var cmd tea.Cmd
	for _, k := range keys {
		_, cmd = m.Update(k)
	}
	return cmd
}

// cursorLine returns the list line the cursor is on.
func cursorLine(t *testing.T, m *Model) string {
	t.Helper()
	for _, l := range strings.Split(m.Render(), "\n") {
		if strings.HasPrefix(l, "> ") {
			return l
		}
	}
	t.Fatalf("no cursor line in view:\n%s", m.Render())
	return ""
}

// planFreed is the plan's figure for the given revisions, asked directly.
func planFreed(t *testing.T, db *sqlx.DB, folder string, hashes ...string) int64 {
	t.Helper()
	sel := &query.Selection{Revisions: map[query.RevisionKey]bool{}, Repos: map[string]bool{}}
	for _, h := range hashes {
		sel.Revisions[query.RevisionKey{Folder: folder, Hash: h}] = true
	}
	p, err := query.MakePlan(db, sel)
	if err != nil {
		t.Fatal(err)
	}
	return p.ExpectedFreedSize
}

func TestListOrderAndLabels(t *testing.T) {
	db := openIndex(t)
	m, _ := newModel(t, db, false)
	view := m.Render()
	want := []string{
		"Select revisions to delete:",
		"Nothing selected yet.",
		"",
		"> [ ] None of the following (cancel the deletion)",
		"  [ ] Dataset org/d (8.0, used ",
		"      [ ] 44444444: main # modified 3 hours ago",
		"  [ ] Model org/a (35.0, used ",
		"      [ ] 11111111: main # modified 2 hours ago",
		"      [ ] 22222222: refs/pr/1 # modified 2 hours ago",
		"      [ ] 33333333: (detached) # modified 2 hours ago",
		"  [ ] Model org/a-very-long-repository-name",
		"      [ ] 55555555: (detached) # modified 3 hours ago",
	}
	lines := strings.Split(view, "\n")
	for i, w := range want {
		if i >= len(lines) || !strings.HasPrefix(lines[i], w) {
			t.Fatalf("view line %d does not start with %q; view:\n%s", i, w, view)
		}
	}
	if !strings.Contains(lines[len(lines)-1], "space toggle") {
		t.Errorf("last line %q is not the key help", lines[len(lines)-1])
	}
	for _, l := range lines {
		if w := runewidth.StringWidth(l); w > 80 {
			t.Errorf("line %q is %d columns wide, want at most 80", l, w)
		}
		if strings.Contains(l, "\x1b") {
			t.Errorf("line %q carries an escape code without colour", l)
		}
	}
}

func TestToggleShowsThePlansFreedSize(t *testing.T) {
	db := openIndex(t)
	m, calls := newModel(t, db, false)
	press(m, keyDown, keyDown, keyDown, keyDown, keyDown) // cancel, d, 4444, a, 1111, 2222
	if l := cursorLine(t, m); !strings.Contains(l, "22222222") {
		t.Fatalf("after 5 downs the cursor is on %q, want revision 22222222", l)
	}
	press(m, keySpace)
	freed, err := m.Freed()
	if err != nil {
		t.Fatal(err)
	}
	if want := planFreed(t, db, "models--org--a", "2222222222222222222222222222222222222222"); freed != want || freed != 20 {
		t.Errorf("freed after toggling 2222 = %d, want the plan's %d (20)", freed, want)
	}
	if got, want := m.Expectations(), "1 revision(s) selected, freeing 20.0."; got != want {
		t.Errorf("Expectations() = %q, want %q", got, want)
	}
	if !strings.Contains(m.Render(), "\n1 revision(s) selected, freeing 20.0.\n") {
		t.Errorf("view does not show the freed size at the top:\n%s", m.Render())
	}
	press(m, keyDown, keySpace) // 3333 too: w.bin 20 and extra.txt 3; config.json stays with 1111.
	freed, _ = m.Freed()
	if want := planFreed(t, db, "models--org--a", "2222222222222222222222222222222222222222", "3333333333333333333333333333333333333333"); freed != want || freed != 23 {
		t.Errorf("freed after toggling 2222 and 3333 = %d, want the plan's %d (23)", freed, want)
	}
	press(m, keyUp, keyUp, keyUp, keySpace) // the repo line: every revision, the whole repo.
	freed, _ = m.Freed()
	if freed != 35 {
		t.Errorf("freed with every revision of org/a = %d, want 35 (the whole repo)", freed)
	}
	if !strings.Contains(m.Render(), "[x] Model org/a (35.0") {
		t.Errorf("the repo line is not checked:\n%s", m.Render())
	}
	press(m, keySpace) // all on: off again.
	if freed, _ = m.Freed(); freed != 0 || m.Expectations() != "Nothing selected yet." {
		t.Errorf("after un-checking the repo: freed %d, %q; want 0, nothing selected", freed, m.Expectations())
	}
	press(m, keyDown, keySpace, keyUp) // 1111 alone: the repo line shows a partial mark.
	if !strings.Contains(m.Render(), "[-] Model org/a (35.0") {
		t.Errorf("the repo line does not show a partial selection:\n%s", m.Render())
	}
	// Five toggles; the empty selection needs no plan.
	if *calls != 4 {
		t.Errorf("the planner ran %d times for 4 non-empty selections", *calls)
	}
	cmd := press(m, keyEnter)
	if m.Outcome() != Confirmed || cmd == nil {
		t.Fatalf("enter: outcome %v, cmd %v; want Confirmed and a quit", m.Outcome(), cmd)
	}
	sel := m.Selection()
	if len(sel.Revisions) != 1 || !sel.Revisions[query.RevisionKey{Folder: "models--org--a", Hash: "1111111111111111111111111111111111111111"}] || len(sel.Repos) != 0 {
		t.Errorf("Selection() = %+v, want revision 1111 of models--org--a only", sel)
	}
}

func TestCancelEntryWins(t *testing.T) {
	db := openIndex(t)
	m, _ := newModel(t, db, false)
	press(m, keyDown, keyDown, keySpace) // 4444
	if freed, _ := m.Freed(); freed != 8 {
		t.Fatalf("freed with 4444 = %d, want 8", freed)
	}
	press(m, keyUp, keyUp, keySpace) // the cancel entry
	if got := m.Expectations(); !strings.HasPrefix(got, "Nothing will be deleted") {
		t.Errorf("Expectations() with cancel checked = %q, want Nothing will be deleted", got)
	}
	press(m, keyEnter)
	if m.Outcome() != Cancelled {
		t.Errorf("enter with cancel checked: outcome %v, want Cancelled", m.Outcome())
	}
}

func TestCtrlCQuits(t *testing.T) {
	db := openIndex(t)
	m, _ := newModel(t, db, false)
	press(m, keyDown, keyDown, keySpace)
	cmd := press(m, keyCtrlC)
	if m.Outcome() != Quit || cmd == nil {
		t.Fatalf("ctrl+c: outcome %v, cmd %v; want Quit and a quit command", m.Outcome(), cmd)
	}
	if _, ok := cmd().(tea.QuitMsg); !ok {
		t.Errorf("ctrl+c's command does not quit")
	}
}

func TestSearchNarrowsTheList(t *testing.T) {
	db := openIndex(t)
	m, _ := newModel(t, db, false)
	press(m, runes("/"), runes("p"), runes("r"), runes("/"), keyEnter) // refs/pr/1 (pr/ matches no repo id)
	view := m.Render()
	if !strings.Contains(view, "22222222") || strings.Contains(view, "11111111") || strings.Contains(view, "Dataset") {
		t.Errorf("search pr/ shows:\n%s\nwant revision 22222222 under Model org/a only", view)
	}
	if !strings.Contains(view, "Search: pr/") {
		t.Errorf("the view does not show the search:\n%s", view)
	}
	press(m, keyDown, keyDown, keySpace)
	if l := cursorLine(t, m); !strings.Contains(l, "[x] 22222222") {
		t.Errorf("toggled line %q, want 22222222 checked", l)
	}
	press(m, keyEsc)
	if view := m.Render(); !strings.Contains(view, "11111111") || !strings.Contains(view, "Dataset org/d") {
		t.Errorf("esc did not clear the search:\n%s", view)
	}
	if freed, _ := m.Freed(); freed != 20 {
		t.Errorf("freed = %d after toggling 2222 through the search, want 20", freed)
	}
	// In the search box, space and x are text, not toggles.
	press(m, runes("/"), runes("x"), keySpace)
	if freed, _ := m.Freed(); freed != 20 || !strings.Contains(m.Render(), "Search: x _") {
		t.Errorf("typing in the search toggled something (freed %d):\n%s", freed, m.Render())
	}
}

func TestColourAndWidth(t *testing.T) {
	db := openIndex(t)
	m, _ := newModel(t, db, true)
	if !strings.Contains(m.Render(), "\x1b[7m") {
		t.Errorf("no reverse video on the cursor line with colour allowed")
	}
	m.Update(tea.WindowSizeMsg{Width: 40, Height: 8})
	m2 := New(m.repos, m.plan, m.now, false)
	m2.Update(tea.WindowSizeMsg{Width: 40, Height: 8})
	lines := strings.Split(m2.Render(), "\n")
	if len(lines) > 8 {
		t.Errorf("view has %d lines for a height of 8:\n%s", len(lines), m2.Render())
	}
	for _, l := range lines {
		if w := runewidth.StringWidth(l); w > 40 {
			t.Errorf("line %q is %d columns wide, want at most 40", l, w)
		}
	}
	// The cursor stays in sight when it moves past the bottom.
	for range 6 {
		press(m2, keyDown)
	}
	if l := cursorLine(t, m2); !strings.Contains(l, "33333333") {
		t.Errorf("after 6 downs the cursor line is %q, want 33333333 in sight", l)
	}
}

// An empty cache lists only the cancel entry, unchecked.
func TestEmptyCache(t *testing.T) {
	db := openIndexOf(t, "")
	m, calls := newModel(t, db, false)
	lines := strings.Split(m.Render(), "\n")
	if len(lines) != 5 || lines[3] != "> [ ] None of the following (cancel the deletion)" {
		t.Errorf("view of an empty cache:\n%s\nwant the cancel entry alone", m.Render())
	}
	press(m, keyDown, keySpace)
	if m.Expectations() != "Nothing will be deleted (cancel is checked)." || *calls != 0 {
		t.Errorf("Expectations() = %q after %d plans", m.Expectations(), *calls)
	}
}

// A repo without revisions is an entry of its own: checking it selects the
// repo whole, and the plan removes its folder.
func TestRepoWithoutRevisions(t *testing.T) {
	db := openIndexOf(t, `
repo model org/empty
orphan "0123456789"
repo model org/full
rev 1111111111111111111111111111111111111111
file a.bin "aaaa"
`)
	m, _ := newModel(t, db, false)
	press(m, keyDown)
	if l := cursorLine(t, m); !strings.Contains(l, "[ ] Model org/empty") || !strings.HasSuffix(l, "(no revisions)") {
		t.Fatalf("cursor line %q, want the repo without revisions", l)
	}
	press(m, keySpace)
	sel := m.Selection()
	if !sel.Repos["models--org--empty"] || len(sel.Repos) != 1 || len(sel.Revisions) != 0 {
		t.Fatalf("Selection() = %+v, want the repo models--org--empty whole", sel)
	}
	p, err := query.MakePlan(db, sel)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Repos) != 1 || !strings.HasSuffix(p.Repos[0], "models--org--empty") {
		t.Errorf("plan removes %q, want the folder models--org--empty", p.Repos)
	}
	if got, want := m.Expectations(), "0 revision(s) and 1 repo(s) selected, freeing "+query.FormatSize(p.ExpectedFreedSize)+"."; got != want {
		t.Errorf("Expectations() = %q, want %q", got, want)
	}
	press(m, keyDown, keyDown, keySpace) // org/full's only revision: with it, two repos go.
	if freed, _ := m.Freed(); freed != p.ExpectedFreedSize+4 {
		t.Errorf("freed with org/full's revision = %d, want %d", freed, p.ExpectedFreedSize+4)
	}
}

// FuzzKeys presses any sequence of keys, at any size: the list never
// panics, the cursor stays on a shown entry, no line is wider than the
// terminal, and the freed size at the top is always the plan's.
func FuzzKeys(f *testing.F) {
	f.Add([]byte{1, 1, 4, 1, 4, 0, 4}, uint8(80), uint8(24))
	f.Add([]byte{6, 9, 9, 7, 1, 4, 8, 3}, uint8(20), uint8(3))
	f.Add([]byte{4, 5}, uint8(0), uint8(0))
	db := openIndex(f)
	repos, err := query.LoadChoices(db, "")
	if err != nil {
		f.Fatal(err)
	}
	keys := []tea.KeyPressMsg{keyUp, keyDown, {Code: tea.KeyPgUp}, {Code: tea.KeyPgDown}, keySpace, keyEnter,
		runes("/"), keyEsc, {Code: tea.KeyBackspace}, runes("a"), runes("2"), runes("x"), {Code: tea.KeyHome}, {Code: tea.KeyEnd}}
	f.Fuzz(func(t *testing.T, presses []byte, width, height uint8) {
		m := New(repos, func(s *query.Selection) (*query.Plan, error) { return query.MakePlan(db, s) }, 10_000, false)
		m.Update(tea.WindowSizeMsg{Width: int(width), Height: int(height)})
		for _, p := range presses {
			m.Update(keys[int(p)%len(keys)])
			if m.Outcome() != Pending {
				m.outcome = Pending // keep going: enter only ends the program
			}
			if !m.visible(m.cursor) {
				t.Fatalf("cursor on hidden item %d (filter %q)", m.cursor, m.filter)
			}
			for _, l := range strings.Split(m.Render(), "\n") {
				if w := runewidth.StringWidth(l); width > 0 && w > int(width) {
					t.Fatalf("line %q is %d wide, terminal %d", l, w, width)
				}
			}
		}
		sel := m.Selection()
		var want int64
		if !sel.Empty() {
			p, err := query.MakePlan(db, sel)
			if err != nil {
				t.Fatal(err)
			}
			want = p.ExpectedFreedSize
		}
		if got, err := m.Freed(); err != nil || got != want {
			t.Fatalf("Freed() = %d, %v; the plan of the selection frees %d", got, err, want)
		}
	})
}
