package main

import (
	"bufio"
	"errors"
	"strings"

	"github.com/jmoiron/sqlx"

	"github.com/hfidx/hfidx/query"
)

// readTargets returns the targets from the arguments, as they are, reading
// stdin for -: one target a line, of which only the line break ("\n" or
// "\r\n") is taken off; blank lines and lines whose first non-blank
// character is '#' are skipped (no target starts with either). Repeated
// targets are kept once.
func readTargets(a *app, args []string) ([]string, error) {
	var out []string
	for _, t := range args {
		if t != "-" {
			out = append(out, t)
			continue
		}
		sc := bufio.NewScanner(a.stdin)
		sc.Buffer(make([]byte, 64*1024), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			if rest := strings.TrimSpace(line); rest != "" && !strings.HasPrefix(rest, "#") {
				out = append(out, line)
			}
		}
		if err := sc.Err(); err != nil {
			return nil, failf("", "read targets from stdin: %w", err)
		}
	}
	seen := map[string]bool{}
	uniq := out[:0]
	for _, t := range out {
		if !seen[t] {
			seen[t] = true
			uniq = append(uniq, t)
		}
	}
	return uniq, nil
}

// targetArgs reads the targets of a command (readTargets), refuses none
// as a usage error naming verb ("delete", "touch", "pin"), and parses
// them (parseTargets). raw are the targets as given.
func targetArgs(a *app, args []string, verb string) (raw []string, targets []query.Target, unknown []string, err error) {
	raw, err = readTargets(a, args)
	if err != nil {
		return nil, nil, nil, err
	}
	if len(raw) == 0 {
		return nil, nil, nil, usagef("give targets (see 'hfidx ls -q' and 'hfidx ls --revisions -q'), or - to read them from stdin",
			"nothing to %s: no target given", verb)
	}
	targets, unknown, err = parseTargets(raw)
	return raw, targets, unknown, err
}

// parseTargets parses raw targets; those of no known form are returned in
// unknown. A malformed one is a usage error.
func parseTargets(raw []string) (targets []query.Target, unknown []string, err error) {
	for _, r := range raw {
		t, ok, err := query.ParseTarget(r)
		if err != nil {
			return nil, nil, usagef("targets are commit hashes, model/org/name[@hash], hf://[type/]org/name, or files: hf://[type/]org/name[@rev]/path, model/org/name[@rev]:GLOB", "%w", err)
		}
		if ok {
			targets = append(targets, t)
		} else {
			unknown = append(unknown, r)
		}
	}
	return targets, unknown, nil
}

// resolve looks targets up in the index; an ambiguous target is a usage
// error naming the candidates.
func resolve(db *sqlx.DB, targets []query.Target, unknown []string) (*query.Selection, error) {
	sel, err := query.Resolve(db, targets, unknown)
	if err != nil {
		var amb *query.AmbiguousError
		if errors.As(err, &amb) {
			return nil, usagef("name one repo with <type>/<id>@<hash> (or the full hash), or the exact form =… that 'hfidx ls -q' prints", "%w", amb)
		}
		return nil, failf("run 'hfidx sync' to rebuild the index", "read index: %w", err)
	}
	return sel, nil
}
