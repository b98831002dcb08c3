package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/jmoiron/sqlx"

	"github.com/hfidx/hfidx/query"
	"github.com/hfidx/hfidx/schema"
	"github.com/hfidx/hfidx/state"
)

type pinCmd struct {
	Targets []string `arg:"" sep:"none" type:"raw" help:"What gc must keep, as delete names it: a repo (model/org/name, hf://org/name), a revision (<hash>, model/org/name@<hash>), files (model/org/name[@rev]:GLOB), or - to read them from stdin."`
	Note    string   `name:"note" placeholder:"TEXT" help:"Why, shown by 'hfidx pins' and as gc's reason (replaces the note of a target already pinned)."`
}

// pinOutput is pin's JSON.
type pinOutput struct {
	Added   int      `json:"added"`   // targets not pinned before
	Targets []string `json:"targets"` // every target given, as stored
}

// Run pins the targets in the durable state, each as it was written,
// once every one of them resolves to something cached: a pin is read
// again at each gc, so a glob also keeps files downloaded later. The
// index is read as it is; a target it does not know is looked up again
// after a sync (unless --no-sync), so what was just downloaded can be
// pinned.
func (c *pinCmd) Run(a *app) error {
	if err := a.formatIn("table", "text", "json"); err != nil {
		return err
	}
	raw, targets, unknown, err := targetArgs(a, c.Targets, "pin")
	if err != nil {
		return err
	}
	root, path, err := a.keptIndex()
	if err != nil {
		return err
	}
	sel, err := resolveAt(path, targets, unknown)
	if err != nil {
		return err
	}
	if len(sel.Unknown) > 0 && len(unknown) < len(sel.Unknown) && !a.NoSync {
		if _, path, _, err = a.sync(); err != nil {
			return err
		}
		if sel, err = resolveAt(path, targets, unknown); err != nil {
			return err
		}
	}
	if len(sel.Unknown) > 0 {
		return failf("see 'hfidx ls -q' for what is cached; only cached repos, revisions and files are pinned",
			"not in the cache: %s", strings.Join(sel.Unknown, ", "))
	}
	now := a.nowFloat()
	pins := make([]state.Pin, len(raw))
	for i, t := range raw {
		pins[i] = state.Pin{Target: t, Note: c.Note, CreatedAt: now}
	}
	st, err := a.openState()
	if err != nil {
		return err
	}
	defer st.Close()
	n, err := st.AddPins(root, pins)
	if err != nil {
		return failf("pass --state PATH to a writable state file", "pin in %s: %w", st.Path(), err)
	}
	if a.Format == "json" {
		return writeJSON(a, pinOutput{Added: n, Targets: raw})
	}
	if k := len(raw) - n; k > 0 {
		fmt.Fprintf(a.stdout, "Pinned %d new, %d already pinned", n, k)
		if c.Note != "" {
			fmt.Fprint(a.stdout, " (note replaced)")
		}
	} else {
		fmt.Fprintf(a.stdout, "Pinned %s", plural(n, "target", "targets"))
	}
	fmt.Fprintln(a.stdout, "; 'hfidx gc' keeps them.")
	return nil
}

// resolveAt resolves targets against the index at path, opened read-only.
func resolveAt(path string, targets []query.Target, unknown []string) (*query.Selection, error) {
	db, err := schema.OpenReadOnly(path)
	if err != nil {
		return nil, indexFailure(path, err)
	}
	defer db.Close()
	return resolve(db, targets, unknown)
}

// pinResolution is what one pin names in the index now.
type pinResolution struct {
	Sel *query.Selection // nil when Err is set
	// Err is why the pin names nothing definite any more: a
	// *query.AmbiguousError when the cache now holds several things it
	// could mean, a *query.UsageError when this hfidx no longer parses it.
	Err error
}

// resolvePin looks one pin's target up in db. Only a failure to read the
// index is returned as an error; a pin that is ambiguous or malformed now
// is told in the resolution.
func resolvePin(db *sqlx.DB, target string) (pinResolution, error) {
	t, ok, err := query.ParseTarget(target)
	if err != nil {
		return pinResolution{Err: err}, nil
	}
	var ts []query.Target
	var unknown []string
	if ok {
		ts = []query.Target{t}
	} else {
		unknown = []string{target}
	}
	sel, err := query.Resolve(db, ts, unknown)
	var amb *query.AmbiguousError
	if errors.As(err, &amb) {
		return pinResolution{Err: amb}, nil
	}
	if err != nil {
		return pinResolution{}, failf("run 'hfidx sync' to rebuild the index", "read index: %w", err)
	}
	return pinResolution{Sel: sel}, nil
}

// pinnedSelection returns what the pins of the cache at root keep, each
// pin resolved against db (the index of that cache) as it is now: the
// union of their selections, in Repos (a pinned repo keeps every revision
// and file of it), Revisions and Files. A pin matching nothing any more
// adds nothing.
//
// notes says, for every key in the selection, which pin keeps it: the
// pin's note, or its target when it has no note, so that a reason can
// always name the pin (of several pins keeping one key, the first by
// target with a note). Keys are the repo folder ("models--org--name") for
// Repos, "<folder>@<hash>" for Revisions (pinNoteKey) and
// "<folder>@<hash>/<rel_path>" for Files (pinFileNoteKey). A revision of
// a pinned repo is not listed in Revisions: look its folder up in Repos
// and notes.
//
// It fails, and nothing should then be deleted, when the state or the
// index cannot be read, and when a pin is ambiguous now (the cache holds
// several things it could mean) or no longer parses: what it keeps is
// then unknown, and the error's hint says to unpin it and pin one of the
// candidates.
func pinnedSelection(a *app, db *sqlx.DB, root string) (sel *query.Selection, notes map[string]string, err error) {
	st, err := a.openState()
	if err != nil {
		return nil, nil, err
	}
	defer st.Close()
	pins, err := st.Pins(root)
	if err != nil {
		return nil, nil, failf("pass --state PATH to a readable state file", "read pins from %s: %w", st.Path(), err)
	}
	sel = query.NewSelection()
	notes = map[string]string{}
	named := map[string]bool{} // keys whose note is the pin's own, not its target
	note := func(key string, p state.Pin) {
		if named[key] {
			return
		}
		if _, ok := notes[key]; ok && p.Note == "" {
			return
		}
		if p.Note != "" {
			notes[key], named[key] = p.Note, true
		} else {
			notes[key] = p.Target
		}
	}
	for _, p := range pins {
		r, err := resolvePin(db, p.Target)
		if err != nil {
			return nil, nil, err
		}
		if r.Err != nil {
			return nil, nil, failf(fmt.Sprintf("run 'hfidx unpin %s', then pin what you mean (see 'hfidx pins')", p.Target),
				"pin %s names nothing definite now: %w", p.Target, r.Err)
		}
		for f := range r.Sel.Repos {
			sel.Repos[f] = true
			note(f, p)
		}
		for k := range r.Sel.Revisions {
			sel.Revisions[k] = true
			note(pinNoteKey(k), p)
		}
		for k := range r.Sel.Files {
			sel.Files[k] = true
			note(pinFileNoteKey(k), p)
		}
	}
	return sel, notes, nil
}

// pinNoteKey is the key of pinnedSelection's notes for a revision.
func pinNoteKey(k query.RevisionKey) string { return k.Folder + "@" + k.Hash }

// pinFileNoteKey is the key of pinnedSelection's notes for a file.
func pinFileNoteKey(k query.FileKey) string { return k.Folder + "@" + k.Hash + "/" + k.RelPath }
