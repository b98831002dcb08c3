package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"time"

	"github.com/alecthomas/kong"
	"github.com/jmoiron/sqlx"
	"golang.org/x/term"

	"github.com/hfidx/hfidx/cache"
	"github.com/hfidx/hfidx/index"
	"github.com/hfidx/hfidx/query"
	"github.com/hfidx/hfidx/schema"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// globals are the flags every command accepts, anywhere after its name.
type globals struct {
	CacheDir string           `name:"cache-dir" type:"raw" placeholder:"DIR" help:"Hub cache to use (default: $$HF_HUB_CACHE, $$HF_HOME/hub, else ~/.cache/huggingface/hub)."`
	DB       string           `name:"db" type:"raw" placeholder:"PATH" env:"HFIDX_DB" help:"Index file (default: one per cache under $$XDG_CACHE_HOME/hfidx or ~/.cache/hfidx)."`
	NoSync   bool             `name:"no-sync" help:"Answer from the index as it is; never open it for writing."`
	Format   string           `name:"format" enum:"table,json,csv,tsv,text,jsonl,ncdu,parquet" default:"table" help:"Output format: ${enum} (each command says which it takes)."`
	JSON     bool             `name:"json" help:"Shorthand for --format json."`
	Jobs     int              `name:"jobs" default:"0" help:"Folders scanned in parallel (default: number of CPUs)."`
	NoProg   bool             `name:"no-progress" help:"Never print a progress line while syncing (one shows on a terminal after a second)."`
	State    string           `name:"state" type:"raw" placeholder:"PATH" env:"HFIDX_STATE" help:"Durable state: last-use records, pins, gc runs, history (default: $$XDG_STATE_HOME/hfidx/state.db or ~/.local/state/hfidx/state.db)."`
	Version  kong.VersionFlag `name:"version" help:"Print the version and exit."`
}

type cli struct {
	globals

	Sync       syncCmd       `cmd:"" help:"Bring the index up to date with the cache."`
	Scan       scanCmd       `cmd:"" help:"Report usage per repo, as huggingface-cli scan-cache did."`
	Browse     browseCmd     `cmd:"" help:"Browse the cache on the terminal, largest first, and delete what you mark."`
	Ls         lsCmd         `cmd:"" aliases:"list" help:"List repos or revisions; filter, sort and script them."`
	Delete     deleteCmd     `cmd:"" aliases:"rm" help:"Delete revisions, repos or files: an exact plan first (--dry-run), then a safe executor."`
	Prune      pruneCmd      `cmd:"" help:"Delete detached revisions, interrupted downloads, orphan blobs, unreferenced store payloads and leftovers."`
	Query      queryCmd      `cmd:"" help:"Run read-only SQL (or a canned query) on the index."`
	Schema     schemaCmd     `cmd:"" help:"Print the index's tables, views and columns, each documented."`
	Info       infoCmd       `cmd:"" help:"Show where the cache and its index are, and the index's age and counts."`
	Verify     verifyCmd     `cmd:"" help:"Check blob contents against their names and the cached tree listings, offline."`
	Lookup     lookupCmd     `cmd:"" help:"Find a cached file as huggingface_hub's try_to_load_from_cache does."`
	Assets     assetsCmd     `cmd:"" help:"List, delete and name folders of the assets cache (HF_ASSETS_CACHE)."`
	Gc         gcCmd         `cmd:"" help:"Keep the cache under a budget by policy: pins, keep-last, keep-within, refs, least recently used first."`
	Touch      touchCmd      `cmd:"" help:"Record that repos, revisions or files were just used (for apps and hooks)."`
	Sample     sampleCmd     `cmd:"" help:"Record a use of every cached file a running process has open or mapped (for a timer)."`
	Run        runCmd        `cmd:"" help:"Run a command and record every cached file it or its children open or map."`
	Pin        pinCmd        `cmd:"" help:"Keep repos, revisions or files from gc, with a note; pins survive sync --rebuild."`
	Unpin      unpinCmd      `cmd:"" help:"Remove pins, given as 'hfidx pins' lists them."`
	Pins       pinsCmd       `cmd:"" help:"List the pins, their notes and what each keeps now."`
	Du         duCmd         `cmd:"" help:"Total bytes by org, type, file extension or GGUF quantization, as scan counts them."`
	Report     reportCmd     `cmd:"" help:"Write one self-contained HTML report: a treemap, every repo in a table, what prune would free."`
	Diff       diffCmd       `cmd:"" help:"What changed since a time: repos and revisions added and removed, growth, when the disk fills."`
	History    historyCmd    `cmd:"" help:"The recorded series of the cache's (or one repo's) size, usage and revisions, for plots."`
	Metrics    metricsCmd    `cmd:"" help:"Print Prometheus metrics of the cache (sizes, reclaimable bytes, counts, last sync), or write them for node_exporter's textfile collector."`
	Export     exportCmd     `cmd:"" help:"Write every cached file as JSON lines (--format jsonl), an ncdu export (--format ncdu, for ncdu -f) or Parquet (--format parquet)."`
	Completion completionCmd `cmd:"" help:"Print a shell completion script (bash, zsh or fish)."`
}

// app is what every command's Run receives.
type app struct {
	globals
	stdin       io.Reader
	stdout      io.Writer
	stderr      io.Writer
	lookup      cache.LookupEnv
	stdoutIsTTY bool
	now         time.Time
	syncOpts    index.Options // set by the sync command
	sameCacheOK string        // the cache and index sameCache found matching
	kong        *kong.Kong
}

// exitSignal carries kong's exit code (after --help or --version) out of
// the parser without calling os.Exit.
type exitSignal struct{ code int }

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) (code int) {
	// A sync allocates many short-lived strings over a small live heap: at
	// the default GOGC the collector runs every few megabytes and took a
	// fifth of a full sync. 400 keeps the heap within tens of MiB (see
	// BENCHMARKS.md); GOGC in the environment still wins.
	if _, ok := os.LookupEnv("GOGC"); !ok {
		debug.SetGCPercent(400)
	}
	var c cli
	a := &app{stdin: stdin, stdout: stdout, stderr: stderr, lookup: os.LookupEnv, now: time.Now()}
	if f, ok := stdout.(*os.File); ok {
		a.stdoutIsTTY = term.IsTerminal(int(f.Fd()))
	}
	parser, err := kong.New(&c,
		kong.Name("hfidx"),
		kong.Description("Index a Hugging Face Hub cache into SQLite and answer questions about it.\n\n"+exitCodesHelp),
		kong.Writers(stdout, stderr),
		kong.Exit(func(code int) { panic(exitSignal{code}) }),
		kong.Vars{"version": "hfidx " + version},
		kong.ConfigureHelp(kong.HelpOptions{Compact: true}),
		kong.Bind(a),
		kong.NamedMapper("raw", rawString()),
	)
	if err != nil {
		return report(stderr, err)
	}
	a.kong = parser
	defer func() {
		if r := recover(); r != nil {
			if s, ok := r.(exitSignal); ok {
				code = s.code
				return
			}
			panic(r)
		}
	}()
	ctx, err := parser.Parse(args)
	if err != nil {
		hint := "run 'hfidx --help' for the commands and flags"
		if ctx != nil && ctx.Selected() != nil {
			hint = "run 'hfidx " + ctx.Selected().Name + " --help' for its flags"
		}
		var ce *cliError
		if errors.As(err, &ce) {
			return report(stderr, ce)
		}
		var ue *query.UsageError
		if errors.As(err, &ue) {
			return report(stderr, usagef(hint, "%s", ue.Msg))
		}
		return report(stderr, usagef(hint, "%s", err))
	}
	a.globals = c.globals
	if a.JSON {
		a.Format = "json"
	}
	if err := ctx.Run(a); err != nil {
		return report(stderr, a.damagedIndex(err))
	}
	return exitOK
}

// formatIn checks that the chosen format is one the command takes.
func (a *app) formatIn(allowed ...string) error {
	for _, f := range allowed {
		if a.Format == f {
			return nil
		}
	}
	return usagef("use --format "+strings.Join(allowed, " or "), "this command does not write %s", a.Format)
}

// cacheDir returns the resolved hub cache directory.
func (a *app) cacheDir() (string, error) {
	dir := a.CacheDir
	from := "--cache-dir"
	if dir == "" {
		dir = cache.DefaultDir(a.lookup)
		from = "the environment (HF_HUB_CACHE, HF_HOME)"
	} else {
		dir = cache.ExpandUser(dir, a.lookup)
	}
	root, err := cache.ResolveDir(dir)
	if err != nil {
		var de *cache.DirError
		if errors.As(err, &de) {
			return "", failf("pass --cache-dir DIR or set HF_HUB_CACHE", "%s (from %s)", de.Error(), from)
		}
		return "", failf("pass --cache-dir DIR or set HF_HUB_CACHE", "cannot use cache directory %s: %w", dir, err)
	}
	return root, nil
}

// dbPath returns the index file for the cache at root. An existing index
// built from another cache is refused (see sameCache), except by a sync
// asked to rebuild it; with root "" nothing is checked.
func (a *app) dbPath(root string) (string, error) {
	var p string
	if a.DB != "" {
		e := cache.ExpandUser(a.DB, a.lookup)
		abs, err := filepath.Abs(e)
		if err != nil {
			return "", failf("pass --db PATH", "bad index path %s: %w", e, err)
		}
		p = abs
	} else {
		d, err := index.DefaultPath(root, a.lookup)
		if err != nil {
			return "", failf("pass --db PATH or set HFIDX_DB", "%w", err)
		}
		p = d
	}
	if root != "" && !a.syncOpts.Rebuild {
		if err := a.sameCache(root, p); err != nil {
			return "", err
		}
	}
	return p, nil
}

// sync brings the index up to date and returns its path and stats.
func (a *app) sync() (string, string, index.Stats, error) {
	root, err := a.cacheDir()
	if err != nil {
		return "", "", index.Stats{}, err
	}
	db, err := a.dbPath(root)
	if err != nil {
		return "", "", index.Stats{}, err
	}
	opts := a.syncOpts
	opts.Jobs = a.Jobs
	if !a.NoProg && a.stderrIsTTY() {
		p := newProgress(a.stderr, time.Now())
		defer p.done()
		opts.Progress = p.update
	}
	st, err := index.Sync(root, db, opts)
	if err != nil {
		return "", "", st, indexFailure(db, err)
	}
	a.afterSync(root, db, st)
	return root, db, st, nil
}

// indexFailure turns an index error into a message with the fix.
func indexFailure(db string, err error) error {
	var ne *schema.NewerError
	var oe *schema.OlderError
	switch {
	case errors.As(err, &oe):
		return failf("run 'hfidx sync' (or drop --no-sync) to rebuild it", "%s: %w", db, oe)
	case errors.As(err, &ne):
		return failf("upgrade hfidx, or run 'hfidx sync --rebuild' to replace it with an index of this version (or pass --db PATH to use another)", "%s: %w", db, ne)
	case errors.Is(err, schema.ErrNotIndex):
		return failf("pass --db PATH to put the index elsewhere; hfidx never overwrites that file",
			"%s exists and is not an hfidx index", db)
	case errors.Is(err, fs.ErrPermission):
		return failf("pass --db PATH (or set HFIDX_DB) to a writable location", "cannot write the index: %w", err)
	}
	var oc *index.OtherCacheError
	if errors.As(err, &oc) {
		return otherCache(oc)
	}
	var ie *index.IndexError
	if errors.As(err, &ie) {
		return failf("pass --db PATH (or set HFIDX_DB) to a writable location", "%w", err)
	}
	return err
}

// openIndex syncs (unless --no-sync) and opens the index read-only.
func (a *app) openIndex() (*sqlx.DB, float64, error) {
	start := time.Now()
	if !a.NoSync {
		_, path, _, err := a.sync()
		if err != nil {
			return nil, 0, err
		}
		db, err := schema.OpenReadOnly(path)
		if err != nil {
			return nil, 0, indexFailure(path, err)
		}
		return db, time.Since(start).Seconds(), nil
	}
	// The index must be of the cache given. Only an index named with --db,
	// read while no cache folder is named nor found, is read as it is: no
	// other cache is given then.
	root, err := a.cacheDir()
	if err != nil && (a.DB == "" || a.CacheDir != "") {
		return nil, 0, err
	}
	path, err := a.dbPath(root)
	if err != nil {
		return nil, 0, err
	}
	db, err := schema.OpenReadOnly(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, 0, failf("run 'hfidx sync' first, or drop --no-sync", "no index at %s yet", path)
	}
	if err != nil {
		return nil, 0, indexFailure(path, err)
	}
	return db, time.Since(start).Seconds(), nil
}

// color reports whether output may carry ANSI styles.
func (a *app) color() bool {
	if _, set := a.lookup("NO_COLOR"); set {
		return false
	}
	return a.stdoutIsTTY
}

func (a *app) nowFloat() float64 { return float64(a.now.UnixNano()) / 1e9 }

func plural(n int, one, many string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}

func tempDir() (string, error) { return os.MkdirTemp("", "hfidx-") }

func removeAll(dir string) { os.RemoveAll(dir) }

// errText shortens an *fs.PathError to its cause.
func errText(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}
