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
	name  string // "assets ls" for a subcommand
	help  string
	flags []*kong.Flag
	args  []string // subcommands, or enum values of the first positional argument
}

func completionModel(app *kong.Application) (globals []*kong.Flag, cmds []compCommand) {
	for _, f := range app.Flags {
		if !f.Hidden {
			globals = append(globals, f)
		}
	}
	var walk func(n *kong.Node, prefix string)
	walk = func(n *kong.Node, prefix string) {
		if n.Type != kong.CommandNode || n.Hidden {
			return
		}
		c := compCommand{name: prefix + n.Name, help: n.Help}
		for _, f := range n.Flags {
			if !f.Hidden {
				c.flags = append(c.flags, f)
			}
		}
		if len(n.Positional) > 0 && n.Positional[0].Enum != "" {
			c.args = strings.Split(n.Positional[0].Enum, ",")
		}
		for _, k := range n.Children {
			if k.Type == kong.CommandNode && !k.Hidden {
				c.args = append(c.args, k.Name)
				walk(k, c.name+" ")
			}
		}
		cmds = append(cmds, c)
	}
	for _, n := range app.Children {
		walk(n, "")
	}
	// Subcommands first: bash's case takes the first pattern that matches,
	// and "assets "* would take "assets rm".
	sort.Slice(cmds, func(i, j int) bool {
		ni, nj := strings.Contains(cmds[i].name, " "), strings.Contains(cmds[j].name, " ")
		if ni != nj {
			return ni
		}
		return cmds[i].name < cmds[j].name
	})
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
		var names []string
		for _, c := range cmds {
			if !strings.Contains(c.name, " ") {
				names = append(names, c.name)
			}
		}
		b.WriteString("_hfidx() {\n  local cur prev cmd i n=0\n  cur=\"${COMP_WORDS[COMP_CWORD]}\"\n  prev=\"${COMP_WORDS[COMP_CWORD-1]}\"\n")
		// cmd is the command, with its subcommand when it has one.
		b.WriteString("  for ((i=1; i<COMP_CWORD && n<2; i++)); do case \"${COMP_WORDS[i]}\" in -*) ;; *) cmd=\"${cmd:+$cmd }${COMP_WORDS[i]}\"; n=$((n+1));; esac; done\n")
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
			pattern := fmt.Sprintf("%q", c.name)
			if !strings.Contains(c.name, " ") {
				// The command alone, or followed by a word that is not one of
				// its subcommands (an argument).
				pattern += fmt.Sprintf("|%q*", c.name+" ")
			}
			fmt.Fprintf(&b, "    %s) COMPREPLY=($(compgen -W %q -- \"$cur\"));;\n", pattern, strings.Join(words, " "))
		}
		b.WriteString("  esac\n}\ncomplete -F _hfidx hfidx\n")
	case "fish":
		b.WriteString("complete -c hfidx -f\n")
		for _, c := range cmds {
			parent, sub, nested := strings.Cut(c.name, " ")
			cond := "__fish_seen_subcommand_from " + c.name
			if nested {
				cond = "__fish_seen_subcommand_from " + parent + "; and __fish_seen_subcommand_from " + sub
			} else {
				fmt.Fprintf(&b, "complete -c hfidx -n __fish_use_subcommand -a %s -d %q\n", c.name, c.help)
			}
			for _, f := range c.flags {
				fishFlag(&b, cond, f)
			}
			if len(c.args) > 0 {
				fmt.Fprintf(&b, "complete -c hfidx -n '%s' -a %q\n", cond, strings.Join(c.args, " "))
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
