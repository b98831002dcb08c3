// Package cachetest builds Hugging Face Hub caches on disk for tests and
// predicts what huggingface_hub's scan_cache_dir() reports for them.
//
// A Cache is a declarative spec, in the style of restic's TestDir: repos,
// revisions, files, refs, the shared blob store, corruptions and arbitrary
// extra entries. Build writes it (relative symlinks, blobs named by the real
// hash of their content, every declared time set with os.Chtimes after the
// contents). Random draws a spec from a seed. Expect computes, from the spec
// alone and by the rules of hf-cache.md §2 and shared-blobs.md §2, the
// sizes, counts, times, refs, warnings and incomplete downloads the library
// reports; it lays the spec out in memory and runs the library's algorithm
// there (Python 3.11 pathlib semantics: glob("**/*") does not descend into
// symlinked directories, first-hop blob paths, resolve() for other links),
// and never looks at the built tree. Diff compares a scanner's result with
// the prediction.
//
// Where the library's outcome depends on directory order (a repo with two
// different problems), Expect takes names in byte order.
//
// # Text format
//
// Parse reads a spec from text, so that testscript scenarios (txtar cannot
// hold symlinks) can describe caches. The format is line based; indentation
// is ignored; a "#" at the start of a word starts a comment. A line is a
// directive followed by words. A word is bare (no space or quote) or a Go
// string literal ("..." or `...`); an option is key=value, whose value may be
// a literal too. <content> is a quoted string, or size=N (N zero bytes),
// optionally followed by sparse. <time> is any of time=T (access and
// modification), atime=T, mtime=T, with T = seconds since the epoch and an
// optional fraction of up to 9 digits (1700000000.123456).
//
//	root-entries                                  CACHEDIR.TAG and .locks/<folder>/<etag>.lock
//	store [marker=<string>] [nomarker]            the shared blob store (marker default "1\n")
//	payload <content> [hash=H] [nomanifest] [ref=<line>]... [<time>]
//	                                              a store payload no file links to, its manifest lines
//	repo <type> <id> [folder=<name>] [<time>]     starts a repo; time is the folder's
//	rev <hash> [<time>]                           starts a revision of the repo; time is the folder's
//	file <path> <content> [lfs] [<time>]          a symlink to blobs/<etag>; time is the blob's
//	copy <path> <content> [<time>]                a real file (no-symlink mode)
//	shared <path> <content> [<time>]              a symlink to a repo blob that links into the store
//	ref <name> <value>                            refs/<name>, content written verbatim ("abc\n" keeps its newline)
//	orphan <content> [lfs] [<time>]               a blob no snapshot links to
//	incomplete <name> size=N [<time>]             blobs/<name>[.incomplete]
//	noexist <commit> <path>...                    .no_exist/<commit>/<path> markers
//	tree <commit>                                 trees/<commit>.json
//	corrupt <kind> [rev=<hash>] [path=<p>] [content=<string>] [<time>]
//	                                              kind: broken-link, dangling-ref, refs-is-file, no-snapshots,
//	                                              file-in-snapshots, ref-trailing-newline, ref-tmp-leftover,
//	                                              symlink-loop, link-outside-cache, dir-symlink-in-snapshot,
//	                                              ds-store-in-revision, revision-is-symlink,
//	                                              dangling-revision-symlink, fifo-in-snapshot
//	extra file <path> <content> [<time>]          any entry, path relative to the cache root
//	extra dir <path> [<time>]
//	extra symlink <path> <target>
//	extra fifo <path> [<time>]
//
// File, copy and shared lines belong to the last rev; ref to corrupt lines
// to the last repo; the other directives are global and may appear anywhere.
// For example:
//
//	repo model org/name time=1700000000
//	  rev 1111111111111111111111111111111111111111 time=1700000100
//	    file config.json "{}\n" time=1700000200
//	    file weights/big.bin size=3000000000 sparse
//	    copy README.md "real file"
//	  ref main 1111111111111111111111111111111111111111
//	  ref v1.0 "1111111111111111111111111111111111111111\n"   # verbatim: this newline makes the repo warned
//	extra dir not-a-repo
//	extra symlink models--alias--name models--org--name
//
// Format writes a spec back in this format.
package cachetest
