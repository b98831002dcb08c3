//go:build !linux

package proc

import (
	"fmt"
	"time"
)

// Opens watches folders for files being opened; Linux only.
type Opens struct{}

// WatchOpens returns an error wrapping ErrUnsupported on this system.
func WatchOpens(dirs []string) (*Opens, int, error) {
	return nil, 0, fmt.Errorf("watching opens: %w", ErrUnsupported)
}

// Stop returns nothing on this system.
func (o *Opens) Stop() map[string]time.Time { return nil }
