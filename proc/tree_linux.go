//go:build linux

package proc

import (
	"bytes"
	"fmt"
	"io/fs"
	"strconv"
	"sync"

	"golang.org/x/sys/unix"
)

// haveChildren reports whether the kernel has /proc/<pid>/task/<tid>/children
// (CONFIG_PROC_CHILDREN, set by the common distributions).
var haveChildren = sync.OnceValue(func() bool {
	var st unix.Stat_t
	return unix.Stat("/proc/thread-self/children", &st) == nil
})

// Tree returns pid and all its live descendants, each parent before its
// children. A process whose parent exited has been adopted by another (init,
// or the nearest subreaper: see PR_SET_CHILD_SUBREAPER) and is no longer
// found here. It returns an error wrapping fs.ErrNotExist when pid is not a
// live process, or the error of reading /proc.
func Tree(pid int) ([]int, error) {
	var st unix.Stat_t
	dir := "/proc/" + strconv.Itoa(pid)
	if err := unix.Stat(dir, &st); err != nil || pid <= 0 {
		if err == nil {
			err = unix.ENOENT
		}
		return nil, fmt.Errorf("process tree of %d: %w", pid, &fs.PathError{Op: "stat", Path: dir, Err: err})
	}
	r := newReader(nil)
	if !haveChildren() {
		return treeByParent(r, pid)
	}
	out := []int{pid}
	seen := map[int]bool{pid: true}
	for i := 0; i < len(out); i++ {
		for _, c := range r.children(out[i]) {
			if !seen[c] {
				seen[c] = true
				out = append(out, c)
			}
		}
	}
	return out, nil
}

// children returns the children of every thread of pid; none when it exited
// meanwhile.
func (r *reader) children(pid int) []int {
	dir := "/proc/" + strconv.Itoa(pid) + "/task"
	tfd, err := open(unix.AT_FDCWD, dir, unix.O_DIRECTORY)
	if err != nil {
		return nil
	}
	defer unix.Close(tfd)
	var out []int
	for _, tid := range r.listNumbers(tfd) {
		b, err := r.readFile(tfd, strconv.Itoa(tid)+"/children", false)
		if err != nil {
			continue
		}
		for _, f := range bytes.Fields(b) {
			if c, ok := atoi(f); ok {
				out = append(out, c)
			}
		}
	}
	return out
}

// treeByParent is Tree from the parent PIDs of every process, for kernels
// without the children files.
func treeByParent(r *reader, pid int) ([]int, error) {
	pids, err := listPIDs()
	if err != nil {
		return nil, fmt.Errorf("process tree of %d: %w", pid, err)
	}
	kids := map[int][]int{}
	for _, p := range pids {
		dfd, err := open(unix.AT_FDCWD, "/proc/"+strconv.Itoa(p), unix.O_DIRECTORY)
		if err != nil {
			continue
		}
		b, err := r.readFile(dfd, "stat", true)
		unix.Close(dfd)
		if err != nil {
			continue
		}
		if _, ppid, _, ok := parseStat(b); ok {
			kids[ppid] = append(kids[ppid], p)
		}
	}
	out := []int{pid}
	seen := map[int]bool{pid: true}
	for i := 0; i < len(out); i++ {
		for _, c := range kids[out[i]] {
			if !seen[c] {
				seen[c] = true
				out = append(out, c)
			}
		}
	}
	return out, nil
}
