package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/hfidx/hfidx/proc"
)

// inUse answers whether a live process holds a file of the cache, from a
// snapshot of every process's open and mapped files (proc.Snapshot) taken
// when it is made and again, for the executor's checks, once the snapshot
// is older than inUseFresh.
type inUse struct {
	root string
	mu   sync.Mutex
	ps   *proc.Processes
	at   time.Time
	err  error // proc.ErrUnsupported where processes cannot be read
}

// inUseFresh is how old a snapshot may be for the check just before an
// unlink: a process that opens a blob after it is missed for at most
// this long, and a delete of many blobs reads /proc a few times a second
// at most.
const inUseFresh = 500 * time.Millisecond

func newInUse(root string) *inUse {
	u := &inUse{root: root}
	u.refresh()
	return u
}

func (u *inUse) refresh() {
	u.ps, u.err = proc.Snapshot(proc.Options{Under: []string{u.root}})
	u.at = time.Now()
}

// holders returns who holds the file, from the current snapshot.
func (u *inUse) holders(dev, ino uint64) []string {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.ps == nil {
		return nil
	}
	var out []string
	for _, h := range u.ps.InUse(dev, ino) {
		out = append(out, h.String())
	}
	return out
}

// now is the executor's check: the snapshot is taken again when stale.
func (u *inUse) now(dev, ino uint64) string {
	u.mu.Lock()
	if time.Since(u.at) > inUseFresh {
		u.refresh()
	}
	u.mu.Unlock()
	if by := u.holders(dev, ino); len(by) > 0 {
		return "in use by " + strings.Join(by, ", ")
	}
	return ""
}

// warn says on w what the check could not see: processes of other users,
// or a system where processes cannot be read at all.
func (u *inUse) warn(w io.Writer) {
	switch {
	case errors.Is(u.err, proc.ErrUnsupported):
		fmt.Fprintf(w, "Warning: files in use by running processes cannot be checked here (%v); a model a process has open may be deleted.\n", u.err)
	case u.err != nil:
		fmt.Fprintf(w, "Warning: files in use could not be checked: %v\n", u.err)
	case u.ps != nil && os.Geteuid() != 0 && u.ps.Summary() != "":
		// As root every process of every user is read; what still cannot
		// be (a supervisor's maps in a sandbox) is counted in JSON only.
		fmt.Fprintf(w, "Warning: %s; a file one of them has open may be deleted (run as root to check every process).\n", u.ps.Summary())
	}
}
