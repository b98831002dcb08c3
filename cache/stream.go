package cache

import (
	"errors"
	"io/fs"
	"path/filepath"
)

// DefaultRepoBudget is a budget for Options.RepoBudget: a repo of 100,000
// entries takes some tens of MiB to hold whole.
const DefaultRepoBudget = 100_000

// streamBatch is how many entries of a folder a streaming scan holds at
// once.
const streamBatch = 4096

// RepoSink receives a big repo's content as Walker.Stream finds it, so
// that no more than a folder batch of it is ever held in memory. Ids are
// the sink's own: Blob and Revision return them, File and Ref are given
// them back. A sink error stops the scan and is returned by Stream.
type RepoSink interface {
	// Repo starts the repo: its folder, path, type, id and stat are set,
	// nothing else.
	Repo(r *Repo) error
	// KnownBlob reports the id of a blob path Blob was given already, and
	// whether that blob is a dangling entry.
	KnownBlob(path string) (id int64, missing, ok bool, err error)
	// Blob records a distinct blob path.
	Blob(b Blob) (int64, error)
	// Revision records a revision folder; its files follow.
	Revision(v Revision) (int64, error)
	// File records a file of the revision rev; f.Blob is an id Blob
	// returned, or -1.
	File(rev int64, f File) error
	NoExist(n NoExist) error
	Incomplete(in Incomplete) error
	Warning(w Warning, damaging bool) error
	// Finish ends the repo: r.Refs are its refs, each with the id of its
	// revision in rev (-1 for none); damaged says whether any warning was
	// damaging.
	Finish(r *Repo, rev []int64, damaged bool) error
}

// eachEntry passes the entries of dir to fn one at a time, listed in
// batches, never holding the whole folder. The first error of fn stops it
// and is returned.
func eachEntry(dir string, fn func(fs.DirEntry) error) error {
	_, err := readDirFunc(dir, streamBatch, func(_ Stat, des []fs.DirEntry) error {
		for _, e := range des {
			if err := fn(e); err != nil {
				return err
			}
		}
		return nil
	})
	return err
}

// errBig stops the scan of a repo larger than the walker's budget.
var errBig = errors.New("repo larger than the scan budget")

// sinkError carries a sink's error out of a streaming scan.
type sinkError struct{ err error }

// emit stops a streaming scan on a sink error.
func (rs *repoScan) emit(err error) {
	if err != nil {
		panic(sinkError{err})
	}
}

// spend counts one more entry held in memory, and gives up the repo when
// the budget is spent.
func (rs *repoScan) spend(n int) {
	rs.held += n
	if rs.budget > 0 && rs.held > rs.budget {
		panic(errBig)
	}
}

// Stream scans the repo folder name (an Entry reported as Big) and passes
// its content to sink as it is found, folders read in batches, so that
// memory does not grow with the repo. The repo gets no State: an
// incremental sync cannot tell it unchanged.
func (w *Walker) Stream(name string, sink RepoSink) (err error) {
	s := w.s
	typ, id, perr := ParseFolderName(name)
	if perr != nil {
		return perr
	}
	path := filepath.Join(s.root, name)
	rs := &repoScan{scanner: s, r: &Repo{Folder: name, Path: path, Type: typ, ID: id},
		blobsD: filepath.Join(path, "blobs"), sink: sink}
	defer func() {
		if v := recover(); v != nil {
			se, ok := v.(sinkError)
			if !ok {
				panic(v)
			}
			err = se.err
		}
	}()
	rs.scan()
	revs := make([]int64, len(rs.r.Refs))
	for i, ref := range rs.r.Refs {
		revs[i] = -1
		if ref.Revision >= 0 {
			revs[i] = rs.r.Revisions[ref.Revision].id
		}
	}
	return sink.Finish(rs.r, revs, rs.damaged)
}
