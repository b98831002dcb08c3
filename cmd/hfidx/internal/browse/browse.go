// Package browse is the terminal browser of `hfidx browse`, in the manner
// of ncdu: the repos of the cache sorted by size with a bar each, entered
// into their revisions and then their files, each row with what deleting
// it alone frees; rows are marked, and the marks are handed back as a
// query.Selection for the same plan, confirmation and executor as
// `hfidx delete`.
package browse

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"

	tea "charm.land/bubbletea/v2"
	"github.com/jmoiron/sqlx"
	"github.com/mattn/go-runewidth"

	"github.com/hfidx/hfidx/query"
)

// Source is what the browser reads beyond the repos it starts with: the
// revisions of a repo, the entries of a revision, and the plan of a
// selection (query.MakePlan), whose freed bytes it shows.
type Source interface {
	Revisions(folder string) ([]query.BrowseRevision, error)
	Files(folder, hash string) ([]query.BrowseFile, error)
	Plan(*query.Selection) (*query.Plan, error)
}

// IndexSource returns the Source reading the open index db.
func IndexSource(db *sqlx.DB) Source { return indexSource{db} }

type indexSource struct{ db *sqlx.DB }

func (s indexSource) Revisions(folder string) ([]query.BrowseRevision, error) {
	return query.LoadBrowseRevisions(s.db, folder)
}

func (s indexSource) Files(folder, hash string) ([]query.BrowseFile, error) {
	return query.LoadBrowseFiles(s.db, folder, hash)
}

func (s indexSource) Plan(sel *query.Selection) (*query.Plan, error) {
	return query.MakePlan(s.db, sel)
}

// Outcome is how the user left the browser.
type Outcome int

// Outcomes.
const (
	Browsing Outcome = iota // still browsing
	Quit                    // q, ctrl+c, or esc at the top level
	Delete                  // D with something marked
)

// Level is how deep the browser is.
type Level int

// Levels.
const (
	Repos     Level = iota // the repos of the cache
	Revisions              // the revisions of one repo
	Files                  // the entries of one revision
)

// Location is where the browser is: a repo folder ("" at the top), a
// revision of it ("" above the files), and the cursor's row there.
type Location struct {
	Folder string
	Hash   string
	Row    int
}

// Options are the browser's settings.
type Options struct {
	Now   float64 // Unix seconds relative times count from
	Color bool    // ANSI styles allowed
	// NoDelete, when not empty, is why D does not delete (shown instead).
	NoDelete string
	// Start is where the browser opens, when it still exists.
	Start Location
	// Status is a message shown until the first key.
	Status string
	// Marks are marked when it opens (a Selection's Repos, Revisions and
	// Files).
	Marks *query.Selection
}

// key names a row: a repo (kind Repos), a revision or a file, as the
// Selection does.
type key struct {
	kind   Level
	folder string
	hash   string
	path   string
}

// row is one line of the current listing.
type row struct {
	key  key
	name string // what sorting by name compares
	size int64
	time float64
	i    int // index in the level's slice
}

// Sort orders.
type sortKey int

const (
	bySize sortKey = iota
	byName
	byTime
)

type freed struct {
	n   int64
	err error
}

// Model is the browser, a bubbletea model. Drive it with Update and read
// Outcome, Selection and Location once it has quit.
type Model struct {
	totals query.BrowseTotals
	repos  []query.BrowseRepo
	src    Source
	opt    Options

	level Level
	repo  int // index in repos, below the top
	revs  []query.BrowseRevision
	rev   int // index in revs, at the file level
	files []query.BrowseFile
	rows  []row

	cursor int
	offset int
	timeW  int // the width of the time column
	sort   sortKey
	desc   bool

	marks   map[key]bool
	alone   map[key]freed // what deleting a row alone frees, asked once
	pending map[key]bool  // rows being planned
	freed   int64         // what the marks free, per the plan
	planErr error

	help    bool
	status  string
	width   int
	height  int
	outcome Outcome
}

// New returns the browser over repos (any order; it sorts them by size)
// with the cache's totals, reading the rest from src.
func New(totals query.BrowseTotals, repos []query.BrowseRepo, src Source, opt Options) *Model {
	m := &Model{totals: totals, repos: repos, src: src, opt: opt, marks: map[key]bool{}, alone: map[key]freed{}, pending: map[key]bool{},
		width: 80, height: 24, desc: true, status: opt.Status}
	if sel := opt.Marks; sel != nil {
		for f := range sel.Repos {
			m.marks[key{kind: Repos, folder: f}] = true
		}
		for k := range sel.Revisions {
			m.marks[key{kind: Revisions, folder: k.Folder, hash: k.Hash}] = true
		}
		for k := range sel.Files {
			m.marks[key{kind: Files, folder: k.Folder, hash: k.Hash, path: k.RelPath}] = true
		}
		m.replan()
	}
	m.load()
	at, want := Repos, Repos
	if f := opt.Start.Folder; f != "" {
		want = Revisions
		if m.goTo(key{kind: Repos, folder: f}) && m.enter() {
			at = Revisions
			if h := opt.Start.Hash; h != "" {
				want = Files
				if m.goTo(key{kind: Revisions, folder: f, hash: h}) && m.enter() {
					at = Files
				}
			}
		}
	}
	if at == want {
		// Where the cursor was, or the row that took its place.
		m.move(opt.Start.Row)
	}
	return m
}

// Init implements tea.Model.
func (m *Model) Init() tea.Cmd { return m.fetch() }

// Outcome returns how the user left the browser.
func (m *Model) Outcome() Outcome { return m.outcome }

// Location returns where the browser is.
func (m *Model) Location() Location {
	switch m.level {
	case Revisions:
		return Location{Folder: m.repos[m.repo].Folder, Row: m.cursor}
	case Files:
		return Location{Folder: m.repos[m.repo].Folder, Hash: m.revs[m.rev].Hash, Row: m.cursor}
	}
	return Location{Row: m.cursor}
}

// Level returns how deep the browser is.
func (m *Model) Level() Level { return m.level }

// Selection returns what is marked: repos whole, revisions and files.
func (m *Model) Selection() *query.Selection {
	sel := query.NewSelection()
	for k := range m.marks {
		switch k.kind {
		case Repos:
			sel.Repos[k.folder] = true
		case Revisions:
			sel.Revisions[query.RevisionKey{Folder: k.folder, Hash: k.hash}] = true
		case Files:
			sel.Files[query.FileKey{Folder: k.folder, Hash: k.hash, RelPath: k.path}] = true
		}
	}
	return sel
}

// Freed returns what the marks free, per the plan, and the planner's
// error, if any.
func (m *Model) Freed() (int64, error) { return m.freed, m.planErr }

// Update implements tea.Model.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
	case tea.KeyPressMsg:
		if cmd := m.key(msg); cmd != nil {
			return m, cmd
		}
	case plannedMsg:
		for k, f := range msg {
			m.alone[k] = f
			delete(m.pending, k)
		}
	}
	return m, m.fetch()
}

// plannedMsg carries what deleting rows alone frees.
type plannedMsg map[key]freed

// fetchBatch is how many rows are planned at a time, so that the
// numbers appear as they come.
const fetchBatch = 4

// fetch plans, off the user's keys, the rows in view whose exclusive
// bytes are not known yet: one plan each, the cursor's row first.
func (m *Model) fetch() tea.Cmd {
	if m.outcome != Browsing || len(m.rows) == 0 {
		return nil
	}
	m.scroll()
	var want []key
	add := func(k key) {
		if _, ok := m.alone[k]; !ok && !m.pending[k] && len(want) < fetchBatch {
			m.pending[k] = true
			want = append(want, k)
		}
	}
	add(m.rows[m.cursor].key)
	for i := m.offset; i < min(m.offset+m.listHeight(), len(m.rows)); i++ {
		add(m.rows[i].key)
	}
	if len(want) == 0 {
		return nil
	}
	src := m.src
	return func() tea.Msg {
		got := plannedMsg{}
		for _, k := range want {
			var f freed
			if p, err := src.Plan(alone(k)); err != nil {
				f.err = err
			} else {
				f.n = p.ExpectedFreedSize
			}
			got[k] = f
		}
		return got
	}
}

// alone returns the selection of the row k alone.
func alone(k key) *query.Selection {
	sel := query.NewSelection()
	switch k.kind {
	case Repos:
		sel.Repos[k.folder] = true
	case Revisions:
		sel.Revisions[query.RevisionKey{Folder: k.folder, Hash: k.hash}] = true
	case Files:
		sel.Files[query.FileKey{Folder: k.folder, Hash: k.hash, RelPath: k.path}] = true
	}
	return sel
}

// scroll keeps the cursor's row in view.
func (m *Model) scroll() {
	h := m.listHeight()
	m.offset = min(m.offset, m.cursor)
	if m.cursor >= m.offset+h {
		m.offset = m.cursor - h + 1
	}
	m.offset = max(0, min(m.offset, len(m.rows)-h))
}

func (m *Model) key(k tea.KeyPressMsg) tea.Cmd {
	m.status = ""
	if k.String() == "ctrl+c" {
		m.outcome = Quit
		return tea.Quit
	}
	if m.help {
		// Any key closes the help, as a pager's q would.
		m.help = false
		return nil
	}
	switch k.Code {
	case tea.KeyUp:
		m.move(-1)
		return nil
	case tea.KeyDown:
		m.move(1)
		return nil
	case tea.KeyPgUp:
		// A page: the view moves with the cursor.
		m.move(-m.listHeight())
		m.offset -= m.listHeight()
		return nil
	case tea.KeyPgDown:
		m.move(m.listHeight())
		m.offset += m.listHeight()
		return nil
	case tea.KeyHome:
		m.move(-len(m.rows))
		return nil
	case tea.KeyEnd:
		m.move(len(m.rows))
		return nil
	case tea.KeyEnter, tea.KeyRight:
		m.enter()
		return nil
	case tea.KeyLeft, tea.KeyBackspace:
		m.up()
		return nil
	case tea.KeyEscape:
		if m.level == Repos {
			m.outcome = Quit
			return tea.Quit
		}
		m.up()
		return nil
	case tea.KeySpace:
		m.toggle()
		return nil
	}
	switch k.Text {
	case "q":
		m.outcome = Quit
		return tea.Quit
	case "k":
		m.move(-1)
	case "j":
		m.move(1)
	case "g":
		m.move(-len(m.rows))
	case "G":
		m.move(len(m.rows))
	case "l":
		m.enter()
	case "h", "<":
		m.up()
	case "d":
		m.toggle()
	case "u":
		clear(m.marks)
		m.replan()
		m.status = "All marks cleared."
	case "D":
		return m.delete()
	case "s":
		m.setSort(bySize)
	case "n":
		m.setSort(byName)
	case "a":
		m.setSort(byTime)
	case "?":
		m.help = true
	}
	return nil
}

// delete ends the browser to delete the marks, unless nothing is marked
// or deleting is off.
func (m *Model) delete() tea.Cmd {
	switch {
	case m.opt.NoDelete != "":
		m.status = m.opt.NoDelete
	case len(m.marks) == 0:
		m.status = "Nothing marked: mark rows with d or space, then press D."
	case m.planErr != nil:
		m.status = "Cannot plan the deletion: " + m.planErr.Error()
	default:
		m.outcome = Delete
		return tea.Quit
	}
	return nil
}

// load fills rows for the current level, sorted, with the cursor on the
// first.
func (m *Model) load() {
	m.rows = m.rows[:0]
	switch m.level {
	case Repos:
		for i, r := range m.repos {
			m.rows = append(m.rows, row{key: key{kind: Repos, folder: r.Folder}, name: r.CacheID, size: r.SizeOnDisk, time: r.LastUsed, i: i})
		}
	case Revisions:
		f := m.repos[m.repo].Folder
		for i, v := range m.revs {
			m.rows = append(m.rows, row{key: key{kind: Revisions, folder: f, hash: v.Hash}, name: v.Hash, size: v.SizeOnDisk, time: v.LastModified, i: i})
		}
	case Files:
		f, h := m.repos[m.repo].Folder, m.revs[m.rev].Hash
		for i, e := range m.files {
			m.rows = append(m.rows, row{key: key{kind: Files, folder: f, hash: h, path: e.RelPath}, name: e.RelPath, size: e.SizeOnDisk, time: e.Mtime, i: i})
		}
	}
	m.sortRows()
	m.cursor, m.offset = 0, 0
	m.timeW = len("last used")
	for _, r := range m.rows {
		m.timeW = max(m.timeW, runewidth.StringWidth(m.since(r.time)))
	}
}

func (m *Model) sortRows() {
	slices.SortStableFunc(m.rows, func(a, b row) int {
		var c int
		switch m.sort {
		case bySize:
			c = cmp.Compare(a.size, b.size)
		case byName:
			c = strings.Compare(a.name, b.name)
		case byTime:
			c = cmp.Compare(a.time, b.time)
		}
		if m.desc {
			c = -c
		}
		return cmp.Or(c, strings.Compare(a.name, b.name), strings.Compare(a.key.folder, b.key.folder))
	})
}

// setSort sorts by s; sorting again by the same key reverses the order.
// Sizes and times start largest and newest first, names from A.
func (m *Model) setSort(s sortKey) {
	if m.sort == s {
		m.desc = !m.desc
	} else {
		m.sort, m.desc = s, s != byName
	}
	var at key
	if len(m.rows) > 0 {
		at = m.rows[m.cursor].key
	}
	m.sortRows()
	m.goTo(at)
}

// goTo puts the cursor on the row of k and reports whether there is one.
func (m *Model) goTo(k key) bool {
	for i, r := range m.rows {
		if r.key == k {
			m.cursor = i
			return true
		}
	}
	return false
}

// enter opens the row under the cursor: a repo's revisions, a
// revision's files. It reports whether it went down.
func (m *Model) enter() bool {
	if len(m.rows) == 0 {
		return false
	}
	r := m.rows[m.cursor]
	switch m.level {
	case Repos:
		revs, err := m.src.Revisions(r.key.folder)
		if err != nil {
			m.status = "Cannot read the revisions: " + err.Error()
			return false
		}
		m.repo, m.revs, m.level = r.i, revs, Revisions
		if len(revs) == 0 {
			m.status = "No revisions: mark the repo (d) to delete its folder whole."
		}
	case Revisions:
		files, err := m.src.Files(r.key.folder, r.key.hash)
		if err != nil {
			m.status = "Cannot read the files: " + err.Error()
			return false
		}
		m.rev, m.files, m.level = r.i, files, Files
		if len(files) == 0 {
			m.status = "No files in this revision."
		}
	default:
		return false
	}
	m.load()
	return true
}

// up goes back to the level above, with the cursor on the row it left.
func (m *Model) up() {
	var from key
	switch m.level {
	case Repos:
		return
	case Revisions:
		from = key{kind: Repos, folder: m.repos[m.repo].Folder}
	case Files:
		from = key{kind: Revisions, folder: m.repos[m.repo].Folder, hash: m.revs[m.rev].Hash}
	}
	m.level--
	m.load()
	m.goTo(from)
}

func (m *Model) move(n int) {
	m.cursor = max(0, min(m.cursor+n, len(m.rows)-1))
}

// covered returns the mark above k that deletes it anyway ("" if none).
func (m *Model) covered(k key) string {
	if k.kind >= Revisions && m.marks[key{kind: Repos, folder: k.folder}] {
		return "its repo"
	}
	if k.kind == Files && m.marks[key{kind: Revisions, folder: k.folder, hash: k.hash}] {
		return "its revision"
	}
	return ""
}

// inside reports whether something below k is marked.
func (m *Model) inside(k key) bool {
	for o := range m.marks {
		if o.kind > k.kind && o.folder == k.folder && (k.kind == Repos || o.hash == k.hash) {
			return true
		}
	}
	return false
}

// toggle marks or unmarks the row under the cursor, plans the marks
// again and moves down.
func (m *Model) toggle() {
	if len(m.rows) == 0 {
		return
	}
	k := m.rows[m.cursor].key
	if c := m.covered(k); c != "" {
		m.status = "Marked with " + c + ": unmark that to choose inside it."
		return
	}
	if m.marks[k] {
		delete(m.marks, k)
	} else {
		m.marks[k] = true
	}
	m.replan()
	m.move(1)
}

// replan asks the planner what the marks free.
func (m *Model) replan() {
	m.freed, m.planErr = 0, nil
	if len(m.marks) == 0 {
		return
	}
	p, err := m.src.Plan(m.Selection())
	if err != nil {
		m.planErr = err
		return
	}
	m.freed = p.ExpectedFreedSize
}

// aloneFreed returns what deleting the row k alone frees, per the plan
// (its exclusive bytes), once fetch has asked; known is false before.
func (m *Model) aloneFreed(k key) (n int64, known bool, err error) {
	f, ok := m.alone[k]
	return f.n, ok, f.err
}

// MarkText says what is marked and what deleting it frees.
func (m *Model) MarkText() string {
	if len(m.marks) == 0 {
		return "Nothing marked."
	}
	var n [3]int
	for k := range m.marks {
		n[k.kind]++
	}
	var parts []string
	for i, w := range [][2]string{{"repo", "repos"}, {"revision", "revisions"}, {"file", "files"}} {
		if n[i] == 1 {
			parts = append(parts, "1 "+w[0])
		} else if n[i] > 1 {
			parts = append(parts, fmt.Sprintf("%d %s", n[i], w[1]))
		}
	}
	if m.planErr != nil {
		return "Marked " + strings.Join(parts, ", ") + "; cannot plan: " + m.planErr.Error()
	}
	return "Marked " + strings.Join(parts, ", ") + ", freeing " + query.FormatSize(m.freed) + "."
}

// chrome is the number of lines around the list: title, location,
// column heads, the info line and the keys.
const chrome = 5

func (m *Model) listHeight() int { return max(m.height-chrome, 1) }

// View implements tea.Model.
func (m *Model) View() tea.View {
	v := tea.NewView(m.Render())
	v.AltScreen = true
	return v
}

// Render returns the screen as text.
func (m *Model) Render() string {
	if m.outcome != Browsing {
		return ""
	}
	var b strings.Builder
	b.WriteString(m.titleLine())
	b.WriteString("\n")
	b.WriteString(m.locationLine())
	b.WriteString("\n")
	lay := m.layout()
	h := m.listHeight()
	if m.help {
		lines := helpLines()
		for i := range h + 1 {
			s := ""
			if i < len(lines) {
				s = lines[i]
			}
			b.WriteString(m.fit(s, ""))
			b.WriteString("\n")
		}
	} else {
		b.WriteString(m.fit(lay.heads(m.level), "2"))
		b.WriteString("\n")
		m.scroll()
		var largest int64
		for _, r := range m.rows {
			largest = max(largest, r.size)
		}
		for i := m.offset; i < m.offset+h; i++ {
			if i < len(m.rows) {
				b.WriteString(m.rowLine(lay, i, largest))
			} else if i == 0 {
				b.WriteString(m.fit("   (empty)", ""))
			}
			b.WriteString("\n")
		}
	}
	info := m.status
	if info == "" {
		info = m.infoLine()
	}
	b.WriteString(m.fit(info, ""))
	b.WriteString("\n")
	keys := m.MarkText() + "  d mark · D delete · ? help · q quit"
	if runewidth.StringWidth(keys) > m.width {
		keys = m.MarkText() + "  ? help"
	}
	b.WriteString(m.bar(keys, "7"))
	return b.String()
}

// titleLine names the cache and its total, the one hfidx scan prints;
// when narrow, the program's name goes, then the folder's start.
func (m *Model) titleLine() string {
	t := m.totals
	total := fmt.Sprintf("total %s in %d repo(s)", query.FormatSize(t.Size), t.Repos-t.DamagedRepos)
	if t.DamagedRepos > 0 {
		total += fmt.Sprintf(", %d damaged with %s more", t.DamagedRepos, query.FormatSize(t.DamagedSize))
	}
	dir := clean(t.CacheDir)
	s := "hfidx browse  " + dir + "  " + total
	if runewidth.StringWidth(s) > m.width {
		s = dir + "  " + total
	}
	if runewidth.StringWidth(s) > m.width && t.DamagedRepos > 0 {
		total = fmt.Sprintf("total %s, %d repo(s) (+%s damaged)", query.FormatSize(t.Size), t.Repos-t.DamagedRepos, query.FormatSize(t.DamagedSize))
		s = dir + "  " + total
	}
	if room := m.width - runewidth.StringWidth(total) - 2; runewidth.StringWidth(s) > m.width && room >= 10 {
		s = truncateLeft(dir, room) + "  " + total
	}
	return m.bar(s, "7")
}

// truncateLeft cuts s to w columns from the left, with "…" in front.
func truncateLeft(s string, w int) string {
	r := []rune(s)
	for len(r) > 0 && runewidth.StringWidth(string(r))+1 > w {
		r = r[1:]
	}
	return "…" + string(r)
}

// locationLine shows where the browser is and the order; when narrow,
// the hash shortens, then the order goes, then the repo id is cut.
func (m *Model) locationLine() string {
	locs := []string{"/"}
	switch m.level {
	case Revisions:
		locs = []string{"/ " + m.repos[m.repo].CacheID}
	case Files:
		id, h := m.repos[m.repo].CacheID, m.revs[m.rev].Hash
		locs = []string{"/ " + id + " / " + h, "/ " + id + " / " + shortHash(h)}
	}
	order := [...]string{"size", "name", "used"}[m.sort]
	if m.sort == byTime && m.level != Repos {
		order = "modified"
	}
	arrow := "↑"
	if m.desc {
		arrow = "↓"
	}
	right := "sorted by " + order + " " + arrow
	rw := runewidth.StringWidth(right)
	for _, loc := range locs {
		loc = clean(loc)
		if w := runewidth.StringWidth(loc); w+2+rw <= m.width {
			return m.style(loc, "1") + strings.Repeat(" ", m.width-w-rw) + right
		}
	}
	loc := clean(locs[len(locs)-1])
	if m.level == Files && runewidth.StringWidth(loc) > m.width {
		// The revision stays in view; the repo id is cut.
		tail := " / " + shortHash(m.revs[m.rev].Hash)
		loc = runewidth.Truncate(strings.TrimSuffix(loc, tail), max(m.width-runewidth.StringWidth(tail), 3), "…") + tail
	}
	return m.fit(loc, "1")
}

func shortHash(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	return h
}

// layout is which columns fit the width, and how wide they are.
type layout struct {
	bar   int  // bar width inside the brackets, 0: no bar
	excl  bool // the exclusive column
	exclW int  // its width: 9 ("exclusive"), 7 ("excl") when narrow
	time  bool // the last used / modified column
	timeW int  // its width: the longest of its texts
	width int
}

const (
	sizeW = 7  // "1000.0K"
	nameW = 28 // the narrowest name column before columns go
)

func (l layout) fixed() int {
	n := 3 + sizeW + 1
	if l.bar > 0 {
		n += l.bar + 3
	}
	if l.excl {
		n += l.exclW + 1
	}
	if l.time {
		n += l.timeW + 1
	}
	return n
}

// layout drops columns, least useful first, until the name has room.
func (m *Model) layout() layout {
	l := layout{bar: 10, excl: true, exclW: 9, time: true, timeW: m.timeW, width: m.width}
	if m.width >= 160 {
		l.bar = 20
	}
	for _, drop := range []func(){func() { l.bar = min(l.bar, 10) }, func() { l.time = false }, func() { l.bar, l.exclW = 5, sizeW }, func() { l.excl = false }, func() { l.bar = 0 }} {
		if m.width-l.fixed() >= nameW {
			break
		}
		drop()
	}
	return l
}

func (l layout) heads(lv Level) string {
	s := "   " + fmt.Sprintf("%*s", sizeW, "size") + " "
	if l.bar > 0 {
		s += strings.Repeat(" ", l.bar+3)
	}
	if l.excl {
		h := "exclusive"
		if l.exclW < len(h) {
			h = "excl"
		}
		s += fmt.Sprintf("%*s", l.exclW, h) + " "
	}
	if l.time {
		t := "last used"
		if lv != Repos {
			t = "modified"
		}
		s += fmt.Sprintf("%-*s", l.timeW, t) + " "
	}
	return s + [...]string{"repo  refs", "revision  refs", "file"}[lv]
}

// rowLine renders row i of the listing.
func (m *Model) rowLine(l layout, i int, largest int64) string {
	r := m.rows[i]
	cur := i == m.cursor
	pointer := " "
	if cur {
		pointer = ">"
	}
	mark := " "
	switch {
	case m.marks[r.key] || m.covered(r.key) != "":
		mark = "*"
	case m.inside(r.key):
		mark = "+"
	}
	var segs []seg
	segs = append(segs, seg{pointer + mark + " " + fmt.Sprintf("%*s", sizeW, query.FormatSize(r.size)) + " ", ""})
	if l.bar > 0 {
		n := 0
		if largest > 0 {
			n = int(math.Round(float64(r.size) / float64(largest) * float64(l.bar)))
		}
		segs = append(segs, seg{"[" + strings.Repeat("#", n) + strings.Repeat(" ", l.bar-n) + "] ", ""})
	}
	if l.excl {
		text := "?"
		switch n, known, err := m.aloneFreed(r.key); {
		case !known:
			text = "…"
		case err == nil:
			text = query.FormatSize(n)
		}
		segs = append(segs, seg{fmt.Sprintf("%*s", l.exclW, text) + " ", ""})
	}
	if l.time {
		segs = append(segs, seg{fmt.Sprintf("%-*s", l.timeW, m.since(r.time)) + " ", ""})
	}
	nameRoom := l.width - l.fixed()
	switch m.level {
	case Repos:
		p := &m.repos[r.i]
		if p.Damaged {
			// The mark stays in view: the id is cut first.
			id := clean(p.CacheID)
			if room := nameRoom - len(query.DamagedMark); runewidth.StringWidth(id) > room && room > 1 {
				id = runewidth.Truncate(id, room, "…")
			}
			segs = append(segs, seg{id, ""}, seg{query.DamagedMark, "31"})
		} else {
			segs = append(segs, seg{p.CacheID, ""})
		}
		if refs := p.Refs(); len(refs) > 0 {
			segs = append(segs, seg{"  " + strings.Join(refs, ", "), "2"})
		}
	case Revisions:
		v := &m.revs[r.i]
		h := v.Hash
		if nameRoom < 50 {
			h = shortHash(h)
		}
		segs = append(segs, seg{h, ""})
		refs := "(detached)"
		if len(v.Refs()) > 0 {
			refs = strings.Join(v.Refs(), ", ")
		}
		segs = append(segs, seg{"  " + refs, "2"})
	case Files:
		f := &m.files[r.i]
		segs = append(segs, seg{f.RelPath, ""})
		if tag := fileTag(f); tag != "" {
			segs = append(segs, seg{"  " + tag, "2"})
		}
	}
	return m.line(segs, cur)
}

// fileTag says briefly why an entry frees nothing or is unusual.
func fileTag(f *query.BrowseFile) string {
	switch {
	case f.Broken:
		return "(broken link)"
	case f.Repos > 1:
		return fmt.Sprintf("shared: %d repos", f.Repos)
	case f.Revisions > 1:
		return fmt.Sprintf("shared: %d revisions", f.Revisions)
	case f.Links > 1:
		return fmt.Sprintf("shared: %d links", f.Links)
	case f.Kind == "file":
		return "(real file)"
	}
	return ""
}

// infoLine describes the row under the cursor in full (its name is on
// the cursor's line).
func (m *Model) infoLine() string {
	if len(m.rows) == 0 {
		return ""
	}
	r := m.rows[m.cursor]
	parts := []string{query.FormatSize(r.size)}
	switch excl, known, err := m.aloneFreed(r.key); {
	case !known:
		parts = append(parts, "exclusive …")
	case err == nil:
		parts = append(parts, query.FormatSize(excl)+" exclusive", query.FormatSize(max(r.size-excl, 0))+" shared")
	default:
		parts = append(parts, "cannot plan: "+err.Error())
	}
	switch m.level {
	case Repos:
		p := &m.repos[r.i]
		parts = append(parts, "used "+m.since(p.LastUsed), plural(p.Revisions, "revision"))
		if refs := p.Refs(); len(refs) > 0 {
			parts = append(parts, "refs: "+strings.Join(refs, ", "))
		} else {
			parts = append(parts, "no refs")
		}
		if p.Damaged {
			parts = append(parts, "damaged: hfidx scan --show-warnings says why")
		}
	case Revisions:
		v := &m.revs[r.i]
		parts = append(parts, "modified "+m.since(v.LastModified), plural(v.Files, "file"))
		if refs := v.Refs(); len(refs) > 0 {
			parts = append(parts, "refs: "+strings.Join(refs, ", "))
		} else {
			parts = append(parts, "detached")
		}
	case Files:
		f := &m.files[r.i]
		parts = append(parts, "modified "+m.since(f.Mtime))
		switch {
		case f.Broken:
			parts = append(parts, "a broken link")
		case f.Links > 1:
			parts = append(parts, fmt.Sprintf("its blob is linked by %s in %s of %s",
				plural(f.Links, "entry"), plural(f.Revisions, "revision"), plural(f.Repos, "repo")))
		case f.Kind == "file":
			parts = append(parts, "a real file in the snapshot")
		}
	}
	return strings.Join(parts, " · ")
}

func plural(n int, one string) string {
	if n == 1 {
		return "1 " + one
	}
	if strings.HasSuffix(one, "y") {
		return fmt.Sprintf("%d %sies", n, one[:len(one)-1])
	}
	return fmt.Sprintf("%d %ss", n, one)
}

func (m *Model) since(ts float64) string {
	if ts == 0 {
		return "-"
	}
	return query.FormatTimeSince(ts, m.opt.Now)
}

func helpLines() []string {
	return []string{
		"hfidx browse: keys (any key closes this help)",
		"  up/k down/j PgUp PgDn  move; Home/g, End/G: the ends",
		"  enter, right, l        open a repo, then a revision",
		"  left, h, backspace     up a level; esc too (at the top,",
		"                         esc quits)",
		"  d, space               mark or unmark: a repo (its whole",
		"                         folder), a revision or a file",
		"  D                      delete the marks: delete's plan,",
		"                         then Proceed? [y/N]",
		"  u                      unmark everything",
		"  s, n, a                sort by size, name, last used",
		"                         (the same key again reverses)",
		"  q, ctrl+c              quit; nothing is deleted",
		"size: as hfidx scan; the bar: relative to the largest row;",
		"exclusive: what deleting the row alone frees (the rest is",
		"shared). * marked or inside a mark; + marks inside.",
	}
}

// seg is a piece of a line with its SGR style.
type seg struct {
	text, sgr string
}

// line joins segs, cut to the width; the cursor line is one reverse-video
// bar across the screen.
func (m *Model) line(segs []seg, cursor bool) string {
	var out strings.Builder
	room := m.width
	for _, s := range segs {
		t := clean(s.text)
		w := runewidth.StringWidth(t)
		if w > room {
			t = runewidth.Truncate(t, room, "…")
			w = runewidth.StringWidth(t)
		}
		room -= w
		if cursor {
			out.WriteString(t)
		} else {
			out.WriteString(m.style(t, s.sgr))
		}
		if room <= 0 {
			break
		}
	}
	if cursor {
		return m.style(out.String()+strings.Repeat(" ", max(room, 0)), "7")
	}
	return out.String()
}

// bar is s as a reverse-video bar across the screen (plain text without
// colour).
func (m *Model) bar(s, sgr string) string {
	s = clean(s)
	if w := runewidth.StringWidth(s); w > m.width {
		s = runewidth.Truncate(s, m.width, "…")
	} else if m.opt.Color {
		s += strings.Repeat(" ", m.width-w)
	}
	return m.style(s, sgr)
}

// fit cuts s to the width and styles it.
func (m *Model) fit(s, sgr string) string {
	s = clean(s)
	if runewidth.StringWidth(s) > m.width {
		s = runewidth.Truncate(s, m.width, "…")
	}
	return m.style(s, sgr)
}

func (m *Model) style(s, sgr string) string {
	if !m.opt.Color || sgr == "" || s == "" {
		return s
	}
	return "\x1b[" + sgr + "m" + s + "\x1b[0m"
}

// clean replaces control characters, which folder names may hold.
func clean(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return '?'
		}
		return r
	}, s)
}
