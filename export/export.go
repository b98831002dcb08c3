// Package export writes the index in formats other tools read: JSON
// lines (one object per snapshot entry) and ncdu's JSON export format.
// Rows are written as they are read, so memory does not grow with the
// cache.
package export

import (
	"bufio"
	"database/sql"
	_ "embed"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

//go:embed files.sql
var filesSQL string

// Querier is what the exports read the index through (*sqlx.DB, *sql.DB).
type Querier interface {
	Query(query string, args ...any) (*sql.Rows, error)
}

// row is one snapshot entry of files.sql.
type row struct {
	folder, repo, revision, path, kind string
	blob                               sql.NullString
	size, usage                        int64
	dev, ino                           uint64
	missing                            bool
	lastUsed                           sql.NullFloat64
	links                              int64
}

// eachFile calls fn for every snapshot entry, in files.sql's order. It
// returns the first error of the query or of fn.
func eachFile(db Querier, fn func(*row) error) error {
	rows, err := db.Query(filesSQL)
	if err != nil {
		return fmt.Errorf("read files: %w", err)
	}
	defer rows.Close()
	var r row
	for rows.Next() {
		var dev, ino int64
		if err := rows.Scan(&r.folder, &r.repo, &r.revision, &r.path, &r.kind, &r.blob,
			&r.size, &r.usage, &dev, &ino, &r.missing, &r.lastUsed, &r.links); err != nil {
			return fmt.Errorf("read files: %w", err)
		}
		r.dev, r.ino = uint64(dev), uint64(ino)
		if err := fn(&r); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read files: %w", err)
	}
	return nil
}

// jsonLine is one line of the JSON lines export.
type jsonLine struct {
	Repo     string   `json:"repo"`     // cache id, e.g. model/org/name
	Revision string   `json:"revision"` // commit hash (snapshot folder)
	Path     string   `json:"path"`     // path inside the snapshot
	Size     int64    `json:"size"`     // apparent bytes of the blob
	Usage    int64    `json:"usage"`    // allocated bytes of the blob
	Blob     *string  `json:"blob"`     // absolute path of the blob, null for a broken link
	LastUsed *float64 `json:"last_used"`
	Host     string   `json:"host,omitempty"`
	SyncedAt float64  `json:"synced_at,omitempty"`
}

// Options are the facts written beside the rows.
type Options struct {
	Host     string    // host name written on every JSON line ("" leaves it out)
	SyncedAt float64   // epoch seconds of the index's last sync (0 leaves it out)
	Root     string    // the cache folder: the top directory of the ncdu export
	Now      time.Time // the ncdu export's timestamp
	Version  string    // the program version written in the ncdu metadata
}

// JSONLines writes one JSON object per snapshot entry on w. It returns
// the first read or write error.
func JSONLines(w *bufio.Writer, db Querier, opts Options) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return eachFile(db, func(r *row) error {
		l := jsonLine{Repo: r.repo, Revision: r.revision, Path: r.path, Size: r.size, Usage: r.usage,
			Host: opts.Host, SyncedAt: opts.SyncedAt}
		if r.blob.Valid {
			l.Blob = &r.blob.String
		}
		if r.lastUsed.Valid {
			l.LastUsed = &r.lastUsed.Float64
		}
		return enc.Encode(l)
	})
}

// Ncdu writes the index in ncdu's JSON export format (version 1.2), for
// `ncdu -f`. The view is logical, as the library sees the cache: the
// cache folder, one folder per repo, one per revision (its commit hash),
// and the revision's files in their folders, each file with the size,
// allocated bytes, device and inode of the blob it resolves to. Every
// file is marked as a hard link (hlnkc, nlink the entries of the export
// leading to its inode), so ncdu counts a blob once however many
// revisions link it: its totals are then the sum, over
// distinct blobs, of their apparent and allocated bytes, which is scan's
// total when no two repos share an inode. Interrupted downloads, orphans
// and the shared store are left out. It returns the first read or write
// error.
func Ncdu(w *bufio.Writer, db Querier, opts Options) error {
	fmt.Fprintf(w, `[1,2,{"progname":"hfidx","progver":%s,"timestamp":%d},`+"\n", quote(opts.Version), opts.Now.Unix())
	fmt.Fprintf(w, `[{"name":%s}`, quote(opts.Root))
	// open is the folder stack below the root: repo folder, revision,
	// then the file's folders.
	var open []string
	err := eachFile(db, func(r *row) error {
		dirs := append([]string{r.folder, r.revision}, strings.Split(r.path, "/")...)
		name := dirs[len(dirs)-1]
		dirs = dirs[:len(dirs)-1]
		same := 0
		for same < len(open) && same < len(dirs) && open[same] == dirs[same] {
			same++
		}
		for len(open) > same {
			w.WriteString("]")
			open = open[:len(open)-1]
		}
		for _, d := range dirs[same:] {
			fmt.Fprintf(w, ",\n[{\"name\":%s}", quote(d))
			open = append(open, d)
		}
		switch {
		case !r.blob.Valid || r.missing:
			_, err := fmt.Fprintf(w, ",\n{\"name\":%s,\"read_error\":true}", quote(name))
			return err
		case r.kind == "special":
			_, err := fmt.Fprintf(w, ",\n{\"name\":%s,\"notreg\":true}", quote(name))
			return err
		}
		_, err := fmt.Fprintf(w, ",\n{\"name\":%s,\"asize\":%d,\"dsize\":%d,\"dev\":%d,\"ino\":%d,\"hlnkc\":true,\"nlink\":%d}",
			quote(name), r.size, r.usage, r.dev, r.ino, r.links)
		return err
	})
	if err != nil {
		return err
	}
	w.WriteString(strings.Repeat("]", len(open)))
	_, err = w.WriteString("]]\n")
	return err
}

// quote returns s as a JSON string, HTML characters left as they are.
func quote(s string) string {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.Encode(s)
	return strings.TrimSuffix(b.String(), "\n")
}
