// Command mkcache writes a synthetic Hugging Face Hub cache for benchmarks:
// repos with several revisions sharing most blobs through relative
// symlinks, refs, and a few detached revisions, in the real layout.
//
//	go run ./bench/mkcache -repos 3000 -revisions 3 -files 18 DIR
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/hfidx/hfidx/bench/synth"
)

func main() {
	repos := flag.Int("repos", 300, "repos to write")
	revs := flag.Int("revisions", 3, "revisions per repo")
	files := flag.Int("files", 18, "files per revision")
	size := flag.Int("size", 64, "bytes per blob")
	seed := flag.Int64("seed", 1, "random seed")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: mkcache [flags] DIR")
		os.Exit(2)
	}
	if err := synth.Write(flag.Arg(0), *repos, *revs, *files, *size, *seed); err != nil {
		fmt.Fprintln(os.Stderr, "mkcache:", err)
		os.Exit(1)
	}
}
