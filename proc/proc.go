package proc

import (
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
)

// ErrUnsupported is wrapped by every error of a function that cannot work on
// this system (reading other processes' files is implemented for Linux
// only); test for it with errors.Is.
var ErrUnsupported = errors.New("not supported on this system")

// Key identifies a file by its device and inode number, as stat(2) gives
// them (st_dev, st_ino): the same for every path and every link of a file.
type Key struct {
	Dev, Ino uint64
}

// File is a file a process has open or mapped.
type File struct {
	// Path is the file's path as the kernel names it, with symlinks
	// resolved (a process that opened a snapshot link holds the blob) and
	// without the " (deleted)" the kernel appends to an unlinked file.
	Path string
	Key
	// Deleted is true when the file has no name left (it was unlinked, or
	// replaced by a rename, while the process still holds it); its space is
	// freed only when the last holder closes it.
	Deleted bool
	// FD is the lowest descriptor the process holds the file by, or -1 when
	// it only maps the file.
	FD int
	// Mapped is true when the file is mapped into the process's memory
	// (a loader's mmap of weights, a shared library).
	Mapped bool
}

// Process is one process that could be read.
type Process struct {
	PID  int
	PPID int
	// UID is the owner of /proc/<pid>: the effective user ID, or 0 for a
	// process that made itself non-dumpable (setuid programs, some agents).
	UID uint32
	// Comm is the kernel's short name of the program (at most 15 bytes).
	Comm string
	// Args is the command line (/proc/<pid>/cmdline); empty for a zombie.
	Args []string
	// Files are the process's open and mapped files that passed the
	// Options.Under filter, one per file (by Key), ordered by Path.
	Files []File
}

// Command returns the process's command for display: the base name of
// argv[0] and the other arguments, separated by spaces ("python serve.py"),
// or the kernel's name in brackets ("[sleep]") when the command line is
// empty. An argv[0] with a space in it is a title the process gave itself
// and is kept whole.
func (p *Process) Command() string {
	if len(p.Args) == 0 || p.Args[0] == "" && len(p.Args) == 1 {
		return "[" + p.Comm + "]"
	}
	var b strings.Builder
	switch a0 := p.Args[0]; {
	case a0 == "":
		b.WriteString(p.Comm)
	case strings.ContainsRune(a0, ' '):
		b.WriteString(a0) // a title the process set itself ("nginx: worker process")
	default:
		b.WriteString(filepath.Base(a0))
	}
	for _, a := range p.Args[1:] {
		b.WriteByte(' ')
		b.WriteString(a)
	}
	return b.String()
}

// Holder is a process that holds a file.
type Holder struct {
	PID int
	// Command is Process.Command of the holder.
	Command string
	// FD is the lowest descriptor it holds the file by, or -1 when it only
	// maps it.
	FD int
	// Mapped is true when the holder maps the file.
	Mapped bool
}

// String returns "4711 (python serve.py)", the form the commands print.
func (h Holder) String() string {
	return strconv.Itoa(h.PID) + " (" + h.Command + ")"
}

// Denied counts the processes of one user whose files could not be read
// (EACCES or EPERM: another user's process without CAP_SYS_PTRACE, or a
// non-dumpable one).
type Denied struct {
	UID uint32
	// User is the user's name, or "" when the user database has none.
	User string
	// Processes is how many of that user's processes could not be read.
	Processes int
}

// Name returns the user's name, or "uid N" when it has none.
func (d Denied) Name() string {
	if d.User != "" {
		return d.User
	}
	return "uid " + strconv.FormatUint(uint64(d.UID), 10)
}

// Options tells Snapshot which processes and files to read.
type Options struct {
	// Under keeps only files whose path lies in one of these folders
	// (absolute and already resolved, since the kernel reports resolved
	// paths; the folder itself counts as inside). The check is on the path
	// the kernel reports, before any stat, so that only files in the cache
	// cost a system call. Empty keeps every file. A process in another
	// mount namespace (a container given the cache as a bind mount) names
	// its files by its own paths and is missed by this filter; with Under
	// empty its files are still found by InUse, which goes by device and
	// inode.
	Under []string
	// PIDs restricts the snapshot to these processes (a Tree, say; a PID
	// listed twice is read once); empty reads every process.
	PIDs []int
	// Self includes the calling process, which is otherwise left out: a
	// command working in the cache holds its folders itself.
	Self bool
}

// Processes is one pass over the processes: the files each holds, and who
// could not be checked.
type Processes struct {
	// List holds the processes that hold a file that passed the filter, by
	// PID; a process whose descriptors could be read but not its maps is
	// among them when its descriptors show one, and is also counted in
	// Denied.
	List []Process
	// Checked is how many processes were read, holders or not.
	Checked int
	// Denied counts the processes that could not be read, by user, ordered
	// by UID.
	Denied []Denied
	// Errors are the other failures on single processes (neither a denial
	// nor a process that exited meanwhile, which is skipped silently); the
	// rest of the snapshot is complete.
	Errors []error

	byKey  map[Key][]Holder
	byPath map[string][]Holder
}

// InUse returns the processes that hold the file with that device and inode
// open or mapped, ordered by PID, or nil when none does (or none that could
// be read: see Denied).
func (ps *Processes) InUse(dev, ino uint64) []Holder {
	return ps.byKey[Key{dev, ino}]
}

// Holding returns the processes that hold the file at path (as the kernel
// names it: resolved, cleaned, without " (deleted)"), ordered by PID, or nil.
// A file renamed since it was opened is found by its new name only through
// InUse.
func (ps *Processes) Holding(path string) []Holder {
	return ps.byPath[filepath.Clean(path)]
}

// Unchecked returns how many processes could not be read and how many users
// they belong to; both are 0 when every process was read.
func (ps *Processes) Unchecked() (processes, users int) {
	for _, d := range ps.Denied {
		processes += d.Processes
	}
	return processes, len(ps.Denied)
}

// Summary returns a sentence saying which processes could not be checked,
// such as "12 processes of 3 users could not be checked: alice (10), bob
// (1), uid 1005 (1)", or "" when every process was read.
func (ps *Processes) Summary() string {
	n, u := ps.Unchecked()
	if n == 0 {
		return ""
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d %s of %d %s could not be checked:", n, plural(n, "process", "processes"), u, plural(u, "user", "users"))
	for i, d := range ps.Denied {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, " %s (%d)", d.Name(), d.Processes)
	}
	return b.String()
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// underAny reports whether path is one of roots or inside one of them; the
// roots are cleaned absolute paths.
func underAny(path []byte, roots []string) bool {
	if len(roots) == 0 {
		return true
	}
	for _, r := range roots {
		if len(path) < len(r) || string(path[:len(r)]) != r {
			continue
		}
		if len(path) == len(r) || path[len(r)] == '/' || r == "/" {
			return true
		}
	}
	return false
}
