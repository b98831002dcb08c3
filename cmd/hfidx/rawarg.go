package main

import (
	"fmt"
	"reflect"

	"github.com/alecthomas/kong"
)

// rawString decodes command-line values byte for byte, into a string or a
// []string (one value per flag, or every remaining positional value).
// kong's own string decoder goes through JSON, which turns bytes that are
// not UTF-8 into U+FFFD, and its slice decoder splits flag values on
// commas: a repo folder, file or cache dir named with such bytes or a
// comma (Linux allows any byte but / and NUL) could not be named on the
// command line. Fields take it with the tag type:"raw".
func rawString() kong.MapperFunc {
	return func(ctx *kong.DecodeContext, target reflect.Value) error {
		str := func(t kong.Token) string {
			if s, ok := t.Value.(string); ok {
				return s
			}
			return fmt.Sprint(t.Value)
		}
		switch {
		case target.Kind() == reflect.String:
			t, err := ctx.Scan.PopValue("value")
			if err != nil {
				return err
			}
			target.SetString(str(t))
		case target.Kind() == reflect.Slice && target.Type().Elem().Kind() == reflect.String:
			var toks []kong.Token
			if ctx.Value.Flag != nil {
				t, err := ctx.Scan.PopValue("value")
				if err != nil {
					return err
				}
				toks = append(toks, t)
			} else {
				toks = ctx.Scan.PopWhile(func(t kong.Token) bool { return t.IsValue() })
			}
			for _, t := range toks {
				target.Set(reflect.Append(target, reflect.ValueOf(str(t)).Convert(target.Type().Elem())))
			}
		default:
			return fmt.Errorf("type raw applies to strings, not %s", target.Type())
		}
		return nil
	}
}
