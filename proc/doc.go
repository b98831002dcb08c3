// Package proc reads which processes have which files open or mapped, and
// how the mounts record access times, so that hfidx can tell a blob in use
// from one merely present and can label an atime with what it is worth.
//
// Linux is read through procfs: [Snapshot] lists every process's open
// descriptors (/proc/<pid>/fd) and file mappings (/proc/<pid>/maps), [Tree]
// a process and its descendants, and [Mounts] and [MountOf] the mount table
// (/proc/self/mountinfo). Nothing here writes to /proc or opens a file of the
// cache: a descriptor's link is read with readlink(2) and its file stat'ed
// through the link, neither of which changes the file's access time.
//
// On other systems the same functions exist and return an error that wraps
// [ErrUnsupported], so that a command can say what it cannot check. The
// mountinfo parser ([ParseMountinfo], [Containing]) is plain text handling
// and works everywhere.
package proc
