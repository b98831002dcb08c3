-- Repos not accessed for 90 days, oldest first.
SELECT cache_id, size_on_disk, last_accessed,
       round((strftime('%s', 'now') - last_accessed) / 86400.0, 1) AS days_unused
FROM repo_usage
WHERE last_accessed < strftime('%s', 'now') - 90 * 86400
ORDER BY last_accessed, cache_id;
