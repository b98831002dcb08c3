//go:build linux

package cache

import (
	"io/fs"
	"slices"
	"sync"
	"syscall"
	"unsafe"
)

// direntBufs recycles the buffers readDir hands to getdents64.
var direntBufs = sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}

// readDirFunc lists dir like readDir, in the order the file system gives,
// handing the folder's stat and its entries to fn in batches of at most batch (all at once when
// batch <= 0); a batch is reused once fn returns. An error of fn stops the
// listing and is returned. On Linux it reads the kernel's records
// directly: no poller registration, and one small allocation per entry.
func readDirFunc(dir string, batch int, fn func(Stat, []fs.DirEntry) error) (Stat, error) {
	// O_NOATIME (openRead): listing a folder sets its access time.
	fd, err := openRead(dir, syscall.O_RDONLY|openDirFlags)
	if err != nil {
		return Stat{}, &fs.PathError{Op: "open", Path: dir, Err: err}
	}
	defer syscall.Close(fd)
	var st syscall.Stat_t
	if err := syscall.Fstat(fd, &st); err != nil {
		return Stat{}, &fs.PathError{Op: "stat", Path: dir, Err: err}
	}
	self := statOfSys(&st)
	bp := direntBufs.Get().(*[]byte)
	defer direntBufs.Put(bp)
	buf := *bp
	var out []fs.DirEntry
	for {
		n, err := syscall.Getdents(fd, buf)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			if len(out) > 0 {
				fn(self, out)
			}
			return self, &fs.PathError{Op: "readdirent", Path: dir, Err: err}
		}
		if n <= 0 {
			break
		}
		for off := 0; off < n; {
			// struct linux_dirent64: ino u64, off s64, reclen u16, type u8, name.
			rec := buf[off:n]
			if len(rec) < 19 {
				break
			}
			reclen := int(*(*uint16)(unsafe.Pointer(&rec[16])))
			if reclen < 19 || reclen > len(rec) {
				break
			}
			typ := rec[18]
			name := rec[19:reclen]
			if i := slices.Index(name, 0); i >= 0 {
				name = name[:i]
			}
			off += reclen
			if len(name) == 0 || string(name) == "." || string(name) == ".." {
				continue
			}
			e := &dirent{name: string(name)}
			switch typ {
			case syscall.DT_DIR:
				e.typ = fs.ModeDir
			case syscall.DT_REG:
			case syscall.DT_LNK:
				e.typ = fs.ModeSymlink
			case syscall.DT_FIFO:
				e.typ = fs.ModeNamedPipe
			case syscall.DT_SOCK:
				e.typ = fs.ModeSocket
			case syscall.DT_BLK:
				e.typ = fs.ModeDevice
			case syscall.DT_CHR:
				e.typ = fs.ModeDevice | fs.ModeCharDevice
			default:
				// The file system did not say: ask.
				s, err := statPath(dir+"/"+e.name, false)
				if err != nil {
					continue // gone since it was listed
				}
				e.typ = s.Mode.Type()
			}
			e.dir = dir
			out = append(out, e)
			if batch > 0 && len(out) == batch {
				if err := fn(self, out); err != nil {
					return self, err
				}
				clear(out)
				out = out[:0]
			}
		}
	}
	if len(out) > 0 {
		if err := fn(self, out); err != nil {
			return self, err
		}
	}
	return self, nil
}

// dirent is an entry readDir listed.
type dirent struct {
	dir, name string
	typ       fs.FileMode
}

func (d *dirent) Name() string      { return d.name }
func (d *dirent) IsDir() bool       { return d.typ.IsDir() }
func (d *dirent) Type() fs.FileMode { return d.typ }
func (d *dirent) Info() (fs.FileInfo, error) {
	return lstatInfo(d.dir + "/" + d.name)
}
