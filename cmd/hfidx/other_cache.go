package main

import (
	"strings"

	"github.com/alecthomas/kong"

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

// realRunNoSync refuses a real delete or prune with --no-sync (a usage
// error): such a run must read the cache again, plan on an index brought
// up to date and update it afterwards, which --no-sync promises not to do.
// A dry run answers from the index as it is.
func realRunNoSync(kctx *kong.Context, what string, dryRun bool) error {
	if dryRun || !globalsOf(kctx).NoSync {
		return nil
	}
	return usagef("add --dry-run to see the plan from the index as it is, or drop --no-sync",
		"a real %s cannot run with --no-sync: it syncs the index before and after deleting", what)
}

// globalsOf returns the global flags parsed into kctx's model.
func globalsOf(kctx *kong.Context) *globals {
	if kctx != nil && kctx.Model != nil && kctx.Model.Target.CanAddr() {
		if c, ok := kctx.Model.Target.Addr().Interface().(*cli); ok {
			return &c.globals
		}
	}
	return &globals{}
}
