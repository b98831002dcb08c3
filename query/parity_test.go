package query_test

import (
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/hfidx/hfidx/cache/reftest"
	"github.com/hfidx/hfidx/index"
	"github.com/hfidx/hfidx/query"
	"github.com/hfidx/hfidx/schema"
)

// report syncs the cache at hub into a fresh index and loads the report.
func report(t *testing.T, hub string) *query.Report {
	t.Helper()
	root, err := filepath.EvalSymlinks(hub)
	if err != nil {
		t.Fatal(err)
	}
	dbPath := filepath.Join(t.TempDir(), "index.db")
	if _, err := index.Sync(root, dbPath, index.Options{}); err != nil {
		t.Fatalf("Sync: %v", err)
	}
	db, err := schema.OpenReadOnly(dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rep, err := query.Load(db, true)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return rep
}

func rel(t *testing.T, hub, p string) string {
	root, _ := filepath.EvalSymlinks(hub)
	r, err := filepath.Rel(root, p)
	if err != nil {
		t.Fatal(err)
	}
	return filepath.ToSlash(r)
}

// TestReferenceParity holds the scan against huggingface_hub's own answers
// about the two reference caches.
func TestReferenceParity(t *testing.T) {
	for _, name := range reftest.Names {
		t.Run(name, func(t *testing.T) {
			hub, ref := reftest.Load(t, name)
			rep := report(t, hub)
			if rep.SizeOnDisk != ref.SizeOnDisk {
				t.Errorf("size_on_disk = %d, want %d", rep.SizeOnDisk, ref.SizeOnDisk)
			}
			got := map[string]query.Repo{}
			for _, r := range rep.Repos {
				if !r.Damaged {
					got[rel(t, hub, r.RepoPath)] = r
				}
			}
			if len(got) != len(ref.Repos) {
				t.Errorf("%d healthy repos, want %d", len(got), len(ref.Repos))
			}
			for _, want := range ref.Repos {
				r, ok := got[want.RepoPath]
				if !ok {
					t.Errorf("repo %s missing or damaged", want.RepoPath)
					continue
				}
				compareRepo(t, hub, r, want)
			}
			named := map[string]bool{}
			for _, w := range rep.Warnings {
				entry, _, _ := strings.Cut(w, "/")
				entry, _, _ = strings.Cut(entry, ":")
				named[entry] = true
			}
			for _, e := range ref.WarnedEntries {
				if !named[e] {
					t.Errorf("no warning names %s (library: warned)", e)
				}
			}
			var inc [][2]any
			for _, f := range rep.IncompleteFiles {
				inc = append(inc, [2]any{rel(t, hub, f.FilePath), float64(f.SizeOnDisk)})
			}
			if len(inc) != len(ref.Incomplete) {
				t.Fatalf("incomplete = %v, want %v", inc, ref.Incomplete)
			}
			for i := range inc {
				if inc[i] != ref.Incomplete[i] {
					t.Errorf("incomplete[%d] = %v, want %v", i, inc[i], ref.Incomplete[i])
				}
			}
		})
	}
}

func compareRepo(t *testing.T, hub string, r query.Repo, want reftest.Repo) {
	t.Helper()
	id := want.RepoPath
	check := func(field string, got, want any) {
		if got != want {
			t.Errorf("%s %s = %v, want %v", id, field, got, want)
		}
	}
	check("repo_id", r.RepoID, want.RepoID)
	check("repo_type", r.RepoType, want.RepoType)
	check("size_on_disk", r.SizeOnDisk, want.SizeOnDisk)
	check("nb_files", r.NbFiles, want.NbFiles)
	check("last_accessed", r.LastAccessed, want.LastAccessed)
	check("last_modified", r.LastModified, want.LastModified)
	check("len(refs)", len(r.Refs), len(want.Refs))
	for k, v := range want.Refs {
		check("refs["+k+"]", r.Refs[k], v)
	}
	revs := map[string]query.Revision{}
	for _, v := range r.Revisions {
		revs[v.CommitHash] = v
	}
	check("len(revisions)", len(r.Revisions), len(want.Revisions))
	for _, wv := range want.Revisions {
		v, ok := revs[wv.CommitHash]
		if !ok {
			t.Errorf("%s: revision %s missing", id, wv.CommitHash)
			continue
		}
		rid := id + "@" + wv.CommitHash[:min(8, len(wv.CommitHash))]
		checkv := func(field string, got, want any) {
			if got != want {
				t.Errorf("%s %s = %v, want %v", rid, field, got, want)
			}
		}
		checkv("snapshot_path", rel(t, hub, v.SnapshotPath), wv.SnapshotPath)
		checkv("size_on_disk", v.SizeOnDisk, wv.SizeOnDisk)
		checkv("nb_files", v.NbFiles, wv.NbFiles)
		checkv("last_modified", v.LastModified, wv.LastModified)
		refs := append([]string(nil), wv.Refs...)
		sort.Strings(refs)
		checkv("refs", strings.Join(v.Refs, ","), strings.Join(refs, ","))
		files := map[string]query.File{}
		for _, f := range v.Files {
			files[rel(t, hub, f.FilePath)] = f
		}
		checkv("len(files)", len(v.Files), len(wv.Files))
		for _, wf := range wv.Files {
			f, ok := files[wf.FilePath]
			if !ok {
				t.Errorf("%s: file %s missing", rid, wf.FilePath)
				continue
			}
			checkv(wf.FilePath+" file_name", f.FileName, wf.FileName)
			checkv(wf.FilePath+" blob_path", rel(t, hub, f.BlobPath), wf.BlobPath)
			checkv(wf.FilePath+" size_on_disk", f.SizeOnDisk, wf.SizeOnDisk)
			checkv(wf.FilePath+" blob_last_accessed", f.BlobLastAccessed, wf.BlobLastAccessed)
			checkv(wf.FilePath+" blob_last_modified", f.BlobLastModified, wf.BlobLastModified)
		}
	}
}
