package cache

import (
	"io/fs"
	"os"
	"path/filepath"
	"sort"
)

// SweepPayloads returns, sorted and each once, the shared-store payloads an
// Execute of d would sweep, read before it runs: its Payloads, every
// payload an entry of the blobs/ folder of a repo in Repos links to, and
// those the links in Blobs lead to. A caller records them before Execute,
// so that a run killed between removing the links and sweeping is finished
// by another Deletion given them as Payloads (the sweep decides again on
// each). Without a marked store it returns Payloads alone; an entry it
// cannot read is left out.
func (d *Deletion) SweepPayloads() []string {
	set := map[string]bool{}
	for _, p := range d.Payloads {
		set[p] = true
	}
	if IsStore(d.Root) {
		add := func(link string) {
			if t := linkTarget(link); isStorePayload(d.Root, t) {
				set[t] = true
			}
		}
		for _, repo := range d.Repos {
			dir := filepath.Join(repo, "blobs")
			if fi, err := os.Lstat(dir); err != nil || !fi.IsDir() {
				continue
			}
			des, _, err := readDir(dir)
			if err != nil {
				continue
			}
			for _, e := range des {
				if e.Type()&fs.ModeSymlink != 0 {
					add(filepath.Join(dir, e.Name()))
				}
			}
		}
		for _, b := range d.Blobs {
			add(b)
		}
	}
	out := make([]string, 0, len(set))
	for p := range set {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}
