-- The repos a name given to `hfidx ls REPO` may mean: ?1 compared with the
-- cache id and the repo id, byte for byte (exact = 1) or with SQLite's
-- ASCII case folding (exact = 0).
SELECT id AS repo, cache_id, folder,
       (cache_id = ?1 OR repo_id = ?1) AS exact
FROM repos
WHERE lower(cache_id) = lower(?1) OR lower(repo_id) = lower(?1)
ORDER BY cache_id, folder;
