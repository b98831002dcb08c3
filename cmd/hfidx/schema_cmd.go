package main

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/hfidx/hfidx/schema"
)

type schemaCmd struct{}

// Run prints the documented schema. It needs no cache and no index: it
// describes a scratch index built in memory of this very hfidx.
func (c *schemaCmd) Run(a *app) error {
	if err := a.formatIn("table", "text", "json"); err != nil {
		return err
	}
	dir, err := tempDir()
	if err != nil {
		return err
	}
	defer removeAll(dir)
	db, err := schema.Create(filepath.Join(dir, "schema.db"))
	if err != nil {
		return err
	}
	defer db.Close()
	objs, err := schema.Describe(db)
	if err != nil {
		return err
	}
	if a.Format == "json" {
		type col struct {
			Name string `json:"name"`
			Type string `json:"type"`
			Doc  string `json:"doc"`
		}
		type obj struct {
			Kind    string `json:"kind"`
			Name    string `json:"name"`
			Doc     string `json:"doc"`
			Columns []col  `json:"columns"`
		}
		var out []obj
		for _, o := range objs {
			x := obj{Kind: o.Kind, Name: o.Name, Doc: o.Doc}
			for _, c := range o.Columns {
				x.Columns = append(x.Columns, col{c.Name, c.Type, c.Doc})
			}
			out = append(out, x)
		}
		return writeJSON(a, out)
	}
	fmt.Fprintf(a.stdout, "hfidx index schema, version %d\n", schema.Version())
	for _, o := range objs {
		fmt.Fprintf(a.stdout, "\n%s %s: %s\n", o.Kind, o.Name, o.Doc)
		w := 0
		for _, c := range o.Columns {
			w = max(w, len(c.Name))
		}
		for _, c := range o.Columns {
			typ := strings.ToLower(c.Type)
			if typ == "" {
				typ = "-"
			}
			fmt.Fprintf(a.stdout, "  %-*s  %-7s  %s\n", w, c.Name, typ, c.Doc)
		}
	}
	return nil
}
