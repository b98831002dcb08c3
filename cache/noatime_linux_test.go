package cache

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"golang.org/x/sys/unix"
)

// TestOpenReadKeepsAtime reads a file and lists a folder through
// openRead and openatRead, and checks that neither access time moved.
func TestOpenReadKeepsAtime(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "f")
	if err := os.WriteFile(file, []byte("content"), 0o644); err != nil {
		t.Fatal(err)
	}
	old := unix.Timespec{Sec: 1000000000}
	for _, p := range []string{dir, file} {
		if err := unix.UtimesNano(p, []unix.Timespec{old, old}); err != nil {
			t.Fatal(err)
		}
	}
	fd, err := openRead(file, unix.O_RDONLY)
	if err != nil {
		t.Fatalf("openRead(%q) = %v", file, err)
	}
	buf := make([]byte, 16)
	unix.Read(fd, buf)
	unix.Close(fd)
	if _, _, err := readDir(dir); err != nil {
		t.Fatal(err)
	}
	dfd, err := unix.Open(dir, unix.O_PATH|unix.O_DIRECTORY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(dfd)
	fd, err = openatRead(dfd, "f", unix.O_RDONLY)
	if err != nil {
		t.Fatalf("openatRead(%q) = %v", "f", err)
	}
	unix.Read(fd, buf)
	unix.Close(fd)
	for _, p := range []string{dir, file} {
		var st unix.Stat_t
		if err := unix.Lstat(p, &st); err != nil {
			t.Fatal(err)
		}
		if st.Atim != old {
			t.Errorf("atime of %s = %d, want %d", p, st.Atim.Sec, old.Sec)
		}
	}
}

// TestOpenReadNotOwner opens a file the caller does not own without
// CAP_FOWNER, where the kernel refuses O_NOATIME: openRead and openatRead
// must open it anyway. Capabilities are per thread, so the test drops
// CAP_FOWNER on a locked thread that is never handed back to the runtime.
func TestOpenReadNotOwner(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: to own a file as another user and drop CAP_FOWNER")
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "f")
	if err := os.WriteFile(file, []byte("content"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(file, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	errs := make(chan []error, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread ends with the goroutine
		var got []error
		hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
		var data [2]unix.CapUserData
		if err := unix.Capget(&hdr, &data[0]); err != nil {
			errs <- []error{err}
			return
		}
		data[unix.CAP_FOWNER/32].Effective &^= 1 << (unix.CAP_FOWNER % 32)
		if err := unix.Capset(&hdr, &data[0]); err != nil {
			errs <- []error{err}
			return
		}
		if fd, err := unix.Open(file, unix.O_RDONLY|unix.O_NOATIME, 0); err != unix.EPERM {
			if err == nil {
				unix.Close(fd)
			}
			got = append(got, &os.PathError{Op: "open O_NOATIME without CAP_FOWNER, want EPERM", Path: file, Err: err})
		}
		if fd, err := openRead(file, unix.O_RDONLY); err != nil {
			got = append(got, &os.PathError{Op: "openRead", Path: file, Err: err})
		} else {
			unix.Close(fd)
		}
		if dfd, err := unix.Open(dir, unix.O_PATH|unix.O_DIRECTORY, 0); err == nil {
			if fd, err := openatRead(dfd, "f", unix.O_RDONLY); err != nil {
				got = append(got, &os.PathError{Op: "openatRead", Path: file, Err: err})
			} else {
				unix.Close(fd)
			}
			unix.Close(dfd)
		}
		errs <- got
	}()
	for _, err := range <-errs {
		t.Error(err)
	}
}

// TestOpenReadAllocs holds openRead to the allocations of a plain open.
func TestOpenReadAllocs(t *testing.T) {
	file := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	plain := testing.AllocsPerRun(100, func() {
		fd, _ := unix.Open(file, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		unix.Close(fd)
	})
	got := testing.AllocsPerRun(100, func() {
		fd, _ := openRead(file, unix.O_RDONLY)
		unix.Close(fd)
	})
	if got > plain {
		t.Errorf("openRead allocates %v times, a plain open %v", got, plain)
	}
}
