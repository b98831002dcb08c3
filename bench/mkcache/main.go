// Command mkcache writes the synthetic benchmark cache (see bench/synth):
// 3,000 repos per scale step, deterministic for a seed.
//
//	go run ./bench/mkcache -scale 1 DIR
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/hfidx/hfidx/bench/synth"
)

func main() {
	scale := flag.Int("scale", 1, "size of the cache: 3,000 repos per step")
	repos := flag.Int("repos", 0, "repos to write instead of 3,000 × scale")
	seed := flag.Int64("seed", 1, "random seed")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: mkcache [-scale N] [-repos N] [-seed S] DIR")
		os.Exit(2)
	}
	cfg := synth.Default(*scale)
	cfg.Seed = *seed
	if *repos > 0 {
		cfg.Repos = *repos
	}
	st, err := synth.Write(flag.Arg(0), cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "mkcache:", err)
		os.Exit(1)
	}
	fmt.Printf("%d repos, %d revisions, %d snapshot links, %d real files in snapshots, %d blobs, %d refs\n",
		st.Repos, st.Revisions, st.Links, st.Copies, st.Blobs, st.Refs)
}
