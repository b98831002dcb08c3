// Package cache is the on-disk model of a Hugging Face Hub cache.
//
// It is the only package that knows the layout huggingface_hub writes: repo
// folders named `<type>s--<namespace>--<name>`, their refs, snapshots and
// blobs, the `.no_exist` markers, interrupted downloads and the cache-wide
// shared blob store. It scans with Lstat and Readlink, never follows a
// directory symlink and never aborts on one bad entry: problems become
// warnings that name the entry.
//
// Vocabulary:
//
//   - Repo: one top-level folder of the cache, such as
//     `models--google--bert-base-uncased`, identified by a RepoType and a
//     repo id (`google/bert-base-uncased`).
//   - Revision: a folder of `<repo>/snapshots/`, named by a commit hash; it
//     holds the files of the repo at that commit.
//   - Ref: a file under `<repo>/refs/` (`main`, `v1.0`, `refs/pr/1`) whose
//     content names a revision.
//   - File: an entry of a revision. Normally a relative symlink to a blob;
//     in no-symlink mode a real file (a copy).
//   - Blob: the bytes a file stands for. For a link it is the first hop, the
//     repo-local entry `<repo>/blobs/<etag>`, or the fully resolved target
//     when the link points elsewhere; for a copy it is the file itself.
//   - Payload: a file of the shared store `<cache>/blobs/<xx>/<xet hash>`
//     that repo blob entries link to (a second hop).
//
// Sizes are apparent sizes (st_size), as huggingface_hub reports them;
// Usage is allocated bytes (st_blocks*512).
package cache
