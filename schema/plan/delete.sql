-- The deletion plan: every path a deletion removes and the bytes it frees,
-- following huggingface_hub's strategy (delete_revisions), made safe.
-- ?1: JSON array of revisions.id selected; ?2: JSON array of repos.id
-- selected whole. One row per item:
--   repo      a repo folder removed whole (every revision selected, or the repo itself)
--   snapshot  a snapshot folder of a selected revision of a repo that stays
--   ref       a ref naming such a revision
--   blob      an entry of <repo>/blobs that no remaining revision of the repo links
--   copy      a real file inside a removed snapshot (counted, removed with it)
-- size is what the item frees in apparent bytes (0 for snapshots and refs;
-- for a repo, its blobs as revision_usage.exclusive_size counts them).
-- Blobs outside the repo (links to another repo or out of the cache) are
-- never planned and never counted: the link goes with its snapshot.
WITH
sel AS (
    SELECT DISTINCT CAST(value AS INTEGER) AS id FROM json_each(?1)
),
whole AS (
    SELECT CAST(value AS INTEGER) AS id FROM json_each(?2)
    UNION
    SELECT v.repo FROM revisions v JOIN sel ON sel.id = v.id
    WHERE NOT EXISTS (SELECT 1 FROM revisions w
                      WHERE w.repo = v.repo AND w.id NOT IN (SELECT id FROM sel))
),
snaps AS MATERIALIZED (
    SELECT v.id, v.repo, v.snapshot_path FROM revisions v JOIN sel ON sel.id = v.id
    WHERE v.repo NOT IN (SELECT id FROM whole)
),
gone AS (
    SELECT DISTINCT b.id, b.path, b.kind, b.size, b.usage, b.dev, b.ino, s.repo
    -- CROSS JOIN keeps this order (a few snapshots, their files, their
    -- blobs): without statistics SQLite may otherwise scan every blob.
    FROM snaps s CROSS JOIN files f ON f.revision = s.id CROSS JOIN blobs b ON b.id = f.blob
    WHERE b.repo = s.repo
      AND ((b.kind = 'copy' AND substr(b.path, 1, length(s.snapshot_path) + 1) = s.snapshot_path || '/')
           OR (b.kind = 'blob'
               AND NOT EXISTS (SELECT 1 FROM files f2 JOIN revisions w ON w.id = f2.revision
                               WHERE f2.blob = b.id AND w.repo = s.repo
                                 AND w.id NOT IN (SELECT id FROM sel))))
)
SELECT 'repo' AS kind, r.path AS path, r.id AS repo, NULL AS revision,
       coalesce((SELECT sum(b.size) FROM blobs b
                 WHERE b.repo = r.id
                   AND EXISTS (SELECT 1 FROM files f JOIN revisions v ON v.id = f.revision
                               WHERE f.blob = b.id AND v.repo = r.id)), 0) AS size,
       0 AS usage, 0 AS dev, 0 AS ino
FROM repos r WHERE r.id IN (SELECT id FROM whole)
UNION ALL
SELECT 'snapshot', s.snapshot_path, s.repo, s.id, 0, 0, 0, 0 FROM snaps s
UNION ALL
SELECT 'ref', x.path, x.repo, x.revision, 0, 0, 0, 0 FROM refs x WHERE x.revision IN (SELECT id FROM snaps)
UNION ALL
SELECT g.kind, g.path, g.repo, NULL, g.size, g.usage, g.dev, g.ino FROM gone g
ORDER BY 1, 2;
