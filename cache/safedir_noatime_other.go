//go:build unix && !linux

package cache

// oNoatime is Linux's O_NOATIME, which other systems lack.
const oNoatime = 0
