package main

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hfidx/hfidx/bench/synth"
	"github.com/hfidx/hfidx/cache/cachetest"
)

// chromium returns the headless browser the report tests drive: Debian's
// chromium (HFIDX_CHROMIUM names another). Without one the test is
// skipped, except in CI (CI=true), where .ci/run installs it: there a
// missing browser fails.
func chromium(t *testing.T) string {
	t.Helper()
	names := []string{os.Getenv("HFIDX_CHROMIUM"), "chromium", "chromium-browser", "google-chrome"}
	for _, n := range names {
		if n == "" {
			continue
		}
		if p, err := exec.LookPath(n); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("no chromium on PATH in CI: .ci/run installs Debian's chromium (apt-get install -y chromium)")
	}
	t.Skip("no chromium on PATH: install Debian's chromium (apt-get install -y chromium) or set HFIDX_CHROMIUM to run the report in a browser")
	return ""
}

// artifacts returns the folder screenshots go to: $HFIDX_ARTIFACTS, else
// the test's temporary folder.
func artifacts(t *testing.T) string {
	if d := os.Getenv("HFIDX_ARTIFACTS"); d != "" {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		return d
	}
	return t.TempDir()
}

// browserResult is what the page's test hook (?test=...) writes into
// <pre id="test-result">.
type browserResult struct {
	Total     string    `json:"total"`
	TotalText string    `json:"totalText"`
	Clicked   []*string `json:"clicked"`
	Crumbs    []string  `json:"crumbs"`
	Tiles     []struct {
		Kind  string  `json:"kind"`
		Name  string  `json:"name"`
		Value float64 `json:"value"`
	} `json:"tiles"`
	LevelRows int      `json:"levelRows"`
	TableRows int      `json:"tableRows"`
	LoadMs    float64  `json:"loadMs"`
	DrawnMs   float64  `json:"drawnMs"`
	TableMs   float64  `json:"tableMs"`
	FcpMs     *float64 `json:"fcpMs"`
	Injected  int      `json:"injected"`
	AreaSum   float64  `json:"areaSum"`
	NodeValue float64  `json:"nodeValue"`
}

var resultRe = regexp.MustCompile(`<pre id="test-result"[^>]*>(.*?)</pre>`)

// render loads page in headless chromium with ?test=steps, lets its
// scripts run, and returns the test hook's result and the DOM.
func render(t *testing.T, browser, page, steps string) (browserResult, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	u := "file://" + filepath.ToSlash(page) + "?test=" + steps
	cmd := exec.CommandContext(ctx, browser, "--headless", "--disable-gpu", "--no-sandbox", "--no-first-run",
		"--user-data-dir="+t.TempDir(), "--window-size=1280,1000", "--virtual-time-budget=20000", "--dump-dom", u)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("chromium --dump-dom %s: %v", u, err)
	}
	dom := string(out)
	m := resultRe.FindStringSubmatch(dom)
	if m == nil {
		t.Fatalf("chromium --dump-dom %s: no test result in the page (%d bytes of DOM)", u, len(dom))
	}
	var res browserResult
	if err := json.Unmarshal([]byte(html.UnescapeString(m[1])), &res); err != nil {
		t.Fatalf("test result: %v: %s", err, m[1])
	}
	return res, dom
}

// screenshot saves the page after steps as a PNG under dir.
func screenshot(t *testing.T, browser, page, steps, dir, name string, height int) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	png := filepath.Join(dir, name)
	cmd := exec.CommandContext(ctx, browser, "--headless", "--disable-gpu", "--no-sandbox", "--no-first-run", "--hide-scrollbars",
		"--user-data-dir="+t.TempDir(), fmt.Sprintf("--window-size=1280,%d", height), "--virtual-time-budget=20000",
		"--screenshot="+png, "file://"+filepath.ToSlash(page)+"?test="+steps)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("chromium --screenshot: %v\n%s", err, out)
	}
	if fi, err := os.Stat(png); err != nil || fi.Size() == 0 {
		t.Fatalf("no screenshot at %s", png)
	}
	t.Logf("screenshot: %s", png)
	return png
}

// reportCache is a small cache with ages spread over two years, a
// detached revision, shared blobs, a damaged repo, and names built to
// break out of the page: a repo id with </script> and an element in it,
// quotes, and bytes that are not UTF-8.
func reportCache(now time.Time) cachetest.Cache {
	at := func(daysAgo int) cachetest.Time {
		return cachetest.At(now.Add(-time.Duration(daysAgo) * 24 * time.Hour).UTC().Truncate(time.Second))
	}
	hash := func(i int) string { return strings.Repeat(fmt.Sprintf("%08x", 0x9e3779b1*(i+1)%0xffffffff), 5) }
	var c cachetest.Cache
	ages := []int{0, 2, 9, 40, 100, 200, 400, 700}
	for i := 0; i < 16; i++ {
		r := cachetest.Repo{Type: []string{"model", "dataset", "space"}[i%3], ID: fmt.Sprintf("org%d/repo-%02d", i%4, i), Refs: map[string]string{}}
		for v := 0; v < 1+(i+2)%3; v++ {
			rev := cachetest.Revision{Hash: hash(i*10 + v)}
			rev.Files = append(rev.Files,
				cachetest.File{Path: "model.safetensors", Size: int64(1+i) * 40_000_000, Sparse: true, LFS: true, Time: at(ages[i%len(ages)])},
				cachetest.File{Path: fmt.Sprintf("weights/part-%d.bin", v), Size: int64(5+v) * 3_000_000, Sparse: true, LFS: true, Time: at(ages[(i+v)%len(ages)])},
				cachetest.File{Path: "config.json", Content: []byte(fmt.Sprintf(`{"v": %d}`, v)), Time: at(ages[(i+2)%len(ages)])},
			)
			r.Revisions = append(r.Revisions, rev)
		}
		r.Refs["main"] = r.Revisions[0].Hash // the others are detached: prune frees them
		c.Repos = append(c.Repos, r)
	}
	evil := cachetest.Repo{Type: "model", Folder: "models--evil--a<--script><img id=pwned src=x>\"'\xff", Refs: map[string]string{"main": hash(900)},
		Revisions: []cachetest.Revision{{Hash: hash(900), Files: []cachetest.File{
			{Path: "x</script><img id=\"pwned\" src=x>", Size: 300_000_000, Sparse: true, LFS: true, Time: at(30)},
			{Path: "caf\xe9.bin", Content: []byte("latin-1 name"), Time: at(30)},
		}}}}
	c.Repos = append(c.Repos, evil)
	c.Repos = append(c.Repos, cachetest.Repo{Type: "model", ID: "org9/broken", Refs: map[string]string{"main": hash(950)},
		Revisions: []cachetest.Revision{{Hash: hash(950), Files: []cachetest.File{{Path: "w.bin", Size: 70_000_000, Sparse: true, LFS: true}}}},
		Corrupt:   []cachetest.Corruption{{Kind: cachetest.BrokenLink, Rev: hash(950), Path: "gone"}}})
	return c
}

// TestReportInBrowser writes the report of a generated cache and opens it
// in headless chromium: the total shown is `hfidx scan`'s, clicking the
// first repo shows exactly its revisions and then a revision its files,
// the table has every repo, hostile names stay text, and screenshots of
// both levels are saved.
func TestReportInBrowser(t *testing.T) {
	browser := chromium(t)
	dir := t.TempDir()
	hub, db, page := filepath.Join(dir, "hub"), filepath.Join(dir, "index.db"), filepath.Join(dir, "report.html")
	if _, err := cachetest.Write(hub, reportCache(time.Now())); err != nil {
		t.Fatal(err)
	}
	t.Setenv("XDG_STATE_HOME", filepath.Join(dir, "state"))
	if r := hfidx("--cache-dir", hub, "--db", db, "report", "--out", page); r.code != 0 {
		t.Fatalf("report: exit %d: %s", r.code, r.stderr)
	}
	r := hfidx("--cache-dir", hub, "--db", db, "--no-sync", "scan", "--format", "json")
	var scan struct {
		SizeOnDisk int64 `json:"size_on_disk"`
		Repos      []struct {
			RepoID     string `json:"repo_id"`
			RepoType   string `json:"repo_type"`
			SizeOnDisk int64  `json:"size_on_disk"`
			Revisions  []struct {
				CommitHash string `json:"commit_hash"`
			} `json:"revisions"`
		} `json:"repos"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &scan); err != nil {
		t.Fatalf("scan --format json: %v", err)
	}
	res, dom := render(t, browser, page, "repo")
	if res.Total != strconv.FormatInt(scan.SizeOnDisk, 10) {
		t.Errorf("total shown = %s (%s), hfidx scan's size_on_disk = %d", res.Total, res.TotalText, scan.SizeOnDisk)
	}
	if res.TableRows != len(scan.Repos) {
		t.Errorf("repos table: %d rows, scan lists %d repos", res.TableRows, len(scan.Repos))
	}
	if res.Injected != 0 || strings.Contains(dom, `<img id="pwned"`) || strings.Contains(dom, `<img id=pwned`) {
		t.Errorf("a hostile name became an element of the page")
	}
	if !strings.Contains(dom, `a&lt;/script&gt;&lt;img id=pwned src=x&gt;"'\xff`) {
		t.Errorf("the hostile repo's name is not shown as text (invalid byte as \\xff)")
	}
	// The largest repo is the first tile; clicking it shows its revisions.
	if len(res.Clicked) != 1 || res.Clicked[0] == nil {
		t.Fatalf("no repo tile to click: %+v", res)
	}
	clicked := *res.Clicked[0]
	var want []string
	for _, repo := range scan.Repos {
		if repo.RepoType+"/"+repo.RepoID == clicked {
			for _, v := range repo.Revisions {
				want = append(want, v.CommitHash[:12])
			}
		}
	}
	// Its tiles are its revisions by their own bytes and one tile for the
	// blobs several share: a partition of the repo.
	var got []string
	for _, tile := range res.Tiles {
		switch tile.Kind {
		case "rev":
			got = append(got, tile.Name[:12])
		case "shared":
		default:
			t.Errorf("after clicking %s: a %s tile %q, want revisions only", clicked, tile.Kind, tile.Name)
		}
	}
	sort.Strings(want)
	sort.Strings(got)
	for _, g := range got {
		if i := sort.SearchStrings(want, g); i == len(want) || want[i] != g {
			t.Errorf("after clicking %s: tile of revision %s, not one of %v", clicked, g, want)
		}
	}
	if len(got) == 0 || len(want) < 2 {
		t.Errorf("after clicking %s: revision tiles %v, want some of %v (2 or more)", clicked, got, want)
	}
	if len(res.Crumbs) != 2 || !strings.HasPrefix(res.Crumbs[1], clicked+" (") || res.LevelRows != len(want) {
		t.Errorf("after clicking %s: path %q, %d rows in the level table, want 2 steps and %d rows", clicked, res.Crumbs, res.LevelRows, len(want))
	}
	if res.AreaSum != res.NodeValue {
		t.Errorf("after clicking %s: tiles add up to %v bytes, the repo holds %v", clicked, res.AreaSum, res.NodeValue)
	}
	res, _ = render(t, browser, page, "repo,rev")
	if len(res.Tiles) == 0 || len(res.Crumbs) != 3 {
		t.Errorf("after clicking a revision: %d tiles, path %q", len(res.Tiles), res.Crumbs)
	}
	for _, tile := range res.Tiles {
		if tile.Kind != "file" && tile.Kind != "more" {
			t.Errorf("after clicking a revision: a %s tile %q, want files", tile.Kind, tile.Name)
		}
	}
	out := artifacts(t)
	screenshot(t, browser, page, "", out, "report-top.png", 2000)
	screenshot(t, browser, page, "repo", out, "report-repo.png", 1300)
	screenshot(t, browser, page, "repo,rev", out, "report-revision.png", 1300)
}

// TestReportLarge measures the report of a synthetic cache of
// HFIDX_REPORT_REPOS repos (bench/synth; e.g. 3000 or 30000): its size
// must stay within 3 MB and the page must load (and draw its treemap) in
// chromium within 2 s. It runs only when the variable is set.
func TestReportLarge(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("HFIDX_REPORT_REPOS"))
	if n <= 0 {
		t.Skip("set HFIDX_REPORT_REPOS=30000 to measure the report of a large cache")
	}
	browser := chromium(t)
	dir := os.Getenv("HFIDX_REPORT_DIR") // a cache kept between runs
	if dir == "" {
		dir = t.TempDir()
	}
	hub, db, page := filepath.Join(dir, fmt.Sprintf("hub-%d", n)), filepath.Join(dir, fmt.Sprintf("index-%d.db", n)), filepath.Join(dir, "report.html")
	if _, err := os.Stat(hub); err != nil {
		cfg := synth.Default(1)
		cfg.Repos = n
		if _, err := synth.Write(hub, cfg); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("XDG_STATE_HOME", filepath.Join(dir, "state"))
	start := time.Now()
	if r := hfidx("--cache-dir", hub, "--db", db, "--no-progress", "report", "--out", page); r.code != 0 {
		t.Fatalf("report: exit %d: %s", r.code, r.stderr)
	}
	took := time.Since(start)
	fi, err := os.Stat(page)
	if err != nil {
		t.Fatal(err)
	}
	res, _ := render(t, browser, page, "repo")
	fcp := "n/a"
	if res.FcpMs != nil {
		fcp = fmt.Sprintf("%.0f ms", *res.FcpMs)
	}
	t.Logf("%d repos: report %d bytes, written in %v (sync included); in chromium: treemap drawn at %.0f ms, load event at %.0f ms, first contentful paint %s, all %d table rows at %.0f ms",
		n, fi.Size(), took.Round(time.Millisecond), res.DrawnMs, res.LoadMs, fcp, res.TableRows, res.TableMs)
	if fi.Size() > 3_000_000 {
		t.Errorf("report of %d repos is %d bytes, over 3 MB", n, fi.Size())
	}
	if res.LoadMs > 2000 {
		t.Errorf("report of %d repos: load event at %.0f ms, over 2 s", n, res.LoadMs)
	}
	if res.TableRows != n || len(res.Tiles) == 0 {
		t.Errorf("report of %d repos: %d table rows, %d tiles after clicking the first repo", n, res.TableRows, len(res.Tiles))
	}
	screenshot(t, browser, page, "", artifacts(t), fmt.Sprintf("report-%d.png", n), 1400)
}
