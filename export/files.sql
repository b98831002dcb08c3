-- Every snapshot entry with its repo, revision and the blob it leads to,
-- ordered so that a folder's entries are contiguous (byte order of
-- rel_path: every "a/..." sorts together).
SELECT
    r.folder                   AS folder,
    r.cache_id                 AS repo,
    v.commit_hash              AS revision,
    f.rel_path                 AS path,
    f.kind                     AS kind,
    b.path                     AS blob,
    coalesce(b.size, 0)        AS size,
    coalesce(b.usage, 0)       AS usage,
    coalesce(b.dev, 0)         AS dev,
    coalesce(b.ino, 0)         AS ino,
    coalesce(b.missing, 1)     AS missing,
    l.last_used                AS last_used,
    count(*) OVER (PARTITION BY b.dev, b.ino) AS links -- entries of the export leading to the same inode
FROM files f
JOIN revisions v ON v.id = f.revision
JOIN repos r ON r.id = v.repo
LEFT JOIN blobs b ON b.id = f.blob
LEFT JOIN blob_last_use l ON l.blob = f.blob
ORDER BY r.folder, v.commit_hash, f.rel_path;
