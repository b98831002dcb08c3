package proc

import (
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// Opens watches folders for files being opened, by any process, with
// inotify (IN_OPEN): an open that a snapshot of /proc would miss because
// the file was closed again at once (`open(blob).read()`) is seen. inotify
// does not say who opened the file; callers attribute the opens to what
// ran while they watched.
type Opens struct {
	f    *os.File
	mu   sync.Mutex
	dirs map[int32]string // watch descriptor -> folder
	seen map[string]time.Time
	done chan struct{}
}

// WatchOpens starts watching dirs (folders that do not exist, or that the
// kernel refuses to watch, are skipped and counted in skipped). It returns
// an error when inotify itself cannot be used.
func WatchOpens(dirs []string) (o *Opens, skipped int, err error) {
	fd, err := unix.InotifyInit1(unix.IN_CLOEXEC | unix.IN_NONBLOCK)
	if err != nil {
		return nil, 0, fmt.Errorf("inotify: %w", err)
	}
	o = &Opens{f: os.NewFile(uintptr(fd), "inotify"), dirs: map[int32]string{}, seen: map[string]time.Time{}, done: make(chan struct{})}
	for _, d := range dirs {
		wd, err := unix.InotifyAddWatch(fd, d, unix.IN_OPEN|unix.IN_ONLYDIR|unix.IN_DONT_FOLLOW)
		if err != nil {
			skipped++
			continue
		}
		o.dirs[int32(wd)] = d
	}
	go o.read()
	return o, skipped, nil
}

func (o *Opens) read() {
	defer close(o.done)
	buf := make([]byte, 64<<10)
	for {
		n, err := o.f.Read(buf)
		if err != nil {
			return
		}
		now := time.Now()
		o.mu.Lock()
		for off := 0; off+unix.SizeofInotifyEvent <= n; {
			wd := int32(binary.NativeEndian.Uint32(buf[off:]))
			mask := binary.NativeEndian.Uint32(buf[off+4:])
			nameLen := int(binary.NativeEndian.Uint32(buf[off+12:]))
			start := off + unix.SizeofInotifyEvent
			if start+nameLen > n {
				break
			}
			name := buf[start : start+nameLen]
			for len(name) > 0 && name[len(name)-1] == 0 {
				name = name[:len(name)-1]
			}
			off = start + nameLen
			if mask&unix.IN_OPEN == 0 || mask&unix.IN_ISDIR != 0 || len(name) == 0 {
				continue
			}
			if dir, ok := o.dirs[wd]; ok {
				o.seen[filepath.Join(dir, string(name))] = now
			}
		}
		o.mu.Unlock()
	}
}

// Stop ends the watch and returns every file opened while it lasted, with
// when it was last opened.
func (o *Opens) Stop() map[string]time.Time {
	o.f.Close()
	<-o.done
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.seen
}
