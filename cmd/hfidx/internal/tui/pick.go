// Package tui is the checkbox list of `hfidx delete` run on a terminal
// without targets: revisions grouped by repo, toggled with the space bar,
// with the space the deletion plan frees shown at the top after every
// toggle.
package tui

import (
	"strings"

	tea "charm.land/bubbletea/v2"
	"github.com/mattn/go-runewidth"

	"github.com/hfidx/hfidx/query"
)

// Planner plans the deletion of a selection; the list shows the plan's
// freed size. It is query.MakePlan on the open index.
type Planner func(*query.Selection) (*query.Plan, error)

// Outcome is how the user left the list.
type Outcome int

// Outcomes.
const (
	Pending   Outcome = iota // still choosing
	Confirmed                // enter, without the cancel entry checked
	Cancelled                // enter with the cancel entry checked
	Quit                     // ctrl+c
)

type itemKind int

const (
	itemCancel itemKind = iota
	itemRepo
	itemRevision
)

// item is one line of the list.
type item struct {
	kind itemKind
	repo int // index in Model.repos
	rev  int // index in the repo's revisions
}

// Model is the list, a bubbletea model. Drive it with Update and read
// Selection and Outcome once it has quit.
type Model struct {
	repos   []query.ChoiceRepo
	items   []item
	checked map[int]bool // item index -> checked (cancel, revisions, repos without revisions)
	cursor  int          // item index
	offset  int          // first list line shown
	filter  string
	search  bool
	width   int
	height  int
	color   bool
	now     float64
	plan    Planner

	outcome Outcome
	freed   int64
	planErr error
}

// New returns the list for repos, in their order, with nothing checked.
// now (Unix seconds) is the time relative times are counted from; color
// allows ANSI styles.
func New(repos []query.ChoiceRepo, plan Planner, now float64, color bool) *Model {
	m := &Model{repos: repos, checked: map[int]bool{}, plan: plan, now: now, color: color, width: 80, height: 24}
	m.items = append(m.items, item{kind: itemCancel})
	for i := range repos {
		m.items = append(m.items, item{kind: itemRepo, repo: i})
		for j := range repos[i].Revisions {
			m.items = append(m.items, item{kind: itemRevision, repo: i, rev: j})
		}
	}
	return m
}

// Init implements tea.Model.
func (m *Model) Init() tea.Cmd { return nil }

// Outcome returns how the user left the list.
func (m *Model) Outcome() Outcome { return m.outcome }

// cancelChecked reports whether the cancel entry is checked.
func (m *Model) cancelChecked() bool { return m.checked[0] }

// Selection returns what is checked: revisions, and repos without
// revisions selected whole. The cancel entry is not part of it.
func (m *Model) Selection() *query.Selection {
	sel := query.NewSelection()
	for i, it := range m.items {
		if !m.checked[i] || it.kind == itemCancel {
			continue
		}
		r := &m.repos[it.repo]
		switch it.kind {
		case itemRevision:
			sel.Revisions[r.Revisions[it.rev].Key(r)] = true
		case itemRepo:
			sel.Repos[r.Folder] = true
		}
	}
	return sel
}

// Freed returns the plan's freed bytes for the current selection and the
// planner's error, if any.
func (m *Model) Freed() (int64, error) { return m.freed, m.planErr }

// Update implements tea.Model.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
	case tea.KeyPressMsg:
		return m, m.key(msg)
	}
	return m, nil
}

func (m *Model) key(k tea.KeyPressMsg) tea.Cmd {
	if k.String() == "ctrl+c" {
		m.outcome = Quit
		return tea.Quit
	}
	switch k.Code {
	case tea.KeyUp:
		m.move(-1)
		return nil
	case tea.KeyDown:
		m.move(1)
		return nil
	case tea.KeyPgUp:
		m.move(-m.listHeight())
		return nil
	case tea.KeyPgDown:
		m.move(m.listHeight())
		return nil
	case tea.KeyHome:
		m.move(-len(m.items))
		return nil
	case tea.KeyEnd:
		m.move(len(m.items))
		return nil
	case tea.KeyEscape:
		m.search = false
		m.setFilter("")
		return nil
	}
	if m.search {
		switch {
		case k.Code == tea.KeyEnter:
			m.search = false
		case k.Code == tea.KeyBackspace:
			if r := []rune(m.filter); len(r) > 0 {
				m.setFilter(string(r[:len(r)-1]))
			}
		case k.Text != "":
			m.setFilter(m.filter + k.Text)
		}
		return nil
	}
	switch k.Code {
	case tea.KeyEnter:
		m.outcome = Confirmed
		if m.cancelChecked() {
			m.outcome = Cancelled
		}
		return tea.Quit
	case tea.KeySpace:
		m.toggle()
		return nil
	}
	switch k.Text {
	case "/":
		m.search = true
	case "k":
		m.move(-1)
	case "j":
		m.move(1)
	case "x":
		m.toggle()
	}
	return nil
}

// visible reports whether item i passes the search filter.
func (m *Model) visible(i int) bool {
	if m.filter == "" {
		return true
	}
	it := m.items[i]
	if it.kind == itemCancel {
		return true
	}
	f := strings.ToLower(m.filter)
	r := &m.repos[it.repo]
	if strings.Contains(strings.ToLower(r.CacheID), f) {
		return true
	}
	match := func(v query.ChoiceRevision) bool {
		return strings.Contains(strings.ToLower(v.Hash), f) || strings.Contains(strings.ToLower(v.RefsText()), f)
	}
	if it.kind == itemRevision {
		return match(r.Revisions[it.rev])
	}
	for _, v := range r.Revisions {
		if match(v) {
			return true
		}
	}
	return false
}

func (m *Model) setFilter(f string) {
	m.filter = f
	if !m.visible(m.cursor) {
		m.cursor = 0
		m.move(1)
	}
	m.offset = 0
}

// move moves the cursor by n visible items, stopping at the ends.
func (m *Model) move(n int) {
	step := 1
	if n < 0 {
		step, n = -1, -n
	}
	for ; n > 0; n-- {
		next := m.cursor + step
		for next >= 0 && next < len(m.items) && !m.visible(next) {
			next += step
		}
		if next < 0 || next >= len(m.items) {
			return
		}
		m.cursor = next
	}
}

// toggle flips the item under the cursor. A repo line flips all its
// revisions (on unless all are on); a repo without revisions is an entry
// of its own, deleted whole. Then the plan is made again.
func (m *Model) toggle() {
	it := m.items[m.cursor]
	if it.kind == itemRepo && len(m.repos[it.repo].Revisions) > 0 {
		all := true
		for i, o := range m.items {
			if o.kind == itemRevision && o.repo == it.repo && !m.checked[i] {
				all = false
			}
		}
		for i, o := range m.items {
			if o.kind == itemRevision && o.repo == it.repo {
				m.set(i, !all)
			}
		}
	} else {
		m.set(m.cursor, !m.checked[m.cursor])
	}
	m.replan()
}

func (m *Model) set(i int, on bool) {
	if on {
		m.checked[i] = true
	} else {
		delete(m.checked, i)
	}
}

// replan asks the planner what the selection frees.
func (m *Model) replan() {
	sel := m.Selection()
	m.freed, m.planErr = 0, nil
	if sel.Empty() {
		return
	}
	p, err := m.plan(sel)
	if err != nil {
		m.planErr = err
		return
	}
	m.freed = p.ExpectedFreedSize
}

// Expectations returns the line at the top of the list: what the
// selection deletes and frees, per the plan.
func (m *Model) Expectations() string {
	switch {
	case m.cancelChecked():
		return "Nothing will be deleted (cancel is checked)."
	case m.planErr != nil:
		return "Cannot plan: " + m.planErr.Error()
	}
	sel := m.Selection()
	if sel.Empty() {
		return "Nothing selected yet."
	}
	return query.SelectedText(sel, m.freed)
}

// header and footer line counts, for the list height.
const chromeLines = 4

func (m *Model) listHeight() int { return max(m.height-chromeLines, 3) }

// View implements tea.Model.
func (m *Model) View() tea.View { return tea.NewView(m.Render()) }

// Render returns the list as text: the title, what the selection frees,
// the search box, the part of the list around the cursor that fits, and
// the keys.
func (m *Model) Render() string {
	if m.outcome != Pending {
		return ""
	}
	var b strings.Builder
	b.WriteString(m.fit("Select revisions to delete:", "1"))
	b.WriteString("\n")
	b.WriteString(m.fit(m.Expectations(), "1"))
	b.WriteString("\n")
	switch {
	case m.search:
		b.WriteString(m.fit("Search: "+m.filter+"_", ""))
	case m.filter != "":
		b.WriteString(m.fit("Search: "+m.filter+"  (esc clears)", ""))
	default:
		b.WriteString(m.fit("", ""))
	}
	b.WriteString("\n")
	lines, cur := m.listLines()
	h := m.listHeight()
	if cur < m.offset {
		m.offset = cur
	}
	if cur >= m.offset+h {
		m.offset = cur - h + 1
	}
	m.offset = min(m.offset, max(len(lines)-h, 0))
	for i := m.offset; i < len(lines) && i < m.offset+h; i++ {
		b.WriteString(lines[i])
		b.WriteString("\n")
	}
	help := "↑/↓ move · space toggle · enter confirm · / search · ctrl+c quit"
	if m.search {
		help = "type to search · enter done · esc clear · ctrl+c quit"
	}
	b.WriteString(m.fit(help, "2"))
	return b.String()
}

// listLines renders the visible items, and the line of the cursor.
func (m *Model) listLines() ([]string, int) {
	var lines []string
	cur := 0
	on := make([]int, len(m.repos)) // checked revisions per repo
	for i, it := range m.items {
		if it.kind == itemRevision && m.checked[i] {
			on[it.repo]++
		}
	}
	for i, it := range m.items {
		if !m.visible(i) {
			continue
		}
		if i == m.cursor {
			cur = len(lines)
		}
		pointer := "  "
		if i == m.cursor {
			pointer = "> "
		}
		var text, sgr string
		switch it.kind {
		case itemCancel:
			text = pointer + m.box(i) + " None of the following (cancel the deletion)"
		case itemRepo:
			r := &m.repos[it.repo]
			box := m.repoBox(it.repo, i, on[it.repo])
			text = pointer + box + " " + query.RepoLine(r, m.now)
			if len(r.Revisions) == 0 {
				text += " (no revisions)"
			}
			sgr = "1"
		case itemRevision:
			r := &m.repos[it.repo]
			v := r.Revisions[it.rev]
			short := v.Hash
			if len(short) > 8 {
				short = short[:8]
			}
			text = pointer + "    " + m.box(i) + " " + short + ": " + v.RefsText() + " # modified " + query.FormatTimeSince(v.LastModified, m.now)
		}
		if i == m.cursor {
			sgr = "7"
		}
		lines = append(lines, m.fit(text, sgr))
	}
	return lines, cur
}

func (m *Model) box(i int) string {
	if m.checked[i] {
		return "[x]"
	}
	return "[ ]"
}

// repoBox shows whether a repo's revisions are all, some or none checked.
func (m *Model) repoBox(repo, i, on int) string {
	switch n := len(m.repos[repo].Revisions); {
	case n == 0:
		return m.box(i)
	case on == 0:
		return "[ ]"
	case on == n:
		return "[x]"
	}
	return "[-]"
}

// fit cuts s to the width and styles it with the SGR code when colour is
// allowed.
func (m *Model) fit(s, sgr string) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return '?'
		}
		return r
	}, s)
	if m.width > 0 && runewidth.StringWidth(s) > m.width {
		s = runewidth.Truncate(s, m.width, "…")
	}
	return m.style(sgr, s)
}

func (m *Model) style(sgr, s string) string {
	if !m.color || sgr == "" || s == "" {
		return s
	}
	return "\x1b[" + sgr + "m" + s + "\x1b[0m"
}
