package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/hfidx/hfidx/cache"
	"github.com/hfidx/hfidx/proc"
	"github.com/hfidx/hfidx/state"
)

type runCmd struct {
	Command  []string      `arg:"" passthrough:"" help:"The command and its arguments, after --."`
	Interval time.Duration `name:"interval" default:"50ms" help:"How often the command's processes are looked at while it runs."`
}

// Run runs the command, looks at the open and mapped files of it and of
// its children every Interval while it runs, watches the cache's blob
// folders for files being opened meanwhile (inotify, which cannot tell
// who opened them: an open by another process during the run counts
// too), and records a use of every cached file seen, in the durable state. The command's exit
// code is hfidx's; signals hfidx gets (interrupt, terminate, hang-up) are
// passed on to it.
func (c *runCmd) Run(a *app) error {
	args := c.Command
	if len(args) > 0 && args[0] == "--" {
		args = args[1:]
	}
	if len(args) == 0 {
		return usagef("e.g. hfidx run -- python serve.py", "no command given")
	}
	if c.Interval <= 0 {
		return usagef("e.g. --interval 50ms", "invalid --interval %v: want a positive duration", c.Interval)
	}
	root, err := a.cacheDir()
	if err != nil {
		return err
	}
	// Opens of blobs are watched too: a file opened and closed between two
	// looks at /proc (open(blob).read()) is seen that way.
	opens, _, werr := proc.WatchOpens(cache.ContentDirs(root))
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = a.stdin, a.stdout, a.stderr
	if err := cmd.Start(); err != nil {
		if werr == nil {
			opens.Stop()
		}
		return &cliError{code: 127, msg: fmt.Sprintf("run %s: %v", args[0], err), hint: "check the command's name and PATH"}
	}
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer signal.Stop(sigs)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()

	seen := map[string]state.Use{}
	unsupported := false
	look := func() {
		pids, err := proc.Tree(cmd.Process.Pid)
		if err != nil {
			unsupported = unsupported || errors.Is(err, proc.ErrUnsupported)
			return
		}
		ps, err := proc.Snapshot(proc.Options{Under: []string{root}, PIDs: pids})
		if err != nil {
			return
		}
		uses, _ := heldUses(root, ps.List, state.SourceRun, a.nowFloat())
		for _, u := range uses {
			u.UsedAt = float64(time.Now().UnixNano()) / 1e9
			u.Detail = strings.Join(args, " ")
			seen[u.Path] = u
		}
	}
	tick := time.NewTicker(c.Interval)
	defer tick.Stop()
	look()
	var waitErr error
loop:
	for {
		select {
		case s := <-sigs:
			cmd.Process.Signal(s)
		case <-tick.C:
			look()
		case waitErr = <-done:
			break loop
		}
	}
	if werr == nil {
		for path, at := range opens.Stop() {
			if rel, ok := cache.ContentFile(root, path); ok {
				t := float64(at.UnixNano()) / 1e9
				if u, ok := seen[rel]; !ok || u.UsedAt < t {
					seen[rel] = state.Use{Path: rel, UsedAt: t, Source: state.SourceRun, Detail: strings.Join(args, " ")}
				}
			}
		}
	}
	if unsupported {
		fmt.Fprintf(a.stderr, "Warning: hfidx run records uses on Linux only: nothing was recorded.\n")
	} else if len(seen) > 0 {
		uses := make([]state.Use, 0, len(seen))
		for _, u := range seen {
			uses = append(uses, u)
		}
		st, err := a.openState()
		if err == nil {
			_, err = st.Record(root, uses)
			st.Close()
		}
		if err != nil {
			fmt.Fprintf(a.stderr, "Warning: uses of %d cached file(s) not recorded: %v\n", len(uses), errText(err))
		}
	}
	var ee *exec.ExitError
	switch {
	case waitErr == nil:
		return nil
	case errors.As(waitErr, &ee):
		code := ee.ExitCode()
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			code = 128 + int(ws.Signal())
		}
		return &exitCode{code}
	default:
		return failf("", "run %s: %w", args[0], waitErr)
	}
}
