package main

import (
	"errors"
	"fmt"
	"io"
)

// Exit codes, decided here and nowhere else.
const (
	exitOK    = 0 // success, warnings about the cache included
	exitError = 1 // the command failed: missing cache, unusable index, I/O error
	exitUsage = 2 // bad flags, arguments, filter expressions, ambiguous targets
	// exitChanged: delete found the cache changed since the plan it showed
	// and would now remove more; it deleted nothing.
	exitChanged = 3
	// exitPartial: delete finished but skipped repos whose download lock
	// another process holds.
	exitPartial = 4
	// exitNotCached: lookup found nothing cached for the file.
	exitNotCached = 5
	// exitNoExist: lookup found the Hub's answer, cached in .no_exist, that
	// the file does not exist at that revision.
	exitNoExist = 6
)

// exitCodesHelp is printed by --help and copied into README.
const exitCodesHelp = `Exit codes: 0 success (warnings about the cache do not change it), 1 error, 2 usage error, 3 delete/prune: the cache changed since the plan was shown and nothing was deleted, 4 delete/prune: done, but repos with a running download were skipped, 5 lookup: not cached, 6 lookup: cached as non-existent (.no_exist). verify exits 1 when it finds a problem.`

// cliError is an error meant for the user: one line, a hint naming what
// fixes it, and the exit code. It wraps the errors its message was made
// of (%w), so that what went wrong is decided from them, not from text.
type cliError struct {
	code int
	msg  string
	hint string
	err  error // what msg was made of: fmt.Errorf's error, or nil
}

func (e *cliError) Error() string { return e.msg }
func (e *cliError) Unwrap() error { return e.err }

// newCLIError returns a *cliError whose message fmt.Errorf makes of
// format and args, wrapping what %w names.
func newCLIError(code int, hint, format string, args ...any) *cliError {
	err := fmt.Errorf(format, args...)
	return &cliError{code: code, msg: err.Error(), hint: hint, err: err}
}

// failf returns a *cliError of exit code 1 with the message fmt.Errorf
// makes of format and args (wrapping what %w names) and hint.
func failf(hint, format string, args ...any) error {
	return newCLIError(exitError, hint, format, args...)
}

// usagef is failf for a usage error: bad flags or arguments, exit code 2.
func usagef(hint, format string, args ...any) error {
	return newCLIError(exitUsage, hint, format, args...)
}

// usageOf is usagef for a bad flag or argument of the command cmd (its
// Validate), with the hint of every such error: the command's --help.
func usageOf(cmd, format string, args ...any) error {
	return usagef("run 'hfidx "+cmd+" --help' for its flags", format, args...)
}

// exitCode is the exit code of a command hfidx ran for the user (hfidx
// run): passed on as it is, with nothing printed.
type exitCode struct{ code int }

func (e *exitCode) Error() string { return fmt.Sprintf("exit status %d", e.code) }

// report prints err on w and returns the exit code it stands for.
func report(w io.Writer, err error) int {
	var xc *exitCode
	if errors.As(err, &xc) {
		return xc.code
	}
	var ce *cliError
	if errors.As(err, &ce) {
		fmt.Fprintf(w, "hfidx: %s\n", ce.msg)
		if ce.hint != "" {
			fmt.Fprintf(w, "hint: %s\n", ce.hint)
		}
		return ce.code
	}
	fmt.Fprintf(w, "hfidx: %v\n", err)
	return exitError
}
