// Command hfidx indexes a Hugging Face Hub cache into SQLite and answers
// questions about it: usage, listings, SQL, and safe deletions.
package main

import "os"

func main() { os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) }
