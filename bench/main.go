// Command bench measures hfidx against `du -s --apparent-size` on a
// generated cache (see bench/synth): a full sync into a fresh index, a sync
// when nothing changed, a sync after one repo changed, ls with its
// automatic sync, a query over a view, and the plan for deleting 100
// revisions. Each command runs -runs times, each run right after a run of
// du on the same tree (page cache warm), and the table gives medians, the
// ratio of the medians to du's, and peak RSS.
//
//	go run ./bench [-scale N] [-runs N] [-dir DIR]
package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/hfidx/hfidx/bench/synth"
)

func main() {
	scale := flag.Int("scale", 1, "size of the cache: 3,000 repos per step")
	runs := flag.Int("runs", 5, "runs of each command (the median is reported)")
	dir := flag.String("dir", "", "work folder, kept (default: a temporary one, removed)")
	repos := flag.Int("repos", 0, "repos to write instead of 3,000 × scale (for a quick try)")
	only := flag.String("only", "", "comma-separated measurements to run: full, unchanged, changed, ls, query, delete (default: all)")
	flag.Parse()
	if *only != "" {
		selected = map[string]bool{}
		for _, m := range strings.Split(*only, ",") {
			selected[strings.TrimSpace(m)] = true
		}
	}
	cfg := synth.Default(*scale)
	if *repos > 0 {
		cfg.Repos = *repos
	}
	if err := run(cfg, *runs, *dir); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// selected are the measurements to run; nil means all.
var selected map[string]bool

func want(name string) bool { return selected == nil || selected[name] }

// sample is one run of a command.
type sample struct {
	wall time.Duration
	rss  int64 // KiB
}

type bench struct {
	work, hub, db, bin string
	runs               int
}

func run(cfg synth.Config, runs int, dir string) error {
	b := &bench{runs: runs}
	if dir == "" {
		d, err := os.MkdirTemp("", "hfidx-bench-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		dir = d
	}
	b.work = dir
	b.hub = filepath.Join(dir, fmt.Sprintf("hub-%d", cfg.Repos))
	b.db = filepath.Join(dir, "index.db")
	b.bin = filepath.Join(dir, "hfidx")
	build := exec.Command("go", "build", "-o", b.bin, "./cmd/hfidx")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		return fmt.Errorf("build: %w", err)
	}
	if _, err := os.Stat(b.hub); err != nil {
		fmt.Fprintf(os.Stderr, "writing a cache of %d repos in %s...\n", cfg.Repos, b.hub)
		if _, err := synth.Write(b.hub, cfg); err != nil {
			return err
		}
	}
	entries, links, err := count(b.hub)
	if err != nil {
		return err
	}
	host, _ := os.Hostname()
	fmt.Printf("cache: %d repos, %d entries, %d snapshot links; %d CPUs, %s/%s, %s; %s\n",
		cfg.Repos, entries, links, runtime.NumCPU(), runtime.GOOS, runtime.GOARCH, host, time.Now().UTC().Format("2006-01-02"))
	fmt.Printf("%-50s %10s %10s %8s %12s\n", "command", "median", "du median", "ratio", "peak RSS")

	du := []string{"du", "-s", "--apparent-size", b.hub}
	b.cmd(du) // warm the page cache
	sync := []string{b.bin, "sync", "--cache-dir", b.hub, "--db", b.db, "--no-progress"}
	if err := b.measure("full", "hfidx sync, fresh index", sync, func(int) error {
		if err := os.Remove(b.db); err != nil && !os.IsNotExist(err) {
			return err
		}
		return nil
	}); err != nil {
		return err
	}
	// The index now exists; wait out the racy window so that the next sync
	// trusts the folder times it recorded.
	b.cmd(sync)
	time.Sleep(2100 * time.Millisecond)
	b.cmd(sync)
	if err := b.measure("unchanged", "hfidx sync, nothing changed", sync, nil); err != nil {
		return err
	}
	repos, err := repoFolders(b.hub)
	if err != nil {
		return err
	}
	changes := []string{"new revision", "ref moved", "blob removed", "incomplete file"}
	if err := b.measure("changed", "hfidx sync, one repo changed (each kind in turn)", sync, func(i int) error {
		return change(filepath.Join(b.hub, repos[(i*7919)%len(repos)]), changes[i%len(changes)], i)
	}); err != nil {
		return err
	}
	opts := []string{"--cache-dir", b.hub, "--db", b.db, "--no-progress"}
	if err := b.measure("ls", "hfidx ls (with its automatic sync)", append([]string{b.bin, "ls"}, opts...), nil); err != nil {
		return err
	}
	q := append([]string{b.bin, "query", "SELECT count(*), sum(size_on_disk), sum(nb_files) FROM repo_usage", "--no-sync"}, opts...)
	if err := b.measure("query", "hfidx query over repo_usage --no-sync", q, nil); err != nil {
		return err
	}
	if !want("delete") {
		return nil
	}
	out, err := exec.Command(b.bin, append([]string{"ls", "--revisions", "-q", "--no-sync"}, opts...)...).Output()
	if err != nil {
		return fmt.Errorf("ls --revisions: %w", err)
	}
	// 100 revisions spread over the cache.
	all := strings.Fields(string(out))
	var hashes []string
	for i := 0; i < len(all) && len(hashes) < 100; i += max(1, len(all)/100) {
		hashes = append(hashes, all[i])
	}
	del := append(append([]string{b.bin, "delete"}, hashes...), append([]string{"--dry-run", "--no-sync"}, opts...)...)
	return b.measure("delete", "hfidx delete <100 revisions> --dry-run --no-sync", del, nil)
}

// measure runs du then the command, runs times, before(i) first when set
// (untimed), and prints the medians.
func (b *bench) measure(key, name string, argv []string, before func(i int) error) error {
	if !want(key) {
		return nil
	}
	var cmd, du []sample
	for i := 0; i < b.runs; i++ {
		s, err := b.cmd([]string{"du", "-s", "--apparent-size", b.hub})
		if err != nil {
			return err
		}
		du = append(du, s)
		if before != nil {
			if err := before(i); err != nil {
				return err
			}
		}
		s, err = b.cmd(argv)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		cmd = append(cmd, s)
	}
	m, d := median(cmd), median(du)
	var rss int64
	for _, s := range cmd {
		rss = max(rss, s.rss)
	}
	fmt.Printf("%-50s %9.3fs %9.3fs %8.2f %9.1f MiB\n", name, m.Seconds(), d.Seconds(), m.Seconds()/d.Seconds(), float64(rss)/1024)
	return nil
}

func (b *bench) cmd(argv []string) (sample, error) {
	c := exec.Command(argv[0], argv[1:]...)
	var stderr bytes.Buffer
	c.Stdout, c.Stderr = io.Discard, &stderr
	start := time.Now()
	err := c.Run()
	wall := time.Since(start)
	if err != nil {
		return sample{}, fmt.Errorf("%v: %s", err, strings.TrimSpace(stderr.String()))
	}
	return sample{wall, maxRSS(c.ProcessState)}, nil
}

func median(s []sample) time.Duration {
	d := make([]time.Duration, len(s))
	for i, x := range s {
		d[i] = x.wall
	}
	slices.Sort(d)
	return d[len(d)/2]
}

// count returns the entries of the tree (as find lists them, the root
// included) and its symlinks.
func count(root string) (entries, links int, err error) {
	err = filepath.WalkDir(root, func(_ string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		entries++
		if d.Type()&os.ModeSymlink != 0 {
			links++
		}
		return nil
	})
	return entries, links, err
}

func repoFolders(hub string) ([]string, error) {
	des, err := os.ReadDir(hub)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, d := range des {
		if d.IsDir() && strings.Contains(d.Name(), "--") {
			out = append(out, d.Name())
		}
	}
	return out, nil
}

// change applies one kind of change to the repo folder, as a download or
// an update would.
func change(repo, kind string, i int) error {
	snaps, err := os.ReadDir(filepath.Join(repo, "snapshots"))
	if err != nil || len(snaps) == 0 {
		return fmt.Errorf("%s: no snapshots", repo)
	}
	last := snaps[len(snaps)-1].Name()
	switch kind {
	case "new revision":
		commit := fmt.Sprintf("%040x", time.Now().UnixNano())
		if err := synth.CopySnapshot(filepath.Join(repo, "snapshots", last), filepath.Join(repo, "snapshots", commit), true); err != nil {
			return err
		}
		return writeInPlace(filepath.Join(repo, "refs", "main"), commit)
	case "ref moved":
		return writeInPlace(filepath.Join(repo, "refs", "main"), snaps[0].Name())
	case "blob removed":
		blobs, err := os.ReadDir(filepath.Join(repo, "blobs"))
		if err != nil || len(blobs) == 0 {
			return writeInPlace(filepath.Join(repo, "refs", "main"), snaps[0].Name())
		}
		return os.Remove(filepath.Join(repo, "blobs", blobs[0].Name()))
	default:
		return os.WriteFile(filepath.Join(repo, "blobs", fmt.Sprintf("%064x.incomplete", i)), []byte("partial"), 0o644)
	}
}

// writeInPlace rewrites a file without replacing it, as huggingface_hub
// rewrites refs/main.
func writeInPlace(p, content string) error {
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	return os.WriteFile(p, []byte(content), 0o644)
}
