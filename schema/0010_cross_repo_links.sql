-- A blob that a snapshot entry of another repo links is kept by a
-- deletion (schema/plan/held.sql), so what a revision alone frees leaves
-- it out: revision_usage as 0009 made it, with that rule.

DROP VIEW revision_usage;

-- revision_usage: one row per revision with the library's numbers and what deleting it alone frees.
CREATE VIEW revision_usage AS
SELECT
    v.id            AS revision,      -- revisions.id
    v.repo          AS repo,          -- repos.id
    r.cache_id      AS cache_id,      -- the repo's cache id, e.g. model/org/name
    v.commit_hash   AS commit_hash,   -- the snapshot folder name
    v.snapshot_path AS snapshot_path, -- absolute path of the snapshot folder
    coalesce((SELECT sum(b.size) FROM blobs b
              WHERE b.id IN (SELECT f.blob FROM files f WHERE f.revision = v.id)), 0)
                    AS size_on_disk,  -- bytes over the revision's distinct blobs
    (SELECT count(*) FROM files f WHERE f.revision = v.id AND f.blob IS NOT NULL)
                    AS nb_files,      -- entries of the snapshot (two links to one blob count twice)
    coalesce((SELECT max(b.mtime) FROM files f JOIN blobs b ON b.id = f.blob
              WHERE f.revision = v.id), v.mtime)
                    AS last_modified, -- newest blob mtime, else the folder's mtime
    coalesce((SELECT group_concat(name, ',') FROM (SELECT name FROM refs x
              WHERE x.revision = v.id ORDER BY name)), '')
                    AS refs,          -- names of the refs naming it, comma separated, sorted
    CASE WHEN (SELECT count(*) FROM revisions w WHERE w.repo = v.repo) = 1
    THEN (SELECT coalesce(sum(b.size), 0) FROM repo_blobs rb JOIN blobs b ON b.id = rb.blob
          WHERE rb.repo = v.repo AND b.repo = v.repo AND b.payload IS NULL
            AND NOT EXISTS (SELECT 1 FROM files f3 JOIN revisions w3 ON w3.id = f3.revision WHERE f3.blob = b.id AND w3.repo <> v.repo))
       + (SELECT coalesce(sum(p.size), 0) FROM payloads p
          WHERE p.manifest = 1
            AND p.id IN (SELECT b.payload FROM blobs b WHERE b.repo = v.repo AND b.payload IS NOT NULL)
            AND NOT EXISTS (SELECT 1 FROM blobs b WHERE b.payload = p.id
                            AND (b.repo IS NULL OR b.repo <> v.repo OR NOT NOT EXISTS (SELECT 1 FROM files f3 JOIN revisions w3 ON w3.id = f3.revision WHERE f3.blob = b.id AND w3.repo <> v.repo))))
    ELSE coalesce((SELECT sum(b.size) FROM blobs b
         WHERE b.id IN (SELECT f.blob FROM files f WHERE f.revision = v.id) AND b.payload IS NULL
           AND ((b.kind = 'copy' AND substr(b.path, 1, length(v.snapshot_path) + 1) = v.snapshot_path || '/')
                OR (b.kind = 'blob' AND b.repo = v.repo AND NOT EXISTS (SELECT 1 FROM files f3 JOIN revisions w3 ON w3.id = f3.revision WHERE f3.blob = b.id AND w3.repo <> v.repo)
                    AND NOT EXISTS (SELECT 1 FROM files f2 JOIN revisions w ON w.id = f2.revision
                                    WHERE f2.blob = b.id AND w.repo = v.repo AND w.id <> v.id)))), 0)
       + (SELECT coalesce(sum(p.size), 0) FROM payloads p
          WHERE p.manifest = 1
            AND p.id IN (SELECT b.payload FROM files f JOIN blobs b ON b.id = f.blob
                         WHERE f.revision = v.id AND b.payload IS NOT NULL)
            AND NOT EXISTS (SELECT 1 FROM blobs b WHERE b.payload = p.id
                            AND NOT (b.repo = v.repo AND b.kind = 'blob' AND NOT EXISTS (SELECT 1 FROM files f3 JOIN revisions w3 ON w3.id = f3.revision WHERE f3.blob = b.id AND w3.repo <> v.repo)
                                     AND EXISTS (SELECT 1 FROM files f WHERE f.blob = b.id AND f.revision = v.id)
                                     AND NOT EXISTS (SELECT 1 FROM files f2 JOIN revisions w ON w.id = f2.revision
                                                     WHERE f2.blob = b.id AND w.repo = v.repo AND w.id <> v.id))))
    END             AS exclusive_size, -- bytes deleting this revision alone frees (hfidx delete's plan; a shared payload once its last link goes)
    coalesce((SELECT sum(usage) FROM (SELECT DISTINCT b.dev, b.ino, b.usage FROM files f JOIN blobs b ON b.id = f.blob
              WHERE f.revision = v.id AND b.missing = 0)), 0)
                    AS usage          -- allocated bytes of its distinct blobs, each inode once
FROM revisions v JOIN repos r ON r.id = v.repo;
