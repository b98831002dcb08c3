package export

import (
	"io"

	"github.com/parquet-go/parquet-go"
)

// parquetRow is one row of the Parquet export: the JSON line's fields,
// as columns.
type parquetRow struct {
	Host     string   `parquet:"host,dict"`
	SyncedAt float64  `parquet:"synced_at"`
	Repo     string   `parquet:"repo,dict"`
	Revision string   `parquet:"revision,dict"`
	Path     string   `parquet:"path"`
	Size     int64    `parquet:"size"`
	Usage    int64    `parquet:"usage"`
	Blob     *string  `parquet:"blob,optional"`
	LastUsed *float64 `parquet:"last_used,optional"`
}

// parquetBatch is how many rows are handed to the writer at once; the
// writer holds one row group in memory, not the whole export.
const parquetBatch = 1024

// Parquet writes one row per snapshot entry as a Parquet file (zstd) on
// w, with the columns of the JSON lines. It returns the first read or
// write error.
func Parquet(w io.Writer, db Querier, opts Options) error {
	pw := parquet.NewGenericWriter[parquetRow](w, parquet.Compression(&parquet.Zstd))
	batch := make([]parquetRow, 0, parquetBatch)
	flush := func() error {
		_, err := pw.Write(batch)
		batch = batch[:0]
		return err
	}
	err := eachFile(db, func(r *row) error {
		p := parquetRow{Host: opts.Host, SyncedAt: opts.SyncedAt, Repo: r.repo, Revision: r.revision,
			Path: r.path, Size: r.size, Usage: r.usage}
		if r.blob.Valid {
			s := r.blob.String
			p.Blob = &s
		}
		if r.lastUsed.Valid {
			f := r.lastUsed.Float64
			p.LastUsed = &f
		}
		batch = append(batch, p)
		if len(batch) == parquetBatch {
			return flush()
		}
		return nil
	})
	if err == nil {
		err = flush()
	}
	if cerr := pw.Close(); err == nil {
		err = cerr
	}
	return err
}
