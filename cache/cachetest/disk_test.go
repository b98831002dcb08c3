package cachetest

import (
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// diskScan is a second, plain port of scan_cache_dir() that works on the
// built tree with os calls. The tests check Expect against it, so the
// in-memory layout Expect scans and the tree Build writes cannot drift
// apart. It does not model aborts: a problem is a warning.
func diskScan(t *testing.T, b *Built) Expected {
	t.Helper()
	root, err := filepath.EvalSymlinks(b.Root)
	if err != nil {
		t.Fatal(err)
	}
	root, _ = filepath.Abs(root)
	relOf := func(p string) string {
		r, ok := b.Rel(p)
		if !ok {
			t.Fatalf("path %s outside the cache", p)
		}
		return r
	}
	secs := func(tm time.Time) float64 { return float64(tm.Unix()) + float64(tm.Nanosecond())*1e-9 }
	at := func(fi os.FileInfo) float64 {
		a, ok := atime(fi)
		if !ok {
			return math.NaN()
		}
		return secs(a)
	}
	isDir := func(p string) bool { fi, err := os.Stat(p); return err == nil && fi.IsDir() }
	isReg := func(p string) bool { fi, err := os.Stat(p); return err == nil && fi.Mode().IsRegular() }
	lreg := func(p string) bool { fi, err := os.Lstat(p); return err == nil && fi.Mode().IsRegular() }
	ldir := func(p string) bool { fi, err := os.Lstat(p); return err == nil && fi.IsDir() }
	ignore := func(n string) bool { return n == ".DS_Store" || n == "Thumbs.db" || n == "desktop.ini" }
	names := func(p string) []string {
		ents, _ := os.ReadDir(p)
		var out []string
		for _, e := range ents {
			out = append(out, e.Name())
		}
		return out
	}
	hashRE := regexp.MustCompile(`^[0-9a-f]{64}$`)
	storeDir := filepath.Join(root, "blobs")
	marker, merr := os.ReadFile(filepath.Join(storeDir, ".huggingface-shared-blobs"))
	marked := merr == nil && ldir(storeDir) && lreg(filepath.Join(storeDir, ".huggingface-shared-blobs")) &&
		strings.ReplaceAll(string(marker), "\r\n", "\n") == "1\n"
	sharedTarget := func(bp string) bool {
		r, err := filepath.Rel(root, bp)
		parts := strings.Split(filepath.ToSlash(r), "/")
		if err != nil || len(parts) != 3 || !regexp.MustCompile(`^(?:models|datasets|spaces)--.+$`).MatchString(parts[0]) || parts[1] != "blobs" {
			return false
		}
		tg, err := os.Readlink(bp)
		if err != nil {
			return false
		}
		if !filepath.IsAbs(tg) {
			tg = filepath.Join(filepath.Dir(bp), tg)
		}
		r, err = filepath.Rel(storeDir, filepath.Clean(tg))
		parts = strings.Split(filepath.ToSlash(r), "/")
		return err == nil && len(parts) == 2 && hashRE.MatchString(parts[1]) && parts[0] == parts[1][:2] && lreg(tg)
	}

	var e Expected
	e.StoreMarked = marked
	physical := map[string]int64{}
	for _, name := range names(root) {
		if ignore(name) || name == ".locks" || name == "CACHEDIR.TAG" || (name == "blobs" && marked) {
			continue
		}
		repo := filepath.Join(root, name)
		r, ok := func() (ExpectedRepo, bool) {
			r := ExpectedRepo{Folder: name, Refs: map[string]string{}}
			typ, id, found := strings.Cut(name, "--")
			if !isDir(repo) || !found {
				return r, false
			}
			_, n := utf8.DecodeLastRuneInString(typ)
			r.RepoType, r.RepoID = typ[:len(typ)-n], strings.ReplaceAll(id, "--", "/")
			if !slices.Contains([]string{"model", "dataset", "space", "kernel"}, r.RepoType) {
				return r, false
			}
			snaps, refs := filepath.Join(repo, "snapshots"), filepath.Join(repo, "refs")
			if !isDir(snaps) {
				return r, false
			}
			byHash := map[string][]string{}
			if _, err := os.Stat(refs); err == nil {
				if isReg(refs) {
					return r, false
				}
				err := filepath.WalkDir(refs, func(p string, d fs.DirEntry, err error) error {
					if err != nil || p == refs || isDir(p) || ignore(d.Name()) {
						return err
					}
					data, err := os.ReadFile(p)
					if err != nil {
						return err
					}
					rel, _ := filepath.Rel(refs, p)
					h := strings.ReplaceAll(string(data), "\r\n", "\n")
					byHash[h] = append(byHash[h], filepath.ToSlash(rel))
					return nil
				})
				if err != nil {
					return r, false
				}
			}
			stats := map[string]os.FileInfo{}
			for _, rn := range names(snaps) {
				if ignore(rn) {
					continue
				}
				rp := filepath.Join(snaps, rn)
				if isReg(rp) {
					return r, false
				}
				rev := ExpectedRevision{CommitHash: rn}
				distinct := map[string]bool{}
				var walk func(dir string) bool
				walk = func(dir string) bool {
					for _, n := range names(dir) {
						fp := filepath.Join(dir, n)
						if isDir(fp) {
							if ldir(fp) && !walk(fp) {
								return false
							}
							continue
						}
						blob := fp
						if tg, err := os.Readlink(fp); err == nil {
							if !filepath.IsAbs(tg) {
								tg = filepath.Join(dir, tg)
							}
							blob = filepath.Clean(tg)
							if filepath.Dir(blob) != filepath.Join(repo, "blobs") {
								if blob, err = filepath.EvalSymlinks(fp); err != nil {
									return false
								}
							}
						}
						fi, err := os.Stat(blob)
						if err != nil {
							return false
						}
						if _, ok := stats[blob]; !ok {
							stats[blob] = fi
						}
						fi = stats[blob]
						f := ExpectedFile{
							FileName: n, FilePath: relOf(fp), BlobPath: relOf(blob), SizeOnDisk: fi.Size(),
							BlobLastAccessed: at(fi), BlobLastModified: secs(fi.ModTime()),
						}
						rev.Files = append(rev.Files, f)
						if !distinct[blob] {
							distinct[blob] = true
							rev.SizeOnDisk += f.SizeOnDisk
						}
					}
					return true
				}
				if !walk(rp) {
					return r, false
				}
				rev.NbFiles = len(rev.Files)
				if rev.NbFiles == 0 {
					fi, err := os.Stat(rp)
					if err != nil {
						return r, false
					}
					rev.LastModified = secs(fi.ModTime())
				} else {
					rev.LastModified = math.Inf(-1)
					for _, f := range rev.Files {
						rev.LastModified = math.Max(rev.LastModified, f.BlobLastModified)
					}
				}
				slices.SortFunc(rev.Files, func(a, b ExpectedFile) int { return strings.Compare(a.FilePath, b.FilePath) })
				rev.Refs = byHash[rn]
				slices.Sort(rev.Refs)
				delete(byHash, rn)
				for _, ref := range rev.Refs {
					r.Refs[ref] = rn
				}
				r.Revisions = append(r.Revisions, rev)
			}
			if len(byHash) > 0 {
				return r, false
			}
			if len(stats) == 0 {
				fi, _ := os.Stat(repo)
				r.LastAccessed, r.LastModified = at(fi), secs(fi.ModTime())
			} else {
				r.LastAccessed, r.LastModified = math.Inf(-1), math.Inf(-1)
			}
			for p, fi := range stats {
				r.SizeOnDisk += fi.Size()
				r.LastAccessed = math.Max(r.LastAccessed, at(fi))
				r.LastModified = math.Max(r.LastModified, secs(fi.ModTime()))
				if !marked || !sharedTarget(p) {
					physical[p] = fi.Size()
				}
			}
			r.NbFiles = len(stats)
			return r, true
		}()
		if ok {
			e.Repos = append(e.Repos, r)
			e.LogicalSize += r.SizeOnDisk
		} else {
			e.Warned = append(e.Warned, name)
		}
	}
	if marked {
		for _, pre := range names(storeDir) {
			pd := filepath.Join(storeDir, pre)
			if !regexp.MustCompile(`^[0-9a-f]{2}$`).MatchString(pre) || !ldir(pd) {
				continue
			}
			for _, n := range names(pd) {
				p := filepath.Join(pd, n)
				if fi, err := os.Lstat(p); err == nil && hashRE.MatchString(n) && strings.HasPrefix(n, pre) && fi.Mode().IsRegular() {
					physical[p] = fi.Size()
				}
			}
		}
	}
	for _, s := range physical {
		e.SizeOnDisk += s
	}
	matches, _ := filepath.Glob(filepath.Join(root, "*", "blobs", "*.incomplete"))
	for _, m := range matches {
		if fi, err := os.Stat(m); err == nil {
			sz := fi.Size()
			if fi.IsDir() {
				sz = -1
			}
			e.Incomplete = append(e.Incomplete, ExpectedIncomplete{Path: relOf(m), Size: sz})
		}
	}
	slices.SortFunc(e.Incomplete, func(a, b ExpectedIncomplete) int { return strings.Compare(a.Path, b.Path) })
	return e
}
