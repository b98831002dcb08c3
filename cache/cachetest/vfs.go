package cachetest

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
)

// The spec is first laid out as an in-memory tree (a vfs). Write copies it to
// disk; Expect runs huggingface_hub's scan over it, so the oracle never looks
// at the disk. Paths in the vfs are absolute posix paths below a virtual
// root holding two directories whose names cannot occur on disk (they start
// with NUL): the cache root and the outside directory.
const (
	vCache   = "/\x00cache"
	vOutside = "/\x00outside"
)

type nodeKind uint8

const (
	kDir nodeKind = iota
	kFile
	kLink
	kFIFO
)

type node struct {
	kind    nodeKind
	content content // kFile
	target  string  // kLink
	times   Time
	mode    os.FileMode // 0: default
	kids    map[string]*node
}

func dirNode(t Time) *node { return &node{kind: kDir, times: t, kids: map[string]*node{}} }

func fileNode(c content, t Time) *node { return &node{kind: kFile, content: c, times: t} }

func textNode(s string) *node { return fileNode(newContent([]byte(s), 0, false), Time{}) }

func linkNode(target string) *node { return &node{kind: kLink, target: target} }

type vfs struct {
	root *node
}

func newVFS() *vfs {
	v := &vfs{root: dirNode(Time{})}
	v.root.kids[vCache[1:]] = dirNode(Time{})
	return v
}

func (v *vfs) outside() *node { return v.root.kids[vOutside[1:]] }

func splitPath(p string) []string {
	var out []string
	for _, c := range strings.Split(p, "/") {
		if c != "" {
			out = append(out, c)
		}
	}
	return out
}

// get returns the node at p without following any symlink, or nil.
func (v *vfs) get(p string) *node {
	n := v.root
	for _, c := range splitPath(p) {
		if n.kind != kDir {
			return nil
		}
		n = n.kids[c]
		if n == nil {
			return nil
		}
	}
	return n
}

// mkdirs returns the directory at p, creating missing directories (with
// unknown times) and following no symlink.
func (v *vfs) mkdirs(p string) (*node, error) {
	n := v.root
	for _, c := range splitPath(p) {
		k := n.kids[c]
		if k == nil {
			k = dirNode(Time{})
			n.kids[c] = k
		} else if k.kind != kDir {
			return nil, fmt.Errorf("%s: a parent is not a directory", show(p))
		}
		n = k
	}
	return n, nil
}

// add puts n at p, creating the parents; p must not exist.
func (v *vfs) add(p string, n *node) error {
	dir, base := path.Split(p)
	d, err := v.mkdirs(dir)
	if err != nil {
		return err
	}
	if _, ok := d.kids[base]; ok {
		return fmt.Errorf("%s: declared twice", show(p))
	}
	d.kids[base] = n
	return nil
}

// set puts n at p, replacing what is there.
func (v *vfs) set(p string, n *node) error {
	dir, base := path.Split(p)
	d, err := v.mkdirs(dir)
	if err != nil {
		return err
	}
	d.kids[base] = n
	return nil
}

func (v *vfs) remove(p string) {
	dir, base := path.Split(p)
	if d := v.get(dir); d != nil && d.kind == kDir {
		delete(d.kids, base)
	}
}

// show renders a vfs path for an error message.
func show(p string) string {
	if rest, ok := strings.CutPrefix(p, vCache+"/"); ok {
		return rest
	}
	if rest, ok := strings.CutPrefix(p, vOutside+"/"); ok {
		return OutsidePrefix + rest
	}
	return strings.ReplaceAll(p, "\x00", "")
}

// Errors of path resolution, as the kernel reports them.
var (
	errNotExist = errors.New("no such file or directory")
	errNotDir   = errors.New("not a directory")
	errLoop     = errors.New("too many levels of symbolic links")
)

const maxSymlinks = 40 // Linux MAXSYMLINKS

// resolve walks p like the kernel does: symlinks in the parents are always
// followed, the last one only when followLast. It returns the node and its
// real path.
func (v *vfs) resolve(p string, followLast bool) (*node, string, error) {
	comps := splitPath(p)
	cur, curPath := v.root, "/"
	hops := 0
	for i := 0; i < len(comps); i++ {
		c := comps[i]
		if cur.kind != kDir {
			return nil, "", errNotDir
		}
		switch c {
		case ".":
			continue
		case "..":
			curPath = path.Dir(curPath)
			cur = v.get(curPath)
			continue
		}
		k := cur.kids[c]
		if k == nil {
			return nil, "", errNotExist
		}
		if k.kind == kLink && (i < len(comps)-1 || followLast) {
			hops++
			if hops > maxSymlinks {
				return nil, "", errLoop
			}
			rest := append(splitPath(k.target), comps[i+1:]...)
			if strings.HasPrefix(k.target, "/") {
				cur, curPath = v.root, "/"
			}
			comps, i = rest, -1
			continue
		}
		cur, curPath = k, path.Join(curPath, c)
	}
	return cur, curPath, nil
}

func (v *vfs) stat(p string) (*node, error) {
	n, _, err := v.resolve(p, true)
	return n, err
}

func (v *vfs) lstat(p string) (*node, error) {
	n, _, err := v.resolve(p, false)
	return n, err
}

// write copies the tree to disk.
func (v *vfs) write(b *Built) error {
	if err := v.writeDir(v.root.kids[vCache[1:]], b.Root, b); err != nil {
		return err
	}
	if o := v.outside(); o != nil {
		return v.writeDir(o, b.Outside, b)
	}
	return nil
}

func (v *vfs) writeDir(d *node, dir string, b *Built) error {
	names := make([]string, 0, len(d.kids))
	for name := range d.kids {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		if strings.ContainsAny(name, "\x00/") {
			return fmt.Errorf("invalid name %q", name)
		}
		if err := v.writeNode(d.kids[name], filepath.Join(dir, name), b); err != nil {
			return err
		}
	}
	return nil
}

func (v *vfs) writeNode(n *node, p string, b *Built) error {
	switch n.kind {
	case kDir:
		if err := os.Mkdir(p, 0o755); err != nil {
			return err
		}
		if err := v.writeDir(n, p, b); err != nil {
			return err
		}
	case kFile:
		if err := writeContent(p, n.content); err != nil {
			return err
		}
	case kFIFO:
		if err := mkfifo(p); err != nil {
			return err
		}
	case kLink:
		t := n.target
		if rest, ok := strings.CutPrefix(t, vOutside); ok {
			t = b.Outside + filepath.FromSlash(rest)
		} else if rest, ok := strings.CutPrefix(t, vCache); ok {
			abs, err := filepath.Abs(b.Root)
			if err != nil {
				return err
			}
			t = abs + filepath.FromSlash(rest)
		}
		return os.Symlink(t, p)
	}
	if n.mode != 0 {
		if err := os.Chmod(p, n.mode); err != nil {
			return err
		}
	}
	if !n.times.Atime.IsZero() || !n.times.Mtime.IsZero() {
		return os.Chtimes(p, n.times.Atime, n.times.Mtime)
	}
	return nil
}

func writeContent(p string, c content) (err error) {
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}()
	switch {
	case !c.zeros:
		_, err = f.Write(c.data)
	case c.sparse:
		err = f.Truncate(c.size)
	default:
		_, err = io.CopyN(f, zeroReader{}, c.size)
	}
	return err
}

type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}
