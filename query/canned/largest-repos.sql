-- The 20 largest repos, with their revisions and last use.
SELECT cache_id, size_on_disk, nb_revisions, nb_files, last_accessed, refs, damaged
FROM repo_usage
ORDER BY size_on_disk DESC, cache_id
LIMIT 20;
