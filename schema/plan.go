package schema

import "embed"

//go:embed plan/*.sql
var planFiles embed.FS

// PlanSQL returns the deletion-plan query (plan/delete.sql). Its parameters
// are a JSON array of revision ids and a JSON array of repo ids selected
// whole; each row is one item the deletion removes.
func PlanSQL() string {
	b, err := planFiles.ReadFile("plan/delete.sql")
	if err != nil {
		panic(err)
	}
	return string(b)
}
