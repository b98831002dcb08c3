package main

import (
	"fmt"
	"io"
	"time"

	"github.com/dustin/go-humanize"
)

// progress prints one self-overwriting line on stderr while a sync runs
// for longer than a second: the top-level entries done of the total and
// the entries (files and blobs) read per second. It is only used when
// stderr is a terminal.
type progress struct {
	w     io.Writer
	start time.Time
	last  time.Time
	shown bool
}

// progressDelay is how long a sync runs before the line shows.
const progressDelay = time.Second

func newProgress(w io.Writer, start time.Time) *progress {
	return &progress{w: w, start: start}
}

func (p *progress) update(done, total, entries int) {
	now := time.Now()
	if now.Sub(p.start) < progressDelay || now.Sub(p.last) < 100*time.Millisecond && done < total {
		return
	}
	p.last = now
	rate := float64(entries) / now.Sub(p.start).Seconds()
	fmt.Fprintf(p.w, "\rsyncing: %s of %s cache entries, %s files and blobs/s \x1b[K",
		humanize.Comma(int64(done)), humanize.Comma(int64(total)), humanize.Comma(int64(rate)))
	p.shown = true
}

// done clears the line, if one was printed.
func (p *progress) done() {
	if p.shown {
		fmt.Fprint(p.w, "\r\x1b[K")
	}
}
