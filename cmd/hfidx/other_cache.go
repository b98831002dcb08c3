package main

import (
	"strings"

	"github.com/hfidx/hfidx/index"
)

// sameCache refuses the index at path when it was built from another cache
// than root: its rows describe that cache, so every answer (and every plan
// of a delete) would be about the wrong folder. The check is made once per
// index and command.
func (a *app) sameCache(root, path string) error {
	if a.sameCacheOK == root+"\x00"+path {
		return nil
	}
	if err := index.CheckCache(root, path); err != nil {
		if oc, ok := err.(*index.OtherCacheError); ok {
			return otherCache(oc)
		}
		return err
	}
	a.sameCacheOK = root + "\x00" + path
	return nil
}

// otherCache is the user's error for an index of another cache, with both
// ways out.
func otherCache(e *index.OtherCacheError) error {
	return failf("pass --db PATH (or set HFIDX_DB) for the index of "+e.Given+", or replace this one: hfidx sync --rebuild --cache-dir "+
		shellQuote(e.Given)+" --db "+shellQuote(e.Index), "%v", e)
}

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:@+,") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
