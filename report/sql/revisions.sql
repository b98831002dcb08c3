-- The revisions of repo ?1, largest first, as revision_usage counts them.
SELECT revision, commit_hash, size_on_disk, exclusive_size, last_modified, refs
FROM revision_usage
WHERE repo = ?1
ORDER BY size_on_disk DESC, commit_hash;
