package main

import "github.com/hfidx/hfidx/schema"

// rebuildHint is the way out of an index that cannot be read.
const rebuildHint = "run 'hfidx sync --rebuild' (with the same --db) to build the index again from the cache; the cache itself is not touched"

// damagedIndex turns any error of a command that comes from SQLite
// finding the index damaged into one line naming the index file, with
// the way out. Other errors are returned as they are.
func (a *app) damagedIndex(err error) error {
	if !schema.IsDamaged(err) {
		return err
	}
	path := "the index"
	if _, p, perr := a.indexPath(); perr == nil {
		path = p
	}
	return failf(rebuildHint, "%s is damaged and cannot be read (%s)", path, errText(err))
}
