package index

import (
	"database/sql"

	"github.com/hfidx/hfidx/cache"
)

// streamSink writes a big repo (cache.Entry.Big) as cache.Walker.Stream
// finds it. The blob paths it has written are looked up in a temporary
// table of the transaction, not held in memory, so writing the repo takes
// the same memory whatever its size.
type streamSink struct {
	w    *writer
	rid  int64
	size int64 // the repo's size on disk, once finished
	// known and remember are the temporary table's statements.
	known, remember *sql.Stmt
	// recent are blobs looked up or written lately, in front of the table:
	// the links of a snapshot folder mostly lead to a few blobs.
	recent map[string]knownBlob
}

type knownBlob struct {
	id      int64
	missing bool
}

// recentBlobs bounds streamSink.recent.
const recentBlobs = 4096

func (s *streamSink) remember1(path string, b knownBlob) {
	if len(s.recent) >= recentBlobs {
		clear(s.recent)
	}
	s.recent[path] = b
}

// entry writes what one top-level entry holds: through h, or streamed
// when the scan gave the repo up as big.
func (w *writer) entry(walker *cache.Walker, h cache.Handler, e cache.Entry) error {
	if !e.Big {
		return h.Entry(e)
	}
	size, err := w.stream(walker, e)
	w.sizeOnDisk += size
	return err
}

// stream writes the big repo e, listed by walker, and returns its size on
// disk as huggingface_hub counts it (0 when damaged).
func (w *writer) stream(walker *cache.Walker, e cache.Entry) (int64, error) {
	for _, q := range []string{
		`CREATE TEMP TABLE IF NOT EXISTS stream_blobs(path TEXT PRIMARY KEY, id INTEGER NOT NULL, missing INTEGER NOT NULL) WITHOUT ROWID`,
		`DELETE FROM temp.stream_blobs`,
	} {
		if _, err := w.tx.Exec(q); err != nil {
			return 0, err
		}
	}
	s := &streamSink{w: w, recent: map[string]knownBlob{}}
	var err error
	if s.known, err = w.tx.Prepare(`SELECT id, missing FROM temp.stream_blobs WHERE path = ?`); err != nil {
		return 0, err
	}
	defer s.known.Close()
	if s.remember, err = w.tx.Prepare(`INSERT INTO temp.stream_blobs(path, id, missing) VALUES (?, ?, ?)`); err != nil {
		return 0, err
	}
	defer s.remember.Close()
	if err := walker.Stream(e.Name, s); err != nil {
		return 0, err
	}
	_, err = w.tx.Exec(`DELETE FROM temp.stream_blobs`)
	return s.size, err
}

func (s *streamSink) Repo(r *cache.Repo) error {
	rid, err := s.w.startRepo(r)
	s.rid = rid
	return err
}

func (s *streamSink) KnownBlob(path string) (int64, bool, bool, error) {
	if b, ok := s.recent[path]; ok {
		return b.id, b.missing, true, nil
	}
	var id int64
	var missing bool
	switch err := s.known.QueryRow(path).Scan(&id, &missing); err {
	case nil:
		s.remember1(path, knownBlob{id, missing})
		return id, missing, true, nil
	case sql.ErrNoRows:
		return 0, false, false, nil
	default:
		return 0, false, false, err
	}
}

func (s *streamSink) Blob(b cache.Blob) (int64, error) {
	id, err := s.w.blob(s.rid, b)
	if err != nil {
		return 0, err
	}
	// The writer remembers a repo's blobs in memory; this one's are in the
	// temporary table instead.
	delete(s.w.local, b.Path)
	s.remember1(b.Path, knownBlob{id, b.Missing})
	_, err = s.remember.Exec(b.Path, id, b.Missing)
	return id, err
}

func (s *streamSink) Revision(v cache.Revision) (int64, error) {
	return s.w.exec("revision", s.rid, v.Hash, v.Path, nullable(v.Link), v.Stat.Mtime.Float())
}

func (s *streamSink) File(rev int64, f cache.File) error {
	var blob any
	if f.Blob >= 0 {
		blob = int64(f.Blob)
	}
	return s.w.file(rev, f, blob)
}

func (s *streamSink) NoExist(n cache.NoExist) error { return s.w.noExist(s.rid, n) }

func (s *streamSink) Incomplete(in cache.Incomplete) error { return s.w.incomplete(s.rid, in) }

func (s *streamSink) Warning(x cache.Warning, damaging bool) error {
	return s.w.warning(x, s.rid, damaging)
}

func (s *streamSink) Finish(r *cache.Repo, revs []int64, damaged bool) error {
	for i, ref := range r.Refs {
		var rev any
		if revs[i] >= 0 {
			rev = revs[i]
		}
		if _, err := s.w.exec("ref", s.rid, ref.Name, ref.Path, ref.Target, rev); err != nil {
			return err
		}
	}
	// An empty state: the next sync lists the repo again, but the row
	// keeps whether a link joins it to another repo.
	if _, err := s.w.exec("state", s.rid, "", ""); err != nil {
		return err
	}
	if damaged {
		_, err := s.w.tx.Exec(`UPDATE repos SET damaged = 1 WHERE id = ?`, s.rid)
		return err
	}
	var err error
	s.size, err = repoSize(s.w.tx, s.rid)
	return err
}
