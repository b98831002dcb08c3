-- What a full prune would free: detached revisions of repos that keep a ref, interrupted downloads, orphan blobs older than an hour.
WITH det AS (
    SELECT revision, repo FROM detached_revisions WHERE repo_refs > 0
), freed AS (
    SELECT DISTINCT b.id, b.size
    FROM det JOIN files f ON f.revision = det.revision JOIN blobs b ON b.id = f.blob
    WHERE b.repo = det.repo
      AND (b.kind = 'copy'
           OR NOT EXISTS (SELECT 1 FROM files f2 JOIN revisions w ON w.id = f2.revision
                          WHERE f2.blob = b.id AND w.repo = det.repo
                            AND w.id NOT IN (SELECT revision FROM det)))
)
SELECT 'detached revisions' AS kind, (SELECT count(*) FROM det) AS count,
       (SELECT coalesce(sum(size), 0) FROM freed) AS bytes
UNION ALL
SELECT 'incomplete downloads', count(*), coalesce(sum(size), 0) FROM incomplete_files
UNION ALL
SELECT 'orphan blobs older than 1 hour', count(*), coalesce(sum(size), 0)
FROM blob_usage
WHERE nb_files = 0 AND kind = 'blob' AND mtime < strftime('%s', 'now') - 3600;
