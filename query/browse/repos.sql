-- The repos `hfidx browse` lists, largest first: the library's numbers,
-- the number of revisions and every ref name.
SELECT folder, repo_path, cache_id, repo_type, repo_id, damaged, size_on_disk,
       nb_revisions, refs, coalesce(last_modified, 0) AS last_modified
FROM repo_usage
ORDER BY size_on_disk DESC, folder;
