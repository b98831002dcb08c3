package index

import (
	"database/sql"
	"path"

	"github.com/jmoiron/sqlx"

	"github.com/hfidx/hfidx/cache"
)

// writer turns what the scan reports into rows, in one transaction with
// prepared statements. Scan serialises its calls, so it needs no lock. It
// keeps in memory only what one repo needs, plus the rare blobs linked
// from outside their repo, so memory does not grow with the cache.
type writer struct {
	tx   *sqlx.Tx
	stmt map[string]*sql.Stmt

	local    map[string]blobRow // blob path -> row, for the repo being written
	external map[string]blobRow // blob path -> row, for blobs linked from outside their repo
	repoIDs  map[string]int64   // folder -> repos.id
	payloads map[string]int64   // payload path -> payloads.id, for the payloads this writer inserted
	pending  []cache.Incomplete
	// cross are the repos a link joins to another repo or to a file outside
	// any repo: an incremental sync cannot rewrite them alone.
	cross map[int64]bool
	// sizeOnDisk is huggingface_hub's total over the repos written (healthy
	// ones, each repo's distinct blobs), for a cache without a shared store.
	sizeOnDisk int64
}

type blobRow struct {
	id   int64
	kind cache.BlobKind
}

var statements = map[string]string{
	"repo": `INSERT INTO repos(folder, path, repo_type, repo_id, cache_id, link_target, damaged, atime, mtime, mtime_ns, ctime_ns)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
	"revision": `INSERT INTO revisions(repo, commit_hash, snapshot_path, link_target, mtime) VALUES (?, ?, ?, ?, ?)`,
	"ref":      `INSERT INTO refs(repo, name, path, commit_hash, revision) VALUES (?, ?, ?, ?, ?)`,
	"blob": `INSERT INTO blobs(path, repo, kind, missing, size, usage, atime, mtime, dev, ino, nlink, payload)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
	"blobOwner": `UPDATE blobs SET repo = ?, kind = ? WHERE id = ?`,
	"file": `INSERT INTO files(revision, rel_path, file_name, file_path, kind, link_target, blob)
		VALUES (?, ?, ?, ?, ?, ?, ?)`,
	"payload":    `INSERT INTO payloads(hash, path, size, usage, atime, mtime, manifest) VALUES (?, ?, ?, ?, ?, ?, ?)`,
	"incomplete": `INSERT OR IGNORE INTO incomplete_files(path, entry, repo, size, mtime) VALUES (?, ?, ?, ?, ?)`,
	"warning":    `INSERT INTO warnings(entry, repo, path, message, damaging) VALUES (?, ?, ?, ?, ?)`,
	"meta":       `INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)`,
	"noExist":    `INSERT INTO no_exist(repo, commit_hash, rel_path, path) VALUES (?, ?, ?, ?)`,
	"state":      `INSERT INTO sync_state(repo, state, digest) VALUES (?, ?, ?)`,
	"blobByPath": `SELECT id, kind, repo FROM blobs WHERE path = ?`,
	"cross":      `UPDATE sync_state SET cross_repo = 1 WHERE repo = ?`,
	"payloadID":  `SELECT id FROM payloads WHERE path = ?`,
}

func newWriter(db *sqlx.DB) (*writer, error) {
	tx, err := db.Beginx()
	if err != nil {
		return nil, err
	}
	w := &writer{tx: tx, stmt: map[string]*sql.Stmt{}, external: map[string]blobRow{}, repoIDs: map[string]int64{}, payloads: map[string]int64{},
		cross: map[int64]bool{}}
	for k, q := range statements {
		s, err := tx.Prepare(q)
		if err != nil {
			tx.Rollback()
			return nil, err
		}
		w.stmt[k] = s
	}
	return w, nil
}

func (w *writer) handler() cache.Handler {
	return cache.Handler{
		Repo:    w.repo,
		Warning: func(x cache.Warning) error { return w.warning(x, nil, false) },
		Incomplete: func(in cache.Incomplete) error {
			// Entries that are not repo folders; a repo's own come with it.
			w.pending = append(w.pending, in)
			return nil
		},
		Payload: w.payload,
	}
}

func (w *writer) exec(name string, args ...any) (int64, error) {
	res, err := w.stmt[name].Exec(args...)
	if err != nil {
		return 0, err
	}
	return res.LastInsertId()
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func (w *writer) payload(p cache.Payload) error {
	id, err := w.exec("payload", p.Hash, p.Path, p.Stat.Size, p.Stat.Usage, p.Stat.Atime.Float(), p.Stat.Mtime.Float(), p.Manifest)
	w.payloads[p.Path] = id
	return err
}

func (w *writer) warning(x cache.Warning, repo any, damaging bool) error {
	_, err := w.exec("warning", x.Entry, repo, x.Path, x.Message, damaging)
	return err
}

// startRepo writes the repo's own row.
func (w *writer) startRepo(r *cache.Repo) (int64, error) {
	st := r.Stat
	rid, err := w.exec("repo", r.Folder, r.Path, string(r.Type), r.ID, r.CacheID(), nullable(r.Link), r.Damaged(),
		st.Atime.Float(), st.Mtime.Float(), st.Mtime.Nanos(), st.Ctime.Nanos())
	if err != nil {
		return 0, err
	}
	w.repoIDs[r.Folder] = rid
	w.local = map[string]blobRow{}
	return rid, nil
}

func (w *writer) noExist(rid int64, n cache.NoExist) error {
	_, err := w.exec("noExist", rid, n.Commit, n.RelPath, n.Path)
	return err
}

func (w *writer) incomplete(rid any, in cache.Incomplete) error {
	_, err := w.exec("incomplete", in.Path, in.Entry, rid, in.Stat.Size, in.Stat.Mtime.Float())
	return err
}

func (w *writer) file(rev int64, f cache.File, blob any) error {
	_, err := w.exec("file", rev, f.RelPath, path.Base(f.RelPath), f.Path, string(f.Kind), nullable(f.Target), blob)
	return err
}

func (w *writer) repo(r *cache.Repo) error {
	rid, err := w.startRepo(r)
	if err != nil {
		return err
	}
	for _, x := range r.Problems {
		if err := w.warning(x, rid, true); err != nil {
			return err
		}
	}
	for _, x := range r.Notes {
		if err := w.warning(x, rid, false); err != nil {
			return err
		}
	}
	for _, n := range r.NoExist {
		if err := w.noExist(rid, n); err != nil {
			return err
		}
	}
	for _, in := range r.Incomplete {
		if err := w.incomplete(rid, in); err != nil {
			return err
		}
	}
	blobIDs := make([]int64, len(r.Blobs))
	for i, b := range r.Blobs {
		id, err := w.blob(rid, b)
		if err != nil {
			return err
		}
		blobIDs[i] = id
	}
	revIDs := make([]int64, len(r.Revisions))
	for i, v := range r.Revisions {
		id, err := w.exec("revision", rid, v.Hash, v.Path, nullable(v.Link), v.Stat.Mtime.Float())
		if err != nil {
			return err
		}
		revIDs[i] = id
		for _, f := range v.Files {
			var blob any
			if f.Blob >= 0 {
				blob = blobIDs[f.Blob]
			}
			if err := w.file(id, f, blob); err != nil {
				return err
			}
		}
	}
	if !r.Damaged() {
		w.sizeOnDisk += writtenSize(r)
	}
	for _, ref := range r.Refs {
		var rev any
		if ref.Revision >= 0 {
			rev = revIDs[ref.Revision]
		}
		if _, err := w.exec("ref", rid, ref.Name, ref.Path, ref.Target, rev); err != nil {
			return err
		}
	}
	// Only a repo an incremental sync lists again even when nothing in it
	// changed (one with warnings, which a link out of the repo always
	// gives) needs a digest to tell that it did not; it costs a walk over
	// the whole repo.
	digest := ""
	if len(r.Problems)+len(r.Notes) > 0 {
		digest = r.Digest()
	}
	_, err = w.exec("state", rid, r.State.Encode(), digest)
	return err
}

// writtenSize is the repo's size on disk as huggingface_hub counts it:
// the sizes of the distinct blobs its snapshots link.
func writtenSize(r *cache.Repo) int64 {
	seen := make([]bool, len(r.Blobs))
	var size int64
	for _, v := range r.Revisions {
		for _, f := range v.Files {
			if f.Blob >= 0 && !seen[f.Blob] {
				seen[f.Blob] = true
				size += r.Blobs[f.Blob].Stat.Size
			}
		}
	}
	return size
}

// blob inserts a blob row once per path. A path first met as another
// repo's link target and later as an entry of its own repo's blobs/ folder
// (or the other way round) ends up owned by that repo.
func (w *writer) blob(rid int64, b cache.Blob) (int64, error) {
	if prev, ok := w.local[b.Path]; ok {
		return prev.id, nil
	}
	prev, ok := w.external[b.Path]
	if !ok && b.Kind == cache.BlobExternal {
		// Another repo may hold the path as one of its own blobs.
		var row struct {
			ID   int64         `db:"id"`
			Kind string        `db:"kind"`
			Repo sql.NullInt64 `db:"repo"`
		}
		err := w.tx.Stmtx(w.stmt["blobByPath"]).QueryRowx(b.Path).StructScan(&row)
		if err != nil && err != sql.ErrNoRows {
			return 0, err
		}
		if err == nil {
			prev, ok = blobRow{row.ID, cache.BlobKind(row.Kind)}, true
			w.external[b.Path] = prev
			if row.Repo.Valid {
				w.cross[row.Repo.Int64] = true
			}
		}
	}
	if b.Kind == cache.BlobExternal {
		w.cross[rid] = true
	}
	if ok {
		if prev.kind == cache.BlobExternal && b.Kind != cache.BlobExternal {
			w.cross[rid] = true
			if _, err := w.stmt["blobOwner"].Exec(rid, string(b.Kind), prev.id); err != nil {
				return 0, err
			}
			prev.kind = b.Kind
			w.external[b.Path] = prev
		}
		w.local[b.Path] = prev
		return prev.id, nil
	}
	var owner any = rid
	if b.Kind == cache.BlobExternal {
		owner = nil
	}
	var payload any
	if id, ok := w.payloads[b.Payload]; ok {
		payload = id
	} else if b.Payload != "" {
		// An incremental sync writes repos beside payloads it kept.
		var id int64
		switch err := w.stmt["payloadID"].QueryRow(b.Payload).Scan(&id); err {
		case nil:
			payload = id
		case sql.ErrNoRows:
		default:
			return 0, err
		}
	}
	s := b.Stat
	id, err := w.exec("blob", b.Path, owner, string(b.Kind), b.Missing, s.Size, s.Usage, s.Atime.Float(), s.Mtime.Float(),
		int64(s.Dev), int64(s.Ino), int64(s.Nlink), payload)
	if err != nil {
		return 0, err
	}
	w.local[b.Path] = blobRow{id, b.Kind}
	if b.Kind == cache.BlobExternal {
		w.external[b.Path] = blobRow{id, b.Kind}
	}
	return id, nil
}

// flushPending writes the interrupted downloads of entries that are not
// repos, held back until every repo row exists.
func (w *writer) flushPending() error {
	for _, in := range w.pending {
		var rid any
		if id, ok := w.repoIDs[in.Entry]; ok {
			rid = id
		}
		if err := w.incomplete(rid, in); err != nil {
			return err
		}
	}
	w.pending = nil
	return nil
}

// finish writes the interrupted downloads of non-repo entries and the meta
// rows, and commits.
func (w *writer) finish(meta map[string]string) error {
	if err := w.flushPending(); err != nil {
		w.tx.Rollback()
		return err
	}
	for rid := range w.cross {
		if _, err := w.stmt["cross"].Exec(rid); err != nil {
			w.tx.Rollback()
			return err
		}
	}
	for k, v := range meta {
		if _, err := w.exec("meta", k, v); err != nil {
			w.tx.Rollback()
			return err
		}
	}
	return w.tx.Commit()
}
