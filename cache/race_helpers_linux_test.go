//go:build linux

package cache

import (
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// raceRounds is how many rounds TestRaceSwappedFolder runs per folder kind
// and attacker: a short count in CI, HFIDX_RACE_ROUNDS=N for a long run.
func raceRounds(t *testing.T) int {
	if s := os.Getenv("HFIDX_RACE_ROUNDS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			t.Fatalf("HFIDX_RACE_ROUNDS=%q: want a positive number", s)
		}
		return n
	}
	return 12
}

// exactState describes every entry under dir, dir itself included as ".",
// keyed by slash path relative to dir, strictly enough that any write
// shows: type and permission bits; for a file its size, content,
// modification and status-change times; for a link its target. A folder's
// times are left out: what is created in or removed from it is seen as
// entries. Links are never followed. A missing dir gives an empty state.
func exactState(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p == dir && os.IsNotExist(err) {
				return filepath.SkipAll
			}
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		var st unix.Stat_t
		if err := unix.Lstat(p, &st); err != nil {
			return err
		}
		perm := fmt.Sprintf("%04o", st.Mode&0o7777)
		switch st.Mode & unix.S_IFMT {
		case unix.S_IFDIR:
			out[rel] = "dir " + perm
		case unix.S_IFLNK:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			out[rel] = "link " + target
		case unix.S_IFREG:
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			out[rel] = fmt.Sprintf("file %s size=%d mtime=%d.%09d ctime=%d.%09d %q", perm, st.Size,
				st.Mtim.Sec, st.Mtim.Nsec, st.Ctim.Sec, st.Ctim.Nsec, b)
		default:
			out[rel] = fmt.Sprintf("mode %o", st.Mode)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("read %s: %v", dir, err)
	}
	return out
}

// stateDiff counts what changed between two exactStates, and describes
// the first changes.
type stateDiff struct {
	removed, created, changed int
	lines                     []string
}

func diffExact(before, after map[string]string) stateDiff {
	var d stateDiff
	for k, v := range before {
		if w, ok := after[k]; !ok {
			d.removed++
			d.lines = append(d.lines, "- "+k)
		} else if w != v {
			d.changed++
			d.lines = append(d.lines, "~ "+k+": "+v+" -> "+w)
		}
	}
	for k := range after {
		if _, ok := before[k]; !ok {
			d.created++
			d.lines = append(d.lines, "+ "+k+" "+after[k])
		}
	}
	sort.Strings(d.lines)
	return d
}

func (d stateDiff) none() bool { return d.removed+d.created+d.changed == 0 }

// copyTree copies the tree at src to dst (which must not exist): folders,
// files with their bytes and permission bits, links with their targets
// verbatim. Nothing is followed.
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		q := filepath.Join(dst, rel)
		fi, err := d.Info()
		if err != nil {
			return err
		}
		switch {
		case fi.IsDir():
			return os.Mkdir(q, 0o755)
		case fi.Mode()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			return os.Symlink(target, q)
		case fi.Mode().IsRegular():
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			if err := os.WriteFile(q, b, 0o600); err != nil {
				return err
			}
			return os.Chmod(q, fi.Mode().Perm())
		}
		return fmt.Errorf("copy %s: unexpected mode %v", p, fi.Mode())
	})
	if err != nil {
		t.Fatalf("copy %s: %v", src, err)
	}
}

// racer swaps a folder and a symlink beside it with
// renameat2(RENAME_EXCHANGE): in a loop until halted, or once, at a random
// moment, for a slow attacker.
type racer struct {
	folder, link string
	stop         atomic.Bool
	wg           sync.WaitGroup
	swaps        int64 // successful exchanges; odd means left exchanged
}

// startRacer starts swapping folder and link. With once set it sleeps a
// random 0–2 ms and exchanges them a single time.
func startRacer(folder, link string, once bool, rng *rand.Rand) *racer {
	r := &racer{folder: folder, link: link}
	delay := time.Duration(rng.Int64N(int64(2 * time.Millisecond)))
	start := time.Now()
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		if once {
			// Spun, not slept: a sleep this short lasts a tick of the
			// runtime's timers, longer than most deletions.
			for time.Since(start) < delay && !r.stop.Load() {
				runtime.Gosched()
			}
			if !r.stop.Load() && r.exchange() {
				r.swaps++
			}
			return
		}
		for !r.stop.Load() {
			if r.exchange() {
				r.swaps++
			}
		}
	}()
	return r
}

func (r *racer) exchange() bool {
	return unix.Renameat2(unix.AT_FDCWD, r.folder, unix.AT_FDCWD, r.link, unix.RENAME_EXCHANGE) == nil
}

// halt stops the racer and swaps back if it left the two exchanged (when
// both names are still there). It returns the number of exchanges.
func (r *racer) halt() int64 {
	r.stop.Store(true)
	r.wg.Wait()
	if r.swaps%2 == 1 {
		r.exchange()
	}
	return r.swaps
}

// raceTally sums the rounds of one folder kind.
type raceTally struct {
	rounds, escapes           int // escapes: rounds that changed the outside tree
	errors                    int // runs that returned an error
	removed, created, changed int
	swaps                     int64
	examples                  []string       // the first outside changes seen
	errorSamples              map[string]int // a few error texts, with how often each came
}

// add counts one round in dir: what changed outside, the errors of its
// runs, the racer's exchanges.
func (k *raceTally) add(dir string, d stateDiff, errs []error, swaps int64) {
	k.rounds++
	k.swaps += swaps
	k.errors += len(errs)
	for _, err := range errs {
		if k.errorSamples == nil {
			k.errorSamples = map[string]int{}
		}
		if e := strings.ReplaceAll(err.Error(), dir, "…"); k.errorSamples[e] > 0 || len(k.errorSamples) < 4 {
			k.errorSamples[e]++
		}
	}
	if !d.none() {
		k.escapes++
		k.removed += d.removed
		k.created += d.created
		k.changed += d.changed
		for _, l := range d.lines {
			if len(k.examples) < 6 {
				k.examples = append(k.examples, l)
			}
		}
	}
}

func (k *raceTally) String() string {
	return fmt.Sprintf("rounds %d, exchanges %d, runs with an error %d, rounds changing the outside %d: outside entries removed %d, created %d, changed %d",
		k.rounds, k.swaps, k.errors, k.escapes, k.removed, k.created, k.changed)
}

// safely runs f, turning a panic into an error the caller reports.
func safely(f func() error) (panicked any, err error) {
	defer func() {
		if p := recover(); p != nil {
			panicked = p
		}
	}()
	return nil, f()
}

// hexName returns a 40-digit lowercase hex name made of i, for commits.
func hexName(i int) string { return fmt.Sprintf("%040x", 0xc0ffee00+i) }
