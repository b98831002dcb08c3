//go:build windows

package main

import "syscall"

// oNoFollow opens a symlink (a reparse point) itself instead of following
// it, the nearest Windows has to O_NOFOLLOW.
const oNoFollow = syscall.FILE_FLAG_OPEN_REPARSE_POINT
