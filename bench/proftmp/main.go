package main

import (
	"fmt"
	"os"
	"runtime/pprof"
	"syscall"
	"time"

	"github.com/hfidx/hfidx/index"
)

func cpu() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func main() {
	os.Remove(os.Args[2])
	f, _ := os.Create(os.Args[3])
	pprof.StartCPUProfile(f)
	c0 := cpu()
	st, err := index.Sync(os.Args[1], os.Args[2], index.Options{})
	pprof.StopCPUProfile()
	fmt.Println(st.Seconds, "wall", cpu()-c0, "cpu", err)
}
