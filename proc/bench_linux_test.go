//go:build linux

package proc

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// BenchmarkSnapshot starts PROC_BENCH_PROCS (300) processes that each hold
// three blobs of a cache (sleep with the blobs as stdin and fds 3 and 4, and
// one in ten a helper that maps one blob and opens two) and times one
// Snapshot of the whole machine, with the cache as Under, with a folder no
// one holds as Under and without Under, a Tree, and lsof for comparison. Each reports its ratio to a bare listing of
// /proc timed in the same run (x-list).
func BenchmarkSnapshot(b *testing.B) {
	n := 300
	if s := os.Getenv("PROC_BENCH_PROCS"); s != "" {
		var err error
		if n, err = strconv.Atoi(s); err != nil {
			b.Fatalf("PROC_BENCH_PROCS=%q: %v", s, err)
		}
	}
	sleep, err := exec.LookPath("sleep")
	if err != nil {
		b.Skip("no sleep")
	}
	dir, err := filepath.EvalSymlinks(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	root := filepath.Join(dir, "hub")
	var procs []*exec.Cmd
	b.Cleanup(func() {
		for _, c := range procs {
			c.Process.Kill()
		}
		for _, c := range procs {
			c.Wait()
		}
	})
	for i := range n {
		var blobs []string
		for j := range 3 {
			p := filepath.Join(root, fmt.Sprintf("models--org--m%d", i), "blobs", fmt.Sprintf("%064x", i*3+j))
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				b.Fatal(err)
			}
			if err := os.WriteFile(p, make([]byte, 4096), 0o644); err != nil {
				b.Fatal(err)
			}
			blobs = append(blobs, p)
		}
		var cmd *exec.Cmd
		var files []*os.File
		if i%10 == 0 {
			cmd = exec.Command(os.Args[0])
			cmd.Env = append(os.Environ(), "PROC_TEST_HELPER=hold", "PROC_TEST_MAP="+blobs[0],
				"PROC_TEST_OPEN="+strings.Join(blobs[1:], "\n"))
			out, err := cmd.StdoutPipe()
			if err != nil {
				b.Fatal(err)
			}
			in, err := cmd.StdinPipe()
			if err != nil {
				b.Fatal(err)
			}
			_ = in // held open until the process is killed
			if err := cmd.Start(); err != nil {
				b.Fatal(err)
			}
			buf := make([]byte, 6)
			if _, err := out.Read(buf); err != nil || string(buf) != "ready\n" {
				b.Fatalf("helper said %q: %v", buf, err)
			}
		} else {
			for _, p := range blobs {
				f, err := os.Open(p)
				if err != nil {
					b.Fatal(err)
				}
				files = append(files, f)
			}
			cmd = exec.Command(sleep, "600")
			cmd.Stdin, cmd.ExtraFiles = files[0], files[1:]
			if err := cmd.Start(); err != nil {
				b.Fatal(err)
			}
			for _, f := range files {
				f.Close()
			}
		}
		procs = append(procs, cmd)
	}
	check, err := Snapshot(Options{Under: []string{root}})
	if err != nil {
		b.Fatal(err)
	}
	holders := 0
	for _, p := range check.List {
		if len(p.Files) == 3 {
			holders++
		}
	}
	if holders != n {
		b.Fatalf("Snapshot found %d processes holding 3 blobs, want %d", holders, n)
	}

	b.Logf("%d processes on the machine, %d holding blobs", check.Checked+unchecked(check), n)

	// Each sub-benchmark reports its CPU time (user and system, all
	// threads: the machine may be shared, and wall time then includes
	// waiting) and its ratio to the first, the baseline: getdents of /proc
	// alone, the least any snapshot does.
	var base float64
	measure := func(b *testing.B, fn func()) {
		b.ReportAllocs()
		cpu0 := cpuTime()
		for b.Loop() {
			fn()
		}
		ns := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
		b.ReportMetric(float64((cpuTime()-cpu0).Nanoseconds())/float64(b.N), "cpu-ns/op")
		if base == 0 {
			base = ns
		}
		b.ReportMetric(ns/base, "x-list")
	}
	b.Run("list", func(b *testing.B) {
		base = 0
		measure(b, func() {
			if _, err := listPIDs(); err != nil {
				b.Fatal(err)
			}
		})
	})
	b.Run("under", func(b *testing.B) {
		measure(b, func() {
			if _, err := Snapshot(Options{Under: []string{root}}); err != nil {
				b.Fatal(err)
			}
		})
	})
	b.Run("unheld", func(b *testing.B) {
		// The usual case of a delete's check: no process holds a file of
		// the cache, so no process costs more than its listing.
		measure(b, func() {
			if _, err := Snapshot(Options{Under: []string{filepath.Join(dir, "empty")}}); err != nil {
				b.Fatal(err)
			}
		})
	})
	b.Run("all", func(b *testing.B) {
		measure(b, func() {
			if _, err := Snapshot(Options{}); err != nil {
				b.Fatal(err)
			}
		})
	})
	if lsof, err := exec.LookPath("lsof"); err == nil {
		// For comparison, what a tool built on lsof pays: every open and
		// mapped file of the machine, as lsof lists them (its CPU time is a
		// child's, counted from RUSAGE_CHILDREN).
		b.Run("lsof", func(b *testing.B) {
			cpu0 := cpuTimeOf(syscall.RUSAGE_CHILDREN)
			for b.Loop() {
				if err := exec.Command(lsof, "-n", "-w", "-b").Run(); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64((cpuTimeOf(syscall.RUSAGE_CHILDREN)-cpu0).Nanoseconds())/float64(b.N), "cpu-ns/op")
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/base, "x-list")
		})
	}
	b.Run("tree", func(b *testing.B) {
		measure(b, func() {
			if _, err := Tree(os.Getpid()); err != nil {
				b.Fatal(err)
			}
		})
	})
	b.Run("tree-snapshot", func(b *testing.B) {
		// What hfidx run does on each sample: the tree, then its files.
		measure(b, func() {
			pids, err := Tree(os.Getpid())
			if err != nil {
				b.Fatal(err)
			}
			if _, err := Snapshot(Options{Under: []string{root}, PIDs: pids}); err != nil {
				b.Fatal(err)
			}
		})
	})
}

// unchecked returns how many processes could not be read.
func unchecked(ps *Processes) int {
	n, _ := ps.Unchecked()
	return n
}

// cpuTime returns the user and system time of this process so far.
func cpuTime() time.Duration { return cpuTimeOf(syscall.RUSAGE_SELF) }

// cpuTimeOf returns the user and system time of who (RUSAGE_SELF or
// RUSAGE_CHILDREN) so far.
func cpuTimeOf(who int) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(who, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
