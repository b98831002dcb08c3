-- The entries of one revision that `hfidx browse` lists, largest first,
-- with how many entries, revisions and repos link the same blob (1, 1, 1:
-- no other entry needs it).
-- ?1: the repo folder (repos.folder); ?2: the snapshot folder name.
SELECT f.rel_path, f.file_path, f.kind,
       f.blob IS NULL                  AS broken,
       coalesce(b.size, 0)             AS size,
       coalesce(b.mtime, 0)            AS mtime,
       coalesce(b.kind, '')            AS blob_kind,
       coalesce(b.path, '')            AS blob_path,
       (SELECT count(*) FROM files k WHERE k.blob = f.blob) AS links,
       (SELECT count(DISTINCT k.revision) FROM files k WHERE k.blob = f.blob) AS revisions,
       (SELECT count(DISTINCT w.repo) FROM files k JOIN revisions w ON w.id = k.revision
        WHERE k.blob = f.blob) AS repos
FROM repos r CROSS JOIN revisions v ON v.repo = r.id CROSS JOIN files f ON f.revision = v.id
LEFT JOIN blobs b ON b.id = f.blob
WHERE r.folder = ?1 AND v.commit_hash = ?2
ORDER BY size DESC, f.rel_path;
