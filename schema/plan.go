package schema

import "embed"

//go:embed plan/*.sql
var planFiles embed.FS

// PlanSQL returns the deletion-plan query (plan/delete.sql). Its parameters
// are JSON arrays of ids: revisions, repos selected whole, snapshot entries,
// orphan repo blobs and store payloads; each row is one item the deletion
// removes.
func PlanSQL() string { return planFile("plan/delete.sql") }

// PruneSQL returns the query listing what `hfidx prune` may remove
// (plan/prune.sql). Its parameters are whether repos without any ref are
// taken and the grace cutoff in epoch seconds.
func PruneSQL() string { return planFile("plan/prune.sql") }

// HeldSQL returns the query listing the blobs a deletion keeps because a
// snapshot entry of another repo links them (plan/held.sql). Its
// parameters are PlanSQL's first three.
func HeldSQL() string { return planFile("plan/held.sql") }

// InUseSQL returns the query listing the blobs a deletion could remove,
// with their device and inode, for the in-use check (plan/in_use.sql). Its
// parameters are PlanSQL's first four.
func InUseSQL() string { return planFile("plan/in_use.sql") }

func planFile(name string) string {
	b, err := planFiles.ReadFile(name)
	if err != nil {
		panic(err)
	}
	return string(b)
}
