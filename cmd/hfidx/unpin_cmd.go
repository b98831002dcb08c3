package main

import (
	"fmt"
	"strings"
)

type unpinCmd struct {
	Targets []string `arg:"" sep:"none" type:"raw" help:"Pins to remove, written exactly as 'hfidx pins' lists them, or - to read them from stdin."`
}

// unpinOutput is unpin's JSON.
type unpinOutput struct {
	Removed   int      `json:"removed"`
	NotPinned []string `json:"not_pinned"` // targets given that were not pins
}

// Run removes pins by their exact text; the index is not read, so a pin of
// something no longer cached goes as any other. A target that was not
// pinned is named on stderr, and is an error only when no target was.
func (c *unpinCmd) Run(a *app) error {
	if err := a.formatIn("table", "text", "json"); err != nil {
		return err
	}
	raw, err := readTargets(a, c.Targets)
	if err != nil {
		return err
	}
	if len(raw) == 0 {
		return usagef("give pins as 'hfidx pins' lists them, or - to read them from stdin", "nothing to unpin: no target given")
	}
	root, err := a.cacheDir()
	if err != nil {
		return err
	}
	st, err := a.openState()
	if err != nil {
		return err
	}
	defer st.Close()
	pins, err := st.Pins(root)
	if err != nil {
		return failf("pass --state PATH to a readable state file", "read pins from %s: %w", st.Path(), err)
	}
	pinned := map[string]bool{}
	for _, p := range pins {
		pinned[p.Target] = true
	}
	var gone, missing []string
	for _, t := range raw {
		if pinned[t] {
			gone = append(gone, t)
		} else {
			missing = append(missing, t)
		}
	}
	n, err := st.RemovePins(root, gone)
	if err != nil {
		return failf("pass --state PATH to a writable state file", "unpin in %s: %w", st.Path(), err)
	}
	for _, t := range missing {
		fmt.Fprintf(a.stderr, "Warning: not pinned: %s\n", t)
	}
	if n == 0 {
		return failf("see 'hfidx pins' for the pins, written as they must be given", "nothing unpinned: %s", notPinnedText(missing))
	}
	if a.Format == "json" {
		return writeJSON(a, unpinOutput{Removed: n, NotPinned: nonNil(missing)})
	}
	fmt.Fprintf(a.stdout, "Unpinned %s.\n", plural(n, "target", "targets"))
	return nil
}

// notPinnedText names the targets that were not pins.
func notPinnedText(ts []string) string {
	if len(ts) == 1 {
		return ts[0] + " is not pinned"
	}
	return "none of " + strings.Join(ts, ", ") + " is pinned"
}
