//go:build !linux

package main

import "fmt"

// holdFile is for the in-use tests, which read /proc and run on Linux
// only: elsewhere the helper process says so and fails.
func holdFile(path string) int {
	fmt.Println("holding a file for the in-use tests needs Linux")
	return 1
}
