-- Every repo, largest first, with the numbers the report's table shows.
SELECT
    u.repo          AS repo,
    u.folder        AS folder,
    u.cache_id      AS cache_id,
    u.size_on_disk  AS size_on_disk,
    u.nb_files      AS nb_files,
    u.nb_revisions  AS nb_revisions,
    u.refs          AS refs,
    u.damaged       AS damaged,
    u.last_modified AS last_modified
FROM repo_usage u
ORDER BY u.size_on_disk DESC, u.cache_id, u.folder;
