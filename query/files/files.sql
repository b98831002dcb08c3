-- The snapshot entries of repo ?1 (of revision ?2 alone when it is not
-- NULL), in commit hash and path order, with the blob each links and
-- whether another revision of the same repo links that blob too.
SELECT
    r.cache_id      AS cache_id,
    v.id            AS revision,
    v.commit_hash   AS commit_hash,
    coalesce((SELECT group_concat(name, ',') FROM (SELECT name FROM refs x
              WHERE x.revision = v.id ORDER BY name)), '') AS refs,
    f.rel_path      AS rel_path,
    f.file_path     AS file_path,
    f.kind          AS kind,
    f.blob IS NOT NULL AS linked,
    coalesce(b.size, 0)  AS size,
    coalesce(b.path, '') AS blob_path,
    coalesce(b.atime, 0) AS atime,
    f.blob IS NOT NULL AND NOT EXISTS (
        SELECT 1 FROM files f2 JOIN revisions w ON w.id = f2.revision
        WHERE f2.blob = f.blob AND w.repo = v.repo AND w.id <> v.id) AS exclusive
FROM revisions v
JOIN repos r ON r.id = v.repo
JOIN files f ON f.revision = v.id
LEFT JOIN blobs b ON b.id = f.blob
WHERE v.repo = ?1 AND (?2 IS NULL OR v.id = ?2)
ORDER BY v.commit_hash, f.rel_path;
