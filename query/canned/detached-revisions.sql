-- Revisions no ref names, largest first, with what deleting each alone frees.
SELECT cache_id, commit_hash, size_on_disk, exclusive_size, last_modified, repo_refs
FROM detached_revisions
ORDER BY exclusive_size DESC, cache_id, commit_hash;
