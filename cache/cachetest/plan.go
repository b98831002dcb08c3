package cachetest

import (
	"encoding/json"
	"fmt"
	"path"
	"slices"
	"strings"
)

// cacheDirTag is the CACHEDIR.TAG huggingface_hub writes.
const cacheDirTag = "Signature: 8a477f597d28d172789f06886806bc55\n" +
	"# This file is a cache directory tag created by huggingface_hub.\n" +
	"# For information about cache directory tags, see:\n" +
	"#\thttps://bford.info/cachedir/\n"

// checkRel reports whether p is a clean relative posix path without "..".
func checkRel(what, p string) error {
	if p == "" || strings.HasPrefix(p, "/") || path.Clean(p) != p || strings.ContainsRune(p, 0) {
		return fmt.Errorf("%s %q: not a clean relative path", what, p)
	}
	if slices.Contains(strings.Split(p, "/"), "..") {
		//lint:ignore ST1005 ".." is the path element named, not punctuation
		return fmt.Errorf("%s %q: contains ..", what, p)
	}
	return nil
}

// checkName reports whether s is a single path element.
func checkName(what, s string) error {
	if s == "" || s == "." || s == ".." || strings.ContainsAny(s, "/\x00") {
		return fmt.Errorf("%s %q: not a single path element", what, s)
	}
	return nil
}

// ups returns the "../" prefix from a snapshot entry at rel (inside
// snapshots/<rev>/) back to the repo folder.
func ups(rel string) string {
	return strings.Repeat("../", strings.Count(rel, "/")+2)
}

func (f *File) content() content { return newContent(f.Content, f.Size, f.Sparse) }

func (f *File) isLFS() bool {
	return f.LFS || f.Shared || f.content().size >= LFSThreshold
}

func (b *Blob) content() content { return newContent(b.Content, b.Size, b.Sparse) }

func (b *Blob) isLFS() bool { return b.LFS || b.content().size >= LFSThreshold }

func (t Time) isZero() bool { return t.Atime.IsZero() && t.Mtime.IsZero() }

// payload is a store entry collected while laying out the repos.
type payload struct {
	hash  string
	c     content
	time  Time
	lines []string
}

type planner struct {
	v        *vfs
	payloads map[string]*payload
	order    []string // payload hashes in order of first use
	store    *Store
}

// plan lays c out as a vfs, or returns why c is inconsistent.
func plan(c Cache) (*vfs, error) {
	p := &planner{v: newVFS(), payloads: map[string]*payload{}, store: c.Store}
	folders := map[string]bool{}
	for i := range c.Repos {
		r := &c.Repos[i]
		f := r.folder()
		if err := checkName("repo folder", f); err != nil {
			return nil, err
		}
		if folders[f] {
			return nil, fmt.Errorf("repo folder %s declared twice", f)
		}
		folders[f] = true
		etags, err := p.repo(r, f)
		if err != nil {
			return nil, fmt.Errorf("repo %s: %w", f, err)
		}
		if c.RootEntries {
			for _, e := range etags {
				if err := p.v.add(vCache+"/.locks/"+f+"/"+e+".lock", textNode("")); err != nil {
					return nil, err
				}
			}
		}
	}
	if c.RootEntries {
		if err := p.v.add(vCache+"/CACHEDIR.TAG", textNode(cacheDirTag)); err != nil {
			return nil, err
		}
	}
	if err := p.writeStore(); err != nil {
		return nil, err
	}
	for _, e := range c.Extra {
		if err := p.extra(e); err != nil {
			return nil, err
		}
	}
	return p.v, nil
}

type blobInfo struct {
	c      content
	shared bool
	time   Time
}

// repo lays out one repo and returns its blob etags in order.
func (p *planner) repo(r *Repo, folder string) ([]string, error) {
	base := vCache + "/" + folder
	if err := p.v.add(base, dirNode(r.FolderTime)); err != nil {
		return nil, err
	}
	if _, err := p.v.mkdirs(base + "/blobs"); err != nil {
		return nil, err
	}
	if _, err := p.v.mkdirs(base + "/snapshots"); err != nil {
		return nil, err
	}

	// Blobs first: a blob's kind and time depend on all its files.
	blobs := map[string]*blobInfo{}
	var etags []string
	note := func(c content, lfs, shared bool, t Time) string {
		e := etag(c, lfs)
		b := blobs[e]
		if b == nil {
			b = &blobInfo{c: c}
			blobs[e] = b
			etags = append(etags, e)
		}
		b.shared = b.shared || shared
		if b.time.isZero() {
			b.time = t
		}
		return e
	}
	for _, rev := range r.Revisions {
		for _, f := range rev.Files {
			if !f.Copy {
				note(f.content(), f.isLFS(), f.Shared, f.Time)
			}
		}
	}
	for _, o := range r.OrphanBlobs {
		note(o.content(), o.isLFS(), false, o.Time)
	}
	for _, e := range etags {
		b := blobs[e]
		bp := base + "/blobs/" + e
		if !b.shared {
			if err := p.v.add(bp, fileNode(b.c, b.time)); err != nil {
				return nil, err
			}
			continue
		}
		x := xetHash(e)
		if err := p.v.add(bp, linkNode("../../blobs/"+x[:2]+"/"+x)); err != nil {
			return nil, err
		}
		pl := p.payloads[x]
		if pl == nil {
			pl = &payload{hash: x, c: b.c}
			p.payloads[x] = pl
			p.order = append(p.order, x)
		}
		if pl.time.isZero() {
			pl.time = b.time
		}
		pl.lines = append(pl.lines, folder+"/blobs/"+e)
	}

	for _, rev := range r.Revisions {
		if err := checkName("revision", rev.Hash); err != nil {
			return nil, err
		}
		rp := base + "/snapshots/" + rev.Hash
		if err := p.v.add(rp, dirNode(rev.FolderTime)); err != nil {
			return nil, err
		}
		for _, f := range rev.Files {
			if err := checkRel("file", f.Path); err != nil {
				return nil, err
			}
			var n *node
			if f.Copy {
				n = fileNode(f.content(), f.Time)
			} else {
				n = linkNode(ups(f.Path) + "blobs/" + etag(f.content(), f.isLFS()))
			}
			if err := p.v.add(rp+"/"+f.Path, n); err != nil {
				return nil, err
			}
		}
	}

	refNames := make([]string, 0, len(r.Refs))
	for name := range r.Refs {
		refNames = append(refNames, name)
	}
	slices.Sort(refNames)
	for _, name := range refNames {
		if err := checkRel("ref", name); err != nil {
			return nil, err
		}
		if err := p.v.add(base+"/refs/"+name, textNode(r.Refs[name])); err != nil {
			return nil, err
		}
	}

	for _, in := range r.Incomplete {
		name := in.Name
		if !strings.HasSuffix(name, ".incomplete") {
			name += ".incomplete"
		}
		if err := checkName("incomplete", name); err != nil {
			return nil, err
		}
		if err := p.v.add(base+"/blobs/"+name, fileNode(newContent(nil, in.Size, true), in.Time)); err != nil {
			return nil, err
		}
	}

	commits := make([]string, 0, len(r.NoExist))
	for commit := range r.NoExist {
		commits = append(commits, commit)
	}
	slices.Sort(commits)
	for _, commit := range commits {
		if err := checkName("no_exist commit", commit); err != nil {
			return nil, err
		}
		if _, err := p.v.mkdirs(base + "/.no_exist/" + commit); err != nil {
			return nil, err
		}
		for _, f := range r.NoExist[commit] {
			if err := checkRel("no_exist path", f); err != nil {
				return nil, err
			}
			if err := p.v.add(base+"/.no_exist/"+commit+"/"+f, textNode("")); err != nil {
				return nil, err
			}
		}
	}

	for _, commit := range r.Trees {
		if err := checkName("tree commit", commit); err != nil {
			return nil, err
		}
		if err := p.v.add(base+"/trees/"+commit+".json", textNode(treeJSON(r, commit))); err != nil {
			return nil, err
		}
	}

	if err := p.corrupt(r, folder, base); err != nil {
		return nil, err
	}
	return etags, nil
}

type treeEntry struct {
	Size      int64  `json:"size"`
	BlobID    string `json:"blob_id"`
	LFSSHA256 string `json:"lfs_sha256,omitempty"`
	LFSSize   int64  `json:"lfs_size,omitempty"`
	XetHash   string `json:"xet_hash,omitempty"`
}

// treeJSON returns trees/<commit>.json for the revision named commit (an
// empty listing when there is none), in the format of shared-blobs.md §5.1.
func treeJSON(r *Repo, commit string) string {
	files := map[string]treeEntry{}
	for _, rev := range r.Revisions {
		if rev.Hash != commit {
			continue
		}
		for _, f := range rev.Files {
			c, lfs := f.content(), f.isLFS()
			e := treeEntry{Size: c.size, BlobID: gitBlobID(c, lfs)}
			if lfs {
				e.LFSSHA256, e.LFSSize = etag(c, true), c.size
			}
			if f.Shared {
				e.XetHash = xetHash(etag(c, true))
			}
			files[f.Path] = e
		}
	}
	b, err := json.MarshalIndent(struct {
		FormatVersion int                  `json:"format_version"`
		Files         map[string]treeEntry `json:"files"`
	}{1, files}, "", " ")
	if err != nil {
		panic(err) // cannot happen: plain structs and strings
	}
	return string(b)
}

// corrupt applies r.Corrupt; RefsIsFile and NoSnapshots go last since they
// remove what other kinds add to.
func (p *planner) corrupt(r *Repo, folder, base string) error {
	firstRev := func(c Corruption) string {
		if c.Rev != "" {
			return c.Rev
		}
		if len(r.Revisions) > 0 {
			return r.Revisions[0].Hash
		}
		return derived(folder, "revision")
	}
	refTarget := func(c Corruption, name string) string {
		if v, ok := r.Refs[name]; ok && c.Rev == "" {
			return v
		}
		return firstRev(c)
	}
	or := func(s, def string) string {
		if s == "" {
			return def
		}
		return s
	}
	orBytes := func(b []byte, def string) content {
		if b == nil {
			b = []byte(def)
		}
		return newContent(b, 0, false)
	}
	// inRev adds n as entry rel of the corruption's revision, creating the
	// revision when needed.
	inRev := func(c Corruption, rel string, n *node) error {
		rev := firstRev(c)
		if err := checkName("revision", rev); err != nil {
			return err
		}
		if err := checkRel("corruption path", rel); err != nil {
			return err
		}
		rp := base + "/snapshots/" + rev
		if p.v.get(rp) == nil {
			if err := p.v.add(rp, dirNode(c.Time)); err != nil {
				return err
			}
		}
		return p.v.add(rp+"/"+rel, n)
	}
	var last []Corruption
	for _, c := range r.Corrupt {
		var err error
		switch c.Kind {
		case RefsIsFile, NoSnapshots:
			last = append(last, c)
		case BrokenLink:
			rel := or(c.Path, "missing.bin")
			missing := hashBytes([]byte("cachetest-missing\x00"+folder+"\x00"+rel), true)
			err = inRev(c, rel, linkNode(ups(rel)+"blobs/"+missing))
		case DanglingRef:
			name := or(c.Path, "dangling")
			if err = checkRel("ref", name); err == nil {
				err = p.v.add(base+"/refs/"+name, textNode(or(c.Rev, derived(folder, "dangling"))))
			}
		case FileInSnapshots:
			name := or(c.Path, "stray.txt")
			if err = checkName("snapshots entry", name); err == nil {
				err = p.v.add(base+"/snapshots/"+name, fileNode(orBytes(c.Content, "not a revision\n"), c.Time))
			}
		case RefTrailingNewline:
			name := or(c.Path, "main")
			if err = checkRel("ref", name); err == nil {
				err = p.v.set(base+"/refs/"+name, textNode(refTarget(c, name)+"\n"))
			}
		case RefTmpLeftover:
			name := or(c.Path, "main")
			if err = checkRel("ref", name); err == nil {
				err = p.v.add(base+"/refs/"+name+".1a2b3c4d.tmp", textNode(refTarget(c, name)))
			}
		case SymlinkLoop:
			rel := or(c.Path, "loop")
			err = inRev(c, rel, linkNode(path.Base(rel)))
		case LinkOutsideCache:
			rel := or(c.Path, "outside.bin")
			target := vOutside + "/" + folder + "/" + rel
			if err = inRev(c, rel, linkNode(target)); err == nil {
				err = p.v.add(target, fileNode(orBytes(c.Content, "outside the cache\n"), c.Time))
			}
		case DirSymlinkInSnapshot:
			err = inRev(c, or(c.Path, "linked-dir"), linkNode("."))
		case DSStoreInRevision:
			err = inRev(c, or(c.Path, ".DS_Store"), fileNode(orBytes(c.Content, "\x00\x00\x00\x01Bud1"), c.Time))
		case FIFOInSnapshot:
			err = inRev(c, or(c.Path, "fifo"), &node{kind: kFIFO, times: c.Time})
		case RevisionIsSymlink:
			name := or(c.Path, derived(folder, "revision-symlink"))
			if err = checkName("revision", name); err != nil {
				break
			}
			target := c.Rev
			if target == "" && len(r.Revisions) > 0 {
				target = r.Revisions[0].Hash
			}
			if target == "" {
				target = "../linked-revision"
				if p.v.get(base+"/linked-revision") == nil {
					err = p.v.add(base+"/linked-revision", dirNode(c.Time))
				}
			}
			if err == nil {
				err = p.v.add(base+"/snapshots/"+name, linkNode(target))
			}
		case DanglingRevisionSymlink:
			name := or(c.Path, derived(folder, "dangling-revision"))
			if err = checkName("revision", name); err == nil {
				err = p.v.add(base+"/snapshots/"+name, linkNode("missing-revision"))
			}
		default:
			err = fmt.Errorf("unknown corruption kind %d", int(c.Kind))
		}
		if err != nil {
			return fmt.Errorf("corrupt %v: %w", c.Kind, err)
		}
	}
	for _, c := range last {
		switch c.Kind {
		case RefsIsFile:
			if err := p.v.set(base+"/refs", fileNode(orBytes(c.Content, "main\n"), c.Time)); err != nil {
				return err
			}
		case NoSnapshots:
			p.v.remove(base + "/snapshots")
		}
	}
	return nil
}

// writeStore lays out the shared blob store: the marker, the payloads of
// Shared files and the declared ones.
func (p *planner) writeStore() error {
	if p.store == nil && len(p.order) == 0 {
		return nil
	}
	st := p.store
	if st == nil {
		st = &Store{}
	}
	dir := vCache + "/blobs"
	if n := p.v.get(dir); n != nil {
		return fmt.Errorf("store: blobs declared twice")
	}
	if err := p.v.add(dir, dirNode(Time{})); err != nil {
		return err
	}
	if !st.NoMarker {
		n := textNode(st.Marker)
		if st.Marker == "" {
			n = textNode("1\n")
		}
		n.mode = 0o444
		if err := p.v.add(dir+"/.huggingface-shared-blobs", n); err != nil {
			return err
		}
	}
	put := func(hash string, c content, t Time, lines []string, manifest bool) error {
		if err := checkName("payload hash", hash); err != nil {
			return err
		}
		prefix := hash
		if len(prefix) > 2 {
			prefix = prefix[:2]
		}
		pp := dir + "/" + prefix + "/" + hash
		n := fileNode(c, t)
		n.mode = 0o444
		if err := p.v.add(pp, n); err != nil {
			return fmt.Errorf("store: %w", err)
		}
		if manifest {
			var sb strings.Builder
			for _, l := range lines {
				sb.WriteString(l + "\n")
			}
			m := textNode(sb.String())
			m.mode = 0o666
			if err := p.v.add(pp+".refs", m); err != nil {
				return err
			}
		}
		l := textNode("")
		l.mode = 0o666
		return p.v.add(pp+".lock", l)
	}
	for _, h := range p.order {
		pl := p.payloads[h]
		if err := put(h, pl.c, pl.time, pl.lines, true); err != nil {
			return err
		}
	}
	for _, pl := range st.Payloads {
		c := newContent(pl.Content, pl.Size, pl.Sparse)
		h := pl.Hash
		if h == "" {
			h = xetHash(etag(c, true))
		}
		if err := put(h, c, pl.Time, pl.Refs, !pl.NoManifest); err != nil {
			return err
		}
	}
	return nil
}

func (p *planner) extra(e Entry) error {
	if err := checkRel("extra", e.Path); err != nil {
		return err
	}
	var n *node
	switch e.Kind {
	case EntryFile:
		n = fileNode(newContent(e.Content, 0, false), e.Time)
	case EntryDir:
		n = dirNode(e.Time)
	case EntrySymlink:
		if e.Target == "" || strings.ContainsRune(e.Target, 0) {
			return fmt.Errorf("extra %s: invalid symlink target %q", e.Path, e.Target)
		}
		n = linkNode(e.Target)
	case EntryFIFO:
		n = &node{kind: kFIFO, times: e.Time}
	default:
		return fmt.Errorf("extra %s: unknown kind %d", e.Path, int(e.Kind))
	}
	at := vCache + "/" + e.Path
	if old := p.v.get(at); old != nil && old.kind == kDir && n.kind == kDir {
		// Declaring an existing directory only sets its time.
		if !e.Time.isZero() {
			old.times = e.Time
		}
		return nil
	}
	return p.v.add(at, n)
}
