package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestBashCompletion sources the generated bash script and asks it to
// complete command lines, subcommands included.
func TestBashCompletion(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("no bash here")
	}
	var out bytes.Buffer
	if code := run([]string{"completion", "bash"}, nil, &out, os.Stderr); code != 0 {
		t.Fatalf("completion bash: exit %d", code)
	}
	script := filepath.Join(t.TempDir(), "hfidx.bash")
	os.WriteFile(script, out.Bytes(), 0o644)
	cases := []struct {
		words string
		want  []string // each must be offered
		not   []string // none may be
	}{
		{"hfidx ", []string{"sync", "assets", "delete"}, []string{"ls rm"}},
		{"hfidx sync --re", []string{"--rebuild"}, nil},
		{"hfidx assets ", []string{"ls", "rm", "path"}, nil},
		{"hfidx assets rm --d", []string{"--dry-run", "--db"}, nil},
		{"hfidx assets path --n", []string{"--namespace", "--no-sync", "--no-progress"}, []string{"--dry-run"}},
		{"hfidx delete abc --so", []string{"--sort"}, nil},
		{"hfidx --format ", []string{"json", "csv"}, nil},
	}
	for _, c := range cases {
		words := strings.Split(c.words, " ")
		var q []string
		for _, w := range words {
			q = append(q, "'"+w+"'")
		}
		cmd := exec.Command(bash, "-c", `source "$1"; COMP_WORDS=(`+strings.Join(q, " ")+`); COMP_CWORD=$((${#COMP_WORDS[@]}-1)); _hfidx; printf '%s\n' "${COMPREPLY[@]}"`, "bash", script)
		got, err := cmd.Output()
		if err != nil {
			t.Fatalf("%q: %v", c.words, err)
		}
		offered := strings.Fields(string(got))
		for _, w := range c.want {
			if !contains(offered, w) {
				t.Errorf("%q: %q not offered (got %v)", c.words, w, offered)
			}
		}
		for _, w := range c.not {
			if contains(offered, w) {
				t.Errorf("%q: %q offered", c.words, w)
			}
		}
	}
}

func contains(s []string, w string) bool {
	for _, x := range s {
		if x == w {
			return true
		}
	}
	return false
}
