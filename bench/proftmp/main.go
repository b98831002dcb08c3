package main

import (
	"fmt"
	"os"
	"runtime/pprof"
	"time"

	"github.com/hfidx/hfidx/index"
)

func main() {
	if len(os.Args) > 4 {
		os.Remove(os.Args[2])
		index.Sync(os.Args[1], os.Args[2], index.Options{})
		time.Sleep(2 * time.Second)
		index.Sync(os.Args[1], os.Args[2], index.Options{})
	} else {
		os.Remove(os.Args[2])
	}
	f, _ := os.Create(os.Args[3])
	pprof.StartCPUProfile(f)
	st, err := index.Sync(os.Args[1], os.Args[2], index.Options{})
	pprof.StopCPUProfile()
	fmt.Println(st, err)
}
