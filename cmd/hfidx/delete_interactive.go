package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strings"

	tea "charm.land/bubbletea/v2"
	"github.com/jmoiron/sqlx"
	"golang.org/x/term"

	"github.com/hfidx/hfidx/cmd/hfidx/internal/tui"
	"github.com/hfidx/hfidx/query"
)

// interactive is `hfidx delete` without targets: the user picks revisions
// in a list on the terminal, or in a text file with --disable-tui; the
// selection then goes through the same plan, confirmation and executor
// as targets do.
func (c *deleteCmd) interactive(a *app) error {
	in, inTTY := terminal(a.stdin)
	out, outTTY := terminal(a.stderr)
	if !c.DisableTUI && !(inTTY && outTTY) {
		return usagef("give targets (see 'hfidx ls -q' and 'hfidx ls --revisions -q'), - to read them from stdin, or --disable-tui to choose in a text editor",
			"nothing to delete: no target given, and no terminal to choose from a list")
	}
	db, _, err := a.openIndex()
	if err != nil {
		return err
	}
	repos, err := query.LoadChoices(db, c.Sort)
	if err != nil {
		db.Close()
		return failf("run 'hfidx sync' to rebuild the index", "read index: %w", err)
	}
	if c.DisableTUI {
		return c.editFile(a, db, repos)
	}
	_, noColor := a.lookup("NO_COLOR")
	m := tui.New(repos, func(s *query.Selection) (*query.Plan, error) { return query.MakePlan(db, s) }, a.nowFloat(), !noColor)
	if _, err := tea.NewProgram(m, tea.WithInput(in), tea.WithOutput(out)).Run(); err != nil {
		db.Close()
		return failf("pass --disable-tui to choose in a text editor, or give targets", "terminal list: %w", err)
	}
	sel := m.Selection()
	switch {
	case m.Outcome() != tui.Confirmed:
		db.Close()
		fmt.Fprintln(a.stderr, "Deletion cancelled: nothing was deleted.")
		return nil
	case sel.Empty():
		db.Close()
		fmt.Fprintln(a.stderr, "Nothing selected: nothing was deleted.")
		return nil
	}
	fmt.Fprintln(a.stderr, m.Expectations())
	return c.planAndRun(a, db, sel)
}

// terminal returns v as a file when it is a terminal.
func terminal(v any) (*os.File, bool) {
	f, ok := v.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return nil, false
	}
	return f, true
}

// editFile is the --disable-tui flow: the revisions are written to a
// temporary file that the user edits ($VISUAL or $EDITOR, else any editor
// while hfidx waits); hfidx reads it, shows what it frees and asks; "no"
// reads it again. The file is removed once the user has confirmed or
// cancelled, never before.
func (c *deleteCmd) editFile(a *app, db *sqlx.DB, repos []query.ChoiceRepo) error {
	f, err := os.CreateTemp("", "hfidx-delete-*.txt")
	if err != nil {
		db.Close()
		return failf("set TMPDIR to a writable folder", "create the file to edit: %w", err)
	}
	path := f.Name()
	_, err = io.WriteString(f, query.EditFile(repos, nil, a.nowFloat()))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		db.Close()
		os.Remove(path)
		return failf("set TMPDIR to a writable folder", "write %s: %w", path, err)
	}
	// kept says, in the error's hint, where the user's edits still are.
	kept := func(e error) error {
		var ce *cliError
		if !errors.As(e, &ce) {
			fmt.Fprintf(a.stderr, "Your choices are kept in %s.\n", path)
			return e
		}
		c := *ce
		if c.hint != "" {
			c.hint += "; "
		}
		c.hint += "your choices are kept in " + path
		return &c
	}
	editor := ""
	for _, v := range []string{"VISUAL", "EDITOR"} {
		if e, ok := a.lookup(v); ok && strings.TrimSpace(e) != "" {
			editor = e
			break
		}
	}
	bold := func(s string) string { return s }
	if _, noColor := a.lookup("NO_COLOR"); !noColor {
		if _, tty := terminal(a.stderr); tty {
			bold = func(s string) string { return "\x1b[1m" + s + "\x1b[0m" }
		}
	}
	fmt.Fprintln(a.stderr, "The list is off (--disable-tui): choose what to delete in a text file.")
	fmt.Fprintln(a.stderr, "Un-comment the lines of the revisions to delete; the file's header explains the rest.")
	if editor != "" {
		fmt.Fprintf(a.stderr, "It opens in %s; save it and quit the editor to continue.\n", editor)
	} else {
		fmt.Fprintln(a.stderr, "Edit it in any editor, save it, then answer here.")
	}
	fmt.Fprintf(a.stderr, "File to edit: %s\n", bold(path))
	for {
		if editor != "" {
			if err := runEditor(a, editor, path); err != nil {
				db.Close()
				return kept(failf("fix $VISUAL or $EDITOR, or run again without them and edit the file yourself", "editor: %w", err))
			}
		}
		sel, plan, cancel, expect, err := readEditFile(a, db, path)
		if err != nil {
			db.Close()
			return kept(err)
		}
		answer, err := askYesNo(a, expect+" Done editing? [y/N] ")
		if err != nil {
			db.Close()
			return kept(err)
		}
		if !answer {
			continue
		}
		if !cancel && sel == nil {
			fmt.Fprintln(a.stderr, "The file still names a revision of several repos; edit it again.")
			continue
		}
		if cancel || sel.Empty() {
			db.Close()
			os.Remove(path)
			fmt.Fprintln(a.stderr, "Deletion cancelled: nothing was deleted.")
			return nil
		}
		db.Close()
		err = c.showAndRun(a, sel, plan)
		if err == nil || errors.Is(err, errNotConfirmed) {
			os.Remove(path)
			return err
		}
		return kept(err)
	}
}

// runEditor opens path in the editor command (split on spaces, so
// "code --wait" works) attached to the terminal.
func runEditor(a *app, editor, path string) error {
	args := strings.Fields(editor)
	cmd := exec.Command(args[0], append(args[1:], path)...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = a.stdin, a.stdout, a.stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s: %v", editor, err)
	}
	return nil
}

// readEditFile reads the edited file and resolves its lines. A line that
// is not a target, or matches nothing, is reported as unknown; an
// ambiguous one is reported with its candidates and leaves the selection
// nil, so that the user edits again. plan is the selection's plan, the
// one run if the user is done; expect says what it deletes and frees.
func readEditFile(a *app, db *sqlx.DB, path string) (sel *query.Selection, plan *query.Plan, cancel bool, expect string, err error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, false, "", failf("run the command again", "read the edited file: %w", err)
	}
	words := query.ParseEditFile(string(data))
	if slices.Contains(words, query.CancelDeletion) {
		return nil, nil, true, "Nothing will be deleted (CANCEL_DELETION is un-commented).", nil
	}
	var targets []query.Target
	var unknown []string
	for _, w := range words {
		t, ok, err := query.ParseTarget(w)
		if err != nil || !ok {
			unknown = append(unknown, w)
			continue
		}
		targets = append(targets, t)
	}
	sel, err = query.Resolve(db, targets, unknown)
	var amb *query.AmbiguousError
	if errors.As(err, &amb) {
		fmt.Fprintf(a.stderr, "Warning: %v\n", amb)
		return nil, nil, false, "Nothing can be deleted until the file names one repo per line (<type>/<id>@<hash>).", nil
	}
	if err != nil {
		return nil, nil, false, "", failf("run 'hfidx sync' to rebuild the index", "read index: %w", err)
	}
	warnUnknown(a, sel)
	if sel.Empty() {
		return sel, nil, false, "Nothing selected.", nil
	}
	plan, err = query.MakePlan(db, sel)
	if err != nil {
		return nil, nil, false, "", failf("run 'hfidx sync' to rebuild the index", "plan: %w", err)
	}
	return sel, plan, false, query.SelectedText(sel, plan.ExpectedFreedSize), nil
}

// askYesNo asks until the answer is yes (y, yes, 1), no (n, no, 0) or
// empty (no). It reads one byte at a time so that nothing after the
// answer's line is consumed. End of input is an error: nothing was
// decided.
func askYesNo(a *app, prompt string) (bool, error) {
	for {
		fmt.Fprint(a.stderr, prompt)
		line, err := readLine(a.stdin)
		if err != nil {
			return false, failf("run the command again and answer y or n", "no answer (%w): nothing was deleted", err)
		}
		switch strings.ToLower(strings.TrimSpace(line)) {
		case "y", "yes", "1":
			return true, nil
		case "n", "no", "0", "":
			return false, nil
		}
		fmt.Fprintln(a.stderr, "Invalid answer: type y or n.")
	}
}

// readLine reads up to a newline; io.EOF only when nothing was read.
func readLine(r io.Reader) (string, error) {
	var b []byte
	var one [1]byte
	for {
		n, err := r.Read(one[:])
		if n == 1 {
			if one[0] == '\n' {
				return string(b), nil
			}
			b = append(b, one[0])
			continue
		}
		if err != nil {
			if len(b) > 0 && errors.Is(err, io.EOF) {
				return string(b), nil
			}
			if errors.Is(err, io.EOF) {
				return "", errors.New("end of input")
			}
			return "", err
		}
	}
}
