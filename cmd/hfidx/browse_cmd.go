package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/jmoiron/sqlx"

	"github.com/hfidx/hfidx/cmd/hfidx/internal/browse"
	"github.com/hfidx/hfidx/query"
)

type browseCmd struct {
	Wait       bool `name:"wait" help:"When deleting, wait for download locks held by other processes instead of skipping their repos."`
	BreakLinks bool `name:"break-links" help:"When deleting, also remove blobs that snapshots of other repos link (as delete --break-links)."`
}

// Run opens the browser; each D hands the marks to delete's plan,
// confirmation and executor, then the browser opens again where it was,
// on the index as the deletion left it.
func (c *browseCmd) Run(a *app) error {
	if err := a.formatIn("table", "text"); err != nil {
		return err
	}
	in, inTTY := terminal(a.stdin)
	out, outTTY := terminal(a.stdout)
	if !inTTY || !outTTY {
		return usagef("run it on a terminal; without one, 'hfidx scan' and 'hfidx ls --sort size' list the same numbers",
			"browse needs a terminal: stdin and stdout must be one")
	}
	var loc browse.Location
	var marks *query.Selection // kept when a deletion is not confirmed
	status := ""
	for {
		db, _, err := a.openIndex()
		if err != nil {
			return err
		}
		totals, err := query.LoadBrowseTotals(db)
		var repos []query.BrowseRepo
		if err == nil {
			repos, err = query.LoadBrowseRepos(db)
		}
		if err != nil {
			db.Close()
			return failf("run 'hfidx sync' to rebuild the index", "read index: %w", err)
		}
		if totals.CacheDir == "" {
			totals.CacheDir, _ = a.cacheDir()
		}
		noDelete := ""
		if a.NoSync {
			noDelete = "Deleting syncs the index first: run hfidx browse without --no-sync to delete."
		}
		m := browse.New(totals, repos, browse.IndexSource(db), browse.Options{
			Now: a.nowFloat(), Color: a.color(), NoDelete: noDelete, Start: loc, Status: status, Marks: marks})
		if _, err := tea.NewProgram(m, tea.WithInput(in), tea.WithOutput(out)).Run(); err != nil {
			db.Close()
			return failf("run 'hfidx scan' or 'hfidx ls' instead", "terminal browser: %w", err)
		}
		if m.Outcome() != browse.Delete {
			db.Close()
			if !m.Selection().Empty() {
				fmt.Fprintln(a.stderr, "Left with marks: nothing was deleted.")
			}
			return nil
		}
		loc = m.Location()
		fmt.Fprintln(a.stderr, m.MarkText())
		done := false
		if status, done, err = c.delete(a, m, db); err != nil {
			return err
		}
		marks = nil
		if !done {
			marks = m.Selection()
		}
		a.now = time.Now()
	}
}

// delete runs the marks of m through delete's plan (on db, which it
// closes), confirmation and executor, and returns the line to show when
// the browser opens again: the summary of the deletion, or that it was
// not confirmed (done false).
func (c *browseCmd) delete(a *app, m *browse.Model, db *sqlx.DB) (status string, done bool, err error) {
	if err := finishInterrupted(a); err != nil {
		db.Close()
		return "", false, err
	}
	d := &deleteCmd{Wait: c.Wait, BreakLinks: c.BreakLinks}
	stdout := a.stdout
	tee := &lastLine{w: stdout}
	a.stdout = tee
	err = d.planAndRun(a, db, m.Selection())
	a.stdout = stdout
	if errors.Is(err, errNotConfirmed) {
		return "Deletion not confirmed: nothing was deleted.", false, nil
	}
	if err != nil {
		return "", false, err
	}
	return tee.last, true, nil
}

// lastLine passes writes through and keeps the last line written.
type lastLine struct {
	w    io.Writer
	buf  []byte
	last string
}

func (l *lastLine) Write(p []byte) (int, error) {
	l.buf = append(l.buf, p...)
	for {
		i := bytes.IndexByte(l.buf, '\n')
		if i < 0 {
			break
		}
		if s := strings.TrimSpace(string(l.buf[:i])); s != "" {
			l.last = s
		}
		l.buf = l.buf[i+1:]
	}
	return l.w.Write(p)
}
