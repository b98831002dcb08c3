package main

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/alecthomas/kong"
)

// compCommand is what completion knows of one command.
type compCommand struct {
	name  string
	help  string
	flags []*kong.Flag
	args  []string // enum values of the first positional argument
}

func completionModel(app *kong.Application) (globals []*kong.Flag, cmds []compCommand) {
	for _, f := range app.Flags {
		if !f.Hidden {
			globals = append(globals, f)
		}
	}
	for _, n := range app.Children {
		if n.Type != kong.CommandNode || n.Hidden {
			continue
		}
		c := compCommand{name: n.Name, help: n.Help}
		for _, f := range n.Flags {
			if !f.Hidden {
				c.flags = append(c.flags, f)
			}
		}
		if len(n.Positional) > 0 && n.Positional[0].Enum != "" {
			c.args = strings.Split(n.Positional[0].Enum, ",")
		}
		cmds = append(cmds, c)
	}
	sort.Slice(cmds, func(i, j int) bool { return cmds[i].name < cmds[j].name })
	return globals, cmds
}

func flagWords(fs []*kong.Flag) []string {
	var out []string
	for _, f := range fs {
		out = append(out, "--"+f.Name)
		if f.Short != 0 {
			out = append(out, "-"+string(f.Short))
		}
	}
	return out
}

// writeCompletion prints a completion script for shell, generated from the
// command model so it never drifts from the flags.
func writeCompletion(w io.Writer, app *kong.Application, shell string) error {
	globals, cmds := completionModel(app)
	var b strings.Builder
	switch shell {
	case "bash", "zsh":
		if shell == "zsh" {
			b.WriteString("#compdef hfidx\nautoload -U +X bashcompinit && bashcompinit\n")
		}
		names := make([]string, len(cmds))
		for i, c := range cmds {
			names[i] = c.name
		}
		b.WriteString("_hfidx() {\n  local cur prev cmd i\n  cur=\"${COMP_WORDS[COMP_CWORD]}\"\n  prev=\"${COMP_WORDS[COMP_CWORD-1]}\"\n")
		b.WriteString("  for ((i=1; i<COMP_CWORD; i++)); do case \"${COMP_WORDS[i]}\" in -*) ;; *) cmd=\"${COMP_WORDS[i]}\"; break;; esac; done\n")
		b.WriteString("  case \"$prev\" in\n")
		for _, f := range globals {
			switch {
			case f.Enum != "":
				fmt.Fprintf(&b, "    --%s) COMPREPLY=($(compgen -W %q -- \"$cur\")); return;;\n", f.Name, strings.ReplaceAll(f.Enum, ",", " "))
			case f.Name == "cache-dir":
				fmt.Fprintf(&b, "    --%s) COMPREPLY=($(compgen -d -- \"$cur\")); return;;\n", f.Name)
			case f.Name == "db":
				fmt.Fprintf(&b, "    --%s) COMPREPLY=($(compgen -f -- \"$cur\")); return;;\n", f.Name)
			}
		}
		b.WriteString("  esac\n  case \"$cmd\" in\n")
		fmt.Fprintf(&b, "    \"\") COMPREPLY=($(compgen -W %q -- \"$cur\"));;\n", strings.Join(append(names, flagWords(globals)...), " "))
		for _, c := range cmds {
			words := append(append(flagWords(c.flags), flagWords(globals)...), c.args...)
			fmt.Fprintf(&b, "    %s) COMPREPLY=($(compgen -W %q -- \"$cur\"));;\n", c.name, strings.Join(words, " "))
		}
		b.WriteString("  esac\n}\ncomplete -F _hfidx hfidx\n")
	case "fish":
		b.WriteString("complete -c hfidx -f\n")
		for _, c := range cmds {
			fmt.Fprintf(&b, "complete -c hfidx -n __fish_use_subcommand -a %s -d %q\n", c.name, c.help)
			for _, f := range c.flags {
				fishFlag(&b, "__fish_seen_subcommand_from "+c.name, f)
			}
			if len(c.args) > 0 {
				fmt.Fprintf(&b, "complete -c hfidx -n '__fish_seen_subcommand_from %s' -a %q\n", c.name, strings.Join(c.args, " "))
			}
		}
		for _, f := range globals {
			fishFlag(&b, "", f)
		}
	default:
		return usagef("use bash, zsh or fish", "unknown shell %q", shell)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func fishFlag(b *strings.Builder, cond string, f *kong.Flag) {
	b.WriteString("complete -c hfidx")
	if cond != "" {
		fmt.Fprintf(b, " -n '%s'", cond)
	}
	fmt.Fprintf(b, " -l %s", f.Name)
	if f.Short != 0 {
		fmt.Fprintf(b, " -s %c", f.Short)
	}
	switch {
	case f.Enum != "":
		fmt.Fprintf(b, " -x -a %q", strings.ReplaceAll(f.Enum, ",", " "))
	case f.Name == "cache-dir" || f.Name == "db":
		b.WriteString(" -r -F")
	}
	fmt.Fprintf(b, " -d %q\n", f.Help)
}
