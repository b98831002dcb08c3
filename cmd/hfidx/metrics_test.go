package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/hfidx/hfidx/cache"
	"github.com/hfidx/hfidx/cache/cachetest"
)

// metricsSpec holds every kind prune takes (a detached revision, an
// interrupted download, an orphan blob, a stale store payload, leftovers),
// a repo id whose label value needs escaping, and a damaged repo.
const metricsSpec = `root-entries
store
payload "stale" hash=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa ref=models--org--gone/blobs/x time=1600000000
repo model org/a
rev 1111111111111111111111111111111111111111
file config.json "{}"
file w.bin "0123456789"
rev 2222222222222222222222222222222222222222
file config.json "{}"
file d.bin "detached!"
ref main 1111111111111111111111111111111111111111
orphan "orphan" time=1600000000
incomplete abc size=100
repo dataset org/quote
rev 3333333333333333333333333333333333333333
file data.csv "a,b,c"
ref main 3333333333333333333333333333333333333333
extra file .locks/models--org--gone/x.lock ""
`

// parseMetrics parses text with Prometheus's own parser: it rejects
// malformed lines, bad escapes, a TYPE after samples and a family split
// in two.
func parseMetrics(t *testing.T, text string) map[string]*dto.MetricFamily {
	t.Helper()
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(text))
	if err != nil {
		t.Fatalf("parse metrics: %v\n%s", err, text)
	}
	for name, f := range fams {
		if !strings.HasPrefix(name, "hfidx_") {
			t.Errorf("metric %s: want the hfidx_ prefix", name)
		}
		if f.GetHelp() == "" || f.GetType() != dto.MetricType_GAUGE {
			t.Errorf("metric %s: help %q type %v, want a help and gauge", name, f.GetHelp(), f.GetType())
		}
	}
	return fams
}

// gaugeOf returns the value of the sample of name whose labels are labels
// (name=value pairs), failing the test when there is none.
func gaugeOf(t *testing.T, fams map[string]*dto.MetricFamily, name string, labels ...string) float64 {
	t.Helper()
	f, ok := fams[name]
	if !ok {
		t.Fatalf("metric %s missing", name)
	}
next:
	for _, m := range f.GetMetric() {
		got := map[string]string{}
		for _, l := range m.GetLabel() {
			got[l.GetName()] = l.GetValue()
		}
		if len(got) != len(labels)/2 {
			continue
		}
		for i := 0; i+1 < len(labels); i += 2 {
			if got[labels[i]] != labels[i+1] {
				continue next
			}
		}
		return m.GetGauge().GetValue()
	}
	t.Fatalf("metric %s%v missing", name, labels)
	return 0
}

// TestMetricsEqualScanAndPrune holds `hfidx metrics` against `scan --json`
// (totals, per-repo bytes) and `prune --dry-run --json` (reclaimable bytes
// by kind), and --textfile to writing the same text whole, with no
// temporary file left.
func TestMetricsEqualScanAndPrune(t *testing.T) {
	c, err := cachetest.Parse(metricsSpec)
	if err != nil {
		t.Fatal(err)
	}
	for i := range c.Repos {
		if c.Repos[i].ID == "org/quote" {
			c.Repos[i].ID = `org/quote"back\slash` // the text spec has no quoting
		}
	}
	dir := t.TempDir()
	hub, db := filepath.Join(dir, "hub"), filepath.Join(dir, "index.db")
	if _, err := cachetest.Write(hub, c); err != nil {
		t.Fatal(err)
	}
	t.Setenv("XDG_STATE_HOME", filepath.Join(dir, "state"))
	g := []string{"--cache-dir", hub, "--db", db, "--no-progress"}
	cmd := func(args ...string) string {
		t.Helper()
		r := hfidx(append(g, args...)...)
		if r.code != 0 {
			t.Fatalf("%v: exit %d: %s", args, r.code, r.stderr)
		}
		return r.stdout
	}

	var scan struct {
		Size  int64 `json:"size_on_disk"`
		Usage int64 `json:"usage"`
		Repos []struct {
			RepoType string     `json:"repo_type"`
			RepoID   string     `json:"repo_id"`
			Size     int64      `json:"size_on_disk"`
			Usage    int64      `json:"usage"`
			Revs     []struct{} `json:"revisions"`
		} `json:"repos"`
	}
	if err := json.Unmarshal([]byte(cmd("scan", "--json")), &scan); err != nil {
		t.Fatal(err)
	}
	var prune pruneOutput
	if err := json.Unmarshal([]byte(cmd("prune", "--dry-run", "--grace", "0", "--json")), &prune); err != nil {
		t.Fatal(err)
	}

	text := cmd("metrics", "--grace", "0")
	fams := parseMetrics(t, text)
	if got := gaugeOf(t, fams, "hfidx_cache_size_bytes"); got != float64(scan.Size) {
		t.Errorf("hfidx_cache_size_bytes = %v, want scan's size_on_disk %d", got, scan.Size)
	}
	if scan.Usage != 0 {
		if got := gaugeOf(t, fams, "hfidx_cache_allocated_bytes"); got != float64(scan.Usage) {
			t.Errorf("hfidx_cache_allocated_bytes = %v, want scan's usage %d", got, scan.Usage)
		}
	}
	if got := gaugeOf(t, fams, "hfidx_repos"); got != float64(len(scan.Repos)) {
		t.Errorf("hfidx_repos = %v, want %d", got, len(scan.Repos))
	}
	revs := 0
	for _, r := range scan.Repos {
		revs += len(r.Revs)
		if got := gaugeOf(t, fams, "hfidx_repo_size_bytes", "repo_type", r.RepoType, "repo_id", r.RepoID); got != float64(r.Size) {
			t.Errorf("hfidx_repo_size_bytes{%s/%s} = %v, want %d", r.RepoType, r.RepoID, got, r.Size)
		}
	}
	if got := gaugeOf(t, fams, "hfidx_revisions"); got != float64(revs) {
		t.Errorf("hfidx_revisions = %v, want %d", got, revs)
	}
	s := prune.Summary
	var sum float64
	for kind, want := range map[string]int64{
		"detached_revisions":    s.Revisions.Size,
		"interrupted_downloads": s.Incomplete.Size,
		"orphan_blobs":          s.OrphanBlobs.Size,
		"shared_payloads":       s.SharedPayloads.Size,
		"leftovers":             s.Leftovers.Size,
	} {
		got := gaugeOf(t, fams, "hfidx_reclaimable_bytes", "kind", kind)
		if got != float64(want) {
			t.Errorf("hfidx_reclaimable_bytes{kind=%q} = %v, want prune's %d", kind, got, want)
		}
		sum += got
	}
	if sum != float64(prune.TotalSize) || prune.TotalSize == 0 {
		t.Errorf("reclaimable bytes sum to %v, want prune's total_size %d (not 0)", sum, prune.TotalSize)
	}
	if s.Revisions.Size == 0 || s.Incomplete.Size != 100 || s.OrphanBlobs.Size == 0 {
		t.Errorf("prune summary %+v: the spec's kinds are not all there", s)
	}
	if free, total, err := cache.FreeSpace(hub); err == nil && total > 0 {
		if got := gaugeOf(t, fams, "hfidx_filesystem_size_bytes"); got != float64(total) {
			t.Errorf("hfidx_filesystem_size_bytes = %v, want statfs's %d", got, total)
		}
		if got := gaugeOf(t, fams, "hfidx_filesystem_free_bytes"); got <= 0 || got > float64(total) {
			t.Errorf("hfidx_filesystem_free_bytes = %v, want within (0, %d] (statfs now: %d)", got, total, free)
		}
	}
	if got := gaugeOf(t, fams, "hfidx_last_sync_timestamp_seconds"); got < 1e9 {
		t.Errorf("hfidx_last_sync_timestamp_seconds = %v, want a time", got)
	}
	// Every repo was just created: none is unused, and all are with --unused-after 0.
	if got := gaugeOf(t, parseMetrics(t, cmd("metrics", "--no-sync")), "hfidx_unused_bytes"); got != 0 {
		t.Errorf("hfidx_unused_bytes = %v, want 0", got)
	}

	out := filepath.Join(dir, "prom")
	if err := os.Mkdir(out, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(out, "hfidx.prom")
	if got := cmd("metrics", "--no-sync", "--grace", "0", "--textfile", path); got != "" {
		t.Errorf("metrics --textfile wrote %q on stdout, want nothing", got)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// All but the file system's free bytes, which change between runs.
	noFree := regexp.MustCompile(`(?m)^hfidx_filesystem_free_bytes .*$`)
	if noFree.ReplaceAllString(string(b), "") != noFree.ReplaceAllString(text, "") {
		t.Errorf("--textfile wrote\n%s\nwant what stdout had\n%s", b, text)
	}
	ents, err := os.ReadDir(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(ents) != 1 {
		t.Errorf("textfile folder holds %d entries, want only hfidx.prom (no temporary file left)", len(ents))
	}
	// A folder that does not exist: an error, and nothing written.
	r := hfidx(append(g, "metrics", "--no-sync", "--textfile", filepath.Join(dir, "none", "x.prom"))...)
	if r.code != exitError {
		t.Errorf("metrics --textfile in a missing folder: exit %d, want %d", r.code, exitError)
	}
}
