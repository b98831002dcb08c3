package main

import (
	"bufio"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/hfidx/hfidx/cache"
	"github.com/hfidx/hfidx/query"
)

type metricsCmd struct {
	Textfile    string `name:"textfile" type:"raw" placeholder:"PATH" help:"Write the metrics to PATH atomically (a temporary file beside it, then a rename), for node_exporter's textfile collector; PATH should end in .prom."`
	Top         int    `name:"top" default:"50" placeholder:"N" help:"Per-repo series for the N largest repos only (0: none), to bound label cardinality."`
	UnusedAfter string `name:"unused-after" default:"90d" placeholder:"AGE" help:"Age of the last use after which a repo counts as unused (s, m, h, d, w, mo, y)."`
	Grace       string `name:"grace" default:"1h" placeholder:"AGE" help:"As prune's --grace: orphans and temporary files changed more recently are not reclaimable."`
}

// Validate refuses a negative --top.
func (c *metricsCmd) Validate() error {
	if c.Top < 0 {
		return usageOf("metrics", "--top must be 0 or more, not %d", c.Top)
	}
	return nil
}

// Run writes the index's figures in the Prometheus text exposition format
// (version 0.0.4) on stdout, or atomically to --textfile.
func (c *metricsCmd) Run(a *app) error {
	if err := a.formatIn("table", "text"); err != nil {
		return err
	}
	unused, err := query.ParseDuration(c.UnusedAfter)
	if err != nil {
		return usageOf("metrics", "--unused-after: %w", err)
	}
	grace, err := query.ParseDuration(c.Grace)
	if err != nil {
		return usageOf("metrics", "--grace: %w", err)
	}
	root, err := a.cacheDir()
	if err != nil {
		return err
	}
	db, _, err := a.openIndex()
	if err != nil {
		return err
	}
	defer db.Close()
	// The reclaimable bytes are prune's own plan (one planner), so that
	// they are the figures `prune --dry-run` prints. Running processes are
	// not looked for: what they hold is freed when they exit.
	pr, err := query.PlanPrune(db, query.PruneOptions{Root: root,
		Cutoff: a.now.Add(-time.Duration(grace * float64(time.Second)))})
	if err != nil {
		return failf("run 'hfidx sync' to rebuild the index", "plan prune: %w", err)
	}
	m := metricsWriter{db: db, pr: pr, top: c.Top,
		unusedBefore: float64(a.now.UnixNano())/1e9 - unused, unusedAfter: c.UnusedAfter}
	// Where the file system cannot say (statfs fails or is not there), the
	// two series are left out rather than written as zero.
	if free, total, err := cache.FreeSpace(root); err == nil {
		m.fsFree, m.fsSize, m.fsKnown = free, total, true
	}
	if c.Textfile == "" {
		w := bufio.NewWriter(a.stdout)
		if err := m.write(w); err != nil {
			return failf("run 'hfidx sync' to rebuild the index", "metrics: %w", err)
		}
		return w.Flush()
	}
	return writeAtomic(c.Textfile, "--textfile", m.write)
}

// writeAtomic writes a file through fill into a temporary file in path's
// folder, syncs it and renames it over path: a reader (node_exporter's
// textfile collector reads *.prom only) never sees half a file, and on a
// failure path keeps what it held. flag names the option path came from,
// for the hints.
func writeAtomic(path, flag string, fill func(w *bufio.Writer) error) error {
	out, err := filepath.Abs(path)
	if err != nil {
		return usagef("give "+flag+" PATH", "bad output path %s: %w", path, err)
	}
	f, err := os.CreateTemp(filepath.Dir(out), "."+filepath.Base(out)+".*.tmp")
	if err != nil {
		return failf("give "+flag+" PATH in a writable folder", "write %s: %w", out, err)
	}
	defer os.Remove(f.Name()) // after the rename it names nothing
	w := bufio.NewWriter(f)
	err = fill(w)
	if err == nil {
		err = w.Flush()
	}
	if err == nil {
		err = f.Chmod(0o644)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), out)
	}
	if err != nil {
		return failf("give "+flag+" PATH in a writable folder", "write %s: %w", out, err)
	}
	// The rename is durable once the folder is synced; a folder that cannot
	// be opened or synced (some file systems) still holds the whole file.
	if d, err := os.Open(filepath.Dir(out)); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// metricsWriter renders the metrics of one index.
type metricsWriter struct {
	db interface {
		QueryRow(q string, args ...any) *sql.Row
		Query(q string, args ...any) (*sql.Rows, error)
	}
	pr           *query.Prune
	top          int
	unusedBefore float64 // epoch seconds
	unusedAfter  string
	fsFree       int64 // bytes free to unprivileged users on the cache's file system
	fsSize       int64 // size of that file system
	fsKnown      bool
}

// family writes the HELP and TYPE lines of a gauge.
func family(w io.Writer, name, help string) {
	help = strings.NewReplacer(`\`, `\\`, "\n", `\n`).Replace(help)
	fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s gauge\n", name, help, name)
}

// labelValue escapes a label value as the exposition format wants it:
// backslash, double quote and line feed.
func labelValue(s string) string {
	return strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(s)
}

func (m *metricsWriter) write(w *bufio.Writer) error {
	var t struct {
		size, usage, repos, damaged, revisions, files, blobs, warnings, incomplete int64
	}
	err := m.db.QueryRow(`SELECT size_on_disk, usage, repos, damaged_repos, revisions, files, blobs, warnings, incomplete_files FROM cache_usage`).
		Scan(&t.size, &t.usage, &t.repos, &t.damaged, &t.revisions, &t.files, &t.blobs, &t.warnings, &t.incomplete)
	if err != nil {
		return fmt.Errorf("read cache_usage: %w", err)
	}
	var unused, unusedRepos int64
	err = m.db.QueryRow(`SELECT coalesce(sum(size_on_disk), 0), count(*) FROM repo_usage WHERE damaged = 0 AND last_used < ?`, m.unusedBefore).
		Scan(&unused, &unusedRepos)
	if err != nil {
		return fmt.Errorf("read repo_usage: %w", err)
	}
	syncedAt, err := m.meta("synced_at")
	if err != nil {
		return err
	}
	syncSeconds, err := m.meta("sync_seconds")
	if err != nil {
		return err
	}

	gauge := func(name, help string, v int64) {
		family(w, name, help)
		fmt.Fprintf(w, "%s %d\n", name, v)
	}
	gauge("hfidx_cache_size_bytes", "Apparent bytes (st_size) of the cache's healthy repos, as hfidx scan and huggingface_hub report them.", t.size)
	gauge("hfidx_cache_allocated_bytes", "Allocated bytes (st_blocks*512) of every blob, copy and store payload in the cache, each inode once.", t.usage)
	family(w, "hfidx_reclaimable_bytes", "Bytes hfidx prune would free now, by kind (kinds are disjoint; their sum is prune's total).")
	s := m.pr.Summary
	for _, k := range []struct {
		kind string
		size int64
	}{
		{"detached_revisions", s.Revisions.Size},
		{"interrupted_downloads", s.Incomplete.Size},
		{"orphan_blobs", s.OrphanBlobs.Size},
		{"shared_payloads", s.SharedPayloads.Size},
		{"leftovers", s.Leftovers.Size},
	} {
		fmt.Fprintf(w, "hfidx_reclaimable_bytes{kind=%q} %d\n", k.kind, k.size)
	}
	gauge("hfidx_unused_bytes", "Apparent bytes of healthy repos last used more than "+m.unusedAfter+" ago (overlaps hfidx_reclaimable_bytes).", unused)
	gauge("hfidx_unused_repos", "Healthy repos last used more than "+m.unusedAfter+" ago.", unusedRepos)
	if m.fsKnown {
		gauge("hfidx_filesystem_free_bytes", "Bytes free to unprivileged users on the file system holding the cache.", m.fsFree)
		gauge("hfidx_filesystem_size_bytes", "Size in bytes of the file system holding the cache.", m.fsSize)
	}
	gauge("hfidx_repos", "Repo folders in the cache, damaged ones included.", t.repos)
	gauge("hfidx_damaged_repos", "Repos huggingface_hub would drop (see hfidx scan --show-warnings).", t.damaged)
	gauge("hfidx_revisions", "Snapshot folders in the cache.", t.revisions)
	gauge("hfidx_files", "Snapshot entries in the cache.", t.files)
	gauge("hfidx_blobs", "Distinct blobs in the cache.", t.blobs)
	gauge("hfidx_interrupted_downloads", "Interrupted downloads (*.incomplete files) in the cache.", t.incomplete)
	gauge("hfidx_warnings", "Warnings of the last sync.", t.warnings)
	family(w, "hfidx_last_sync_timestamp_seconds", "When the index was last synced with the cache, in seconds since the epoch.")
	fmt.Fprintf(w, "hfidx_last_sync_timestamp_seconds %s\n", syncedAt)
	family(w, "hfidx_last_sync_duration_seconds", "How long the last sync that wrote the index took.")
	fmt.Fprintf(w, "hfidx_last_sync_duration_seconds %s\n", syncSeconds)
	if m.top == 0 {
		return nil
	}
	return m.repos(w)
}

// repos writes the per-repo series of the largest repos, rows as read.
func (m *metricsWriter) repos(w *bufio.Writer) error {
	rows, err := m.db.Query(`SELECT repo_type, repo_id, size_on_disk, usage FROM repo_usage
		ORDER BY size_on_disk DESC, cache_id LIMIT ?`, m.top)
	if err != nil {
		return fmt.Errorf("read repo_usage: %w", err)
	}
	defer rows.Close()
	// A metric family is one group of lines: the sizes first, the
	// allocated bytes after, so the rows are read once and the second
	// family is held (at most --top lines).
	var alloc strings.Builder
	family(w, "hfidx_repo_size_bytes", "Apparent bytes of a repo's distinct blobs, for the largest repos (--top).")
	for rows.Next() {
		var typ, id string
		var size, usage int64
		if err := rows.Scan(&typ, &id, &size, &usage); err != nil {
			return fmt.Errorf("read repo_usage: %w", err)
		}
		labels := `{repo_type="` + labelValue(typ) + `",repo_id="` + labelValue(id) + `"}`
		fmt.Fprintf(w, "hfidx_repo_size_bytes%s %d\n", labels, size)
		fmt.Fprintf(&alloc, "hfidx_repo_allocated_bytes%s %d\n", labels, usage)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read repo_usage: %w", err)
	}
	family(w, "hfidx_repo_allocated_bytes", "Allocated bytes of a repo's distinct blobs, each inode once, for the largest repos (--top).")
	_, err = w.WriteString(alloc.String())
	return err
}

// meta returns a number of the meta table as the exposition format writes
// it, "NaN" when the index has none.
func (m *metricsWriter) meta(key string) (string, error) {
	var v string
	err := m.db.QueryRow(`SELECT value FROM meta WHERE key = ?`, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "NaN", nil
	}
	if err != nil {
		return "", fmt.Errorf("read meta %s: %w", key, err)
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil {
		return "NaN", nil
	}
	return strconv.FormatFloat(f, 'f', -1, 64), nil
}
