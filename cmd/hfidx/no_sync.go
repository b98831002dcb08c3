package main

import "github.com/alecthomas/kong"

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
