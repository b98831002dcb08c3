package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/hfidx/hfidx/cache"
	"github.com/hfidx/hfidx/index"
	"github.com/hfidx/hfidx/query"
	"github.com/hfidx/hfidx/schema"
)

type verifyCmd struct {
	Targets            []string `arg:"" optional:"" sep:"none" type:"raw" help:"Repos or revisions, as delete takes them: cache ids (model/org/name, optionally @<hash>), commit hashes (or unique prefixes of 8+ hex), hf:// repo URIs."`
	All                bool     `name:"all" help:"Verify every repo of the cache."`
	Rehash             bool     `name:"rehash" help:"Read every file again, ignoring the digests kept from earlier runs."`
	FailOnMissingFiles bool     `name:"fail-on-missing-files" help:"List and fail on files of a commit's tree listing that its snapshot lacks (normal after a download with allow_patterns)."`
	FailOnExtraFiles   bool     `name:"fail-on-extra-files" help:"List and fail on snapshot files that the commit's tree listing lacks."`
}

// verifyOutput is the JSON of verify.
type verifyOutput struct {
	OK bool `json:"ok"`
	*cache.VerifyReport
}

// Validate refuses a run that names nothing, or both targets and --all.
func (c *verifyCmd) Validate() error {
	if c.All == (len(c.Targets) > 0) {
		return usageOf("verify", "give TARGETs to verify, or --all (not both)")
	}
	return nil
}

func (c *verifyCmd) Run(a *app) error {
	if err := a.formatIn("table", "text", "json"); err != nil {
		return err
	}
	targets, err := c.targets(a)
	if err != nil {
		return err
	}
	root, err := a.cacheDir()
	if err != nil {
		return err
	}
	// The digests of earlier runs; without a usable index every file is
	// read and nothing is kept, which is worth a warning, not a failure.
	store, err := c.digests(a, root)
	if err != nil {
		fmt.Fprintf(a.stderr, "Warning: digests are not kept (%v); every file is read.\n", err)
	}
	opts := cache.VerifyOptions{Jobs: a.Jobs, Root: root}
	var known map[cache.DigestKey]string
	if store != nil {
		known = store.Known
	}
	if !c.Rehash {
		opts.Known = known
	}
	stop := func() {}
	if a.stderrIsTTY() {
		opts.Progress = &cache.VerifyProgress{}
		stop = showProgress(a.stderr, opts.Progress)
	}
	rep := cache.Verify(targets, opts)
	stop()
	if store != nil && !a.NoSync {
		var forget []cache.DigestKey
		if c.All {
			// Every file of the cache was looked at: what was not is gone.
			for k := range known {
				if !rep.Seen[k] {
					forget = append(forget, k)
				}
			}
		}
		if err := store.Keep(rep.Digests, forget, time.Now()); err != nil {
			fmt.Fprintf(a.stderr, "Warning: digests are not kept: %v\n", err)
		}
	}
	fatal := map[string]bool{cache.ProblemMismatch: true, cache.ProblemTruncated: true,
		cache.ProblemUnreadable: true, cache.ProblemBroken: true,
		cache.ProblemMissing: c.FailOnMissingFiles, cache.ProblemExtra: c.FailOnExtraFiles}
	failed := rep.Failed(fatal)
	if a.Format == "json" {
		if err := writeJSON(a, verifyOutput{OK: !failed, VerifyReport: rep}); err != nil {
			return err
		}
	} else {
		writeVerify(a.stdout, a.stderr, root, rep, fatal)
	}
	if failed {
		n := 0
		for _, p := range rep.Problems {
			if fatal[p.Kind] {
				n++
			}
		}
		return failf("restore the damaged files: delete their revisions (hfidx delete) and download them again",
			"verification failed: %s", plural(n, "problem", "problems"))
	}
	return nil
}

// digests opens the digests kept in the index. With targets the index has
// just been synced to resolve them; with --all the cache is read directly,
// so the index is synced only when it does not exist yet or comes from an
// older hfidx (never with --no-sync, which also keeps nothing).
func (c *verifyCmd) digests(a *app, root string) (*index.Digests, error) {
	path, err := a.dbPath(root)
	if err != nil {
		return nil, err
	}
	store, err := index.OpenDigests(path, a.NoSync)
	var older *schema.OlderError
	if !a.NoSync && (errors.Is(err, fs.ErrNotExist) || errors.As(err, &older)) {
		if _, _, _, err := a.sync(); err != nil {
			return nil, err
		}
		store, err = index.OpenDigests(path, false)
	}
	if err != nil {
		return nil, indexFailure(path, err)
	}
	return store, nil
}

// targets resolves what to verify: with --all every repo folder of the
// cache, else the named repos and revisions, looked up in the index as
// delete does.
func (c *verifyCmd) targets(a *app) ([]cache.VerifyTarget, error) {
	root, err := a.cacheDir()
	if err != nil {
		return nil, err
	}
	if c.All {
		var repos []*cache.Repo
		_, err := cache.Scan(root, cache.Options{Jobs: a.Jobs}, cache.Handler{Repo: func(r *cache.Repo) error {
			repos = append(repos, r)
			return nil
		}})
		if err != nil {
			return nil, failf("check the permissions of the cache directory", "%w", err)
		}
		sort.Slice(repos, func(i, j int) bool { return repos[i].Folder < repos[j].Folder })
		out := make([]cache.VerifyTarget, len(repos))
		for i, r := range repos {
			out[i] = cache.VerifyTarget{Repo: r}
		}
		return out, nil
	}
	var ts []query.Target
	var unknown []string
	for _, raw := range c.Targets {
		t, ok, err := query.ParseTarget(raw)
		if err != nil {
			return nil, usagef("targets are commit hashes, model/org/name[@hash] or hf://[type/]org/name", "%w", err)
		}
		if ok && t.Kind == query.TargetFile {
			return nil, usagef("name the repo (model/org/name) or one revision (model/org/name@<hash>)", "%q: verify checks repos and revisions, not single files", raw)
		}
		if ok {
			ts = append(ts, t)
		} else {
			unknown = append(unknown, raw)
		}
	}
	db, _, err := a.openIndex()
	if err != nil {
		return nil, err
	}
	sel, err := query.Resolve(db, ts, unknown)
	db.Close()
	if err != nil {
		var amb *query.AmbiguousError
		if errors.As(err, &amb) {
			return nil, usagef("name one repo with <type>/<id>@<hash> (or the full hash)", "%w", amb)
		}
		return nil, failf("run 'hfidx sync' to rebuild the index", "read index: %w", err)
	}
	if len(sel.Unknown) > 0 {
		return nil, failf("see 'hfidx ls' and 'hfidx ls --revisions' for what is cached",
			"not in the cache: %s", strings.Join(sel.Unknown, ", "))
	}
	revs := map[string][]string{}
	for k := range sel.Revisions {
		if !sel.Repos[k.Folder] {
			revs[k.Folder] = append(revs[k.Folder], k.Hash)
		}
	}
	var folders []string
	for f := range sel.Repos {
		folders = append(folders, f)
	}
	for f := range revs {
		if !sel.Repos[f] {
			folders = append(folders, f)
		}
	}
	sort.Strings(folders)
	var out []cache.VerifyTarget
	for _, f := range folders {
		r, err := cache.ScanRepo(root, f)
		if err != nil {
			return nil, failf("run 'hfidx sync' and try again", "%s changed since the index was made: %w", f, err)
		}
		t := cache.VerifyTarget{Repo: r}
		if !sel.Repos[f] {
			t.Revisions = revs[f]
			sort.Strings(t.Revisions)
		}
		out = append(out, t)
	}
	return out, nil
}

// writeVerify prints the report for people: a summary, then the problems.
// Missing and extra files are only counted unless they fail the run.
func writeVerify(w, ew io.Writer, root string, rep *cache.VerifyReport, fatal map[string]bool) {
	rel := func(p string) string {
		if r, err := filepath.Rel(root, p); err == nil && r != ".." && !strings.HasPrefix(r, "../") {
			return r
		}
		return p
	}
	for _, s := range rep.Warnings {
		fmt.Fprintf(ew, "Warning: %s\n", s)
	}
	fmt.Fprintf(w, "Verified %s, %s, %s: %s checked, %s read (%s), %d unchanged since an earlier verify.\n",
		plural(rep.Repos, "repo", "repos"), plural(rep.Revisions, "revision", "revisions"),
		plural(rep.Trees, "tree listing", "tree listings"), plural(rep.Checked, "file", "files"),
		plural(rep.Hashed, "file", "files"), query.FormatSize(rep.HashedBytes), rep.Reused)
	if n := len(rep.Unverifiable); n > 0 {
		fmt.Fprintf(w, "%s nothing to check against (no hash in the name, no tree listing); --format json lists them.\n",
			plural(n, "file has", "files have"))
	}
	counts := map[string]int{}
	var shown []cache.Problem
	for _, p := range rep.Problems {
		if fatal[p.Kind] {
			shown = append(shown, p)
		} else {
			counts[p.Kind]++
		}
	}
	if n := counts[cache.ProblemMissing]; n > 0 {
		fmt.Fprintf(w, "%s of tree listings missing from their snapshot (normal after a partial download); --fail-on-missing-files lists them.\n",
			plural(n, "file", "files"))
	}
	if n := counts[cache.ProblemExtra]; n > 0 {
		fmt.Fprintf(w, "%s in snapshots but not in their tree listing; --fail-on-extra-files lists them.\n", plural(n, "file", "files"))
	}
	if len(shown) == 0 {
		fmt.Fprintln(w, "All checksums match.")
		return
	}
	fmt.Fprintf(w, "%s:\n", plural(len(shown), "problem", "problems"))
	for _, p := range shown {
		fmt.Fprintf(w, "  - %s %s %s: %s\n", p.Kind, p.Repo, rel(p.Path), p.Message)
	}
}

// showProgress prints how much verify has read on w (a terminal) every
// fifth of a second until the returned func is called, which clears the
// line.
func showProgress(w io.Writer, p *cache.VerifyProgress) func() {
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(200 * time.Millisecond)
		defer t.Stop()
		shown := false
		for {
			select {
			case <-done:
				if shown {
					fmt.Fprint(w, "\r\x1b[K")
				}
				return
			case <-t.C:
				if total := p.TotalBytes.Load(); total > 0 {
					fmt.Fprintf(w, "\r\x1b[Kverify: %s of %s read, %d of %d files", query.FormatSize(p.DoneBytes.Load()),
						query.FormatSize(total), p.DoneFiles.Load(), p.TotalFiles.Load())
					shown = true
				}
			}
		}
	}()
	return func() {
		close(done)
		<-finished
	}
}
