-- The deletion plan: every path a deletion removes and the bytes it frees,
-- following huggingface_hub's strategy (delete_revisions, delete_files and
-- the shared-store sweep), made safe. Used by `hfidx delete` and, with the
-- candidates of schema/plan/prune.sql, by `hfidx prune`.
-- ?1: JSON array of revisions.id selected; ?2: JSON array of repos.id
-- selected whole; ?3: JSON array of files.id (snapshot entries) selected;
-- ?4: JSON array of blobs.id of orphan entries of <repo>/blobs to remove;
-- ?5: JSON array of payloads.id of unreferenced store payloads to sweep;
-- ?6: JSON array of blobs.id kept because a snapshot entry of another repo
-- links them (schema/plan/held.sql); a repo holding one is never removed
-- whole: its revisions go, its folder and those blobs stay.
-- One row per item:
--   repo      a repo folder removed whole (every revision selected, or the repo itself)
--   snapshot  a snapshot folder of a selected revision of a repo that stays
--   ref       a ref naming such a revision
--   file      a selected snapshot entry outside removed snapshots and repos
--   blob      an entry of <repo>/blobs that no remaining entry of the repo links
--   copy      a real file inside a removed snapshot, or a selected real file (counted, removed with it)
--   payload   a store payload whose every reference goes (the sweep removes it)
--   usage     one row: the allocated bytes the plan frees, each inode once
--   break     a snapshot entry of another repo that the plan leaves dangling (other: its blob)
-- size is what the item frees in apparent bytes (0 for snapshots, refs and
-- files; for a repo, its blobs as revision_usage.exclusive_size counts
-- them). A repo entry that links into the shared store frees nothing by
-- itself: its payload is counted once, as a payload row, and only when no
-- entry outside the plan still leads to it and it has a manifest (a payload
-- without one is never swept). Blobs outside the repo (links to another repo
-- or out of the cache) are never planned and never counted: the link goes
-- with its snapshot.
-- This statement is near the nesting SQLite 3.51 accepts ("VIEWs and/or
-- subqueries nested too deep" with a few more subqueries): a new kind of
-- row goes in a statement of its own, as held.sql.
WITH
sel AS MATERIALIZED (
    SELECT DISTINCT CAST(value AS INTEGER) AS id FROM json_each(?1)
),
whole AS MATERIALIZED (
    SELECT CAST(value AS INTEGER) AS id FROM json_each(?2)
    UNION
    SELECT v.repo FROM revisions v JOIN sel ON sel.id = v.id
    WHERE NOT EXISTS (SELECT 1 FROM revisions w
                      WHERE w.repo = v.repo AND w.id NOT IN (SELECT id FROM sel))
      AND v.repo NOT IN (SELECT repo FROM blobs WHERE id IN (SELECT CAST(value AS INTEGER) FROM json_each(?6)))
),
snaps AS MATERIALIZED (
    SELECT v.id, v.repo, v.snapshot_path FROM revisions v JOIN sel ON sel.id = v.id
    WHERE v.repo NOT IN (SELECT id FROM whole)
),
fsel AS MATERIALIZED (
    SELECT f.id, f.file_path, f.kind, f.blob, v.id AS revision, v.repo
    FROM files f JOIN revisions v ON v.id = f.revision
    WHERE f.id IN (SELECT CAST(value AS INTEGER) FROM json_each(?3))
      AND v.repo NOT IN (SELECT id FROM whole) AND v.id NOT IN (SELECT id FROM sel)
),
-- An entry that stays (in a revision neither selected nor in a repo
-- removed whole, and not selected itself) keeps the blob it links; gone
-- checks that with a correlated subquery through files_blob, so only the
-- blobs the plan touches are looked at.
-- CROSS JOINs keep the order written (the few rows selected first, then
-- what they reach through an index): without statistics SQLite may
-- otherwise scan every file or blob of the cache.
touched AS MATERIALIZED (
    SELECT f.blob, s.repo FROM snaps s CROSS JOIN files f ON f.revision = s.id WHERE f.blob IS NOT NULL
    UNION
    SELECT x.blob, x.repo FROM fsel x WHERE x.blob IS NOT NULL
),
gone AS MATERIALIZED (
    SELECT b.id FROM snaps s CROSS JOIN files f ON f.revision = s.id CROSS JOIN blobs b ON b.id = f.blob
    WHERE b.repo = s.repo AND b.kind = 'copy'
      AND substr(b.path, 1, length(s.snapshot_path) + 1) = s.snapshot_path || '/'
    UNION
    SELECT b.id FROM fsel x JOIN blobs b ON b.id = x.blob
    WHERE b.kind = 'copy' AND b.path = x.file_path
    UNION
    SELECT b.id FROM touched t JOIN blobs b ON b.id = t.blob
    WHERE b.repo = t.repo AND b.kind = 'blob' AND b.id NOT IN (SELECT CAST(value AS INTEGER) FROM json_each(?6))
      AND NOT EXISTS (SELECT 1 FROM files k JOIN revisions w ON w.id = k.revision
                      WHERE k.blob = b.id AND w.repo = t.repo
                        AND w.repo NOT IN (SELECT id FROM whole) AND w.id NOT IN (SELECT id FROM sel)
                        AND k.id NOT IN (SELECT CAST(value AS INTEGER) FROM json_each(?3)))
    UNION
    SELECT b.id FROM blobs b
    WHERE b.id IN (SELECT CAST(value AS INTEGER) FROM json_each(?4))
      AND b.kind = 'blob' AND b.repo NOT IN (SELECT id FROM whole) AND b.id NOT IN (SELECT CAST(value AS INTEGER) FROM json_each(?6))
      AND NOT EXISTS (SELECT 1 FROM files k JOIN revisions w ON w.id = k.revision
                      WHERE k.blob = b.id
                        AND w.repo NOT IN (SELECT id FROM whole) AND w.id NOT IN (SELECT id FROM sel)
                        AND k.id NOT IN (SELECT CAST(value AS INTEGER) FROM json_each(?3)))
),
-- every blob row whose path the plan removes
removed AS MATERIALIZED (
    SELECT id FROM gone
    UNION
    SELECT b.id FROM blobs b WHERE b.repo IN (SELECT id FROM whole)
),
released AS MATERIALIZED (
    SELECT p.id, p.path, p.size, p.usage FROM payloads p
    WHERE p.manifest = 1
      AND (p.id IN (SELECT b.payload FROM blobs b WHERE b.id IN (SELECT id FROM removed) AND b.payload IS NOT NULL)
           OR p.id IN (SELECT CAST(value AS INTEGER) FROM json_each(?5)))
      AND NOT EXISTS (SELECT 1 FROM blobs b WHERE b.payload = p.id AND b.id NOT IN (SELECT id FROM removed))
),
-- inodes the removed paths hold; one is freed when every link to it goes
inodes AS MATERIALIZED (
    SELECT b.dev, b.ino, max(b.usage) AS usage, max(b.nlink) AS nlink, count(*) AS n
    FROM blobs b
    WHERE b.id IN (SELECT id FROM removed) AND b.payload IS NULL AND b.missing = 0 AND b.kind <> 'external'
    GROUP BY b.dev, b.ino
)
SELECT 'usage' AS kind, '' AS path, NULL AS repo, NULL AS revision, 0 AS size, i.usage + p.usage AS usage, '' AS other
FROM (SELECT coalesce(sum(usage), 0) AS usage FROM inodes WHERE n >= nlink) i,
     (SELECT coalesce(sum(usage), 0) AS usage FROM released) p
UNION ALL
SELECT 'payload', p.path, NULL, NULL, p.size, p.usage, '' FROM released p
UNION ALL
SELECT 'repo', r.path, r.id, NULL,
       coalesce((SELECT sum(b.size) FROM blobs b
                 WHERE b.repo = r.id AND b.payload IS NULL
                   AND EXISTS (SELECT 1 FROM files f JOIN revisions v ON v.id = f.revision
                               WHERE f.blob = b.id AND v.repo = r.id)), 0),
       0, ''
FROM repos r WHERE r.id IN (SELECT id FROM whole)
UNION ALL
SELECT 'snapshot', s.snapshot_path, s.repo, s.id, 0, 0, '' FROM snaps s
UNION ALL
SELECT 'ref', x.path, x.repo, x.revision, 0, 0, '' FROM refs x WHERE x.revision IN (SELECT id FROM snaps)
UNION ALL
SELECT 'file', x.file_path, x.repo, x.revision, 0, 0, '' FROM fsel x
UNION ALL
SELECT b.kind, b.path, b.repo, NULL, CASE WHEN b.payload IS NULL THEN b.size ELSE 0 END, 0, ''
FROM blobs b WHERE b.id IN (SELECT id FROM gone)
UNION ALL
-- snapshot entries of other repos, staying, that link what the plan
-- removes (delete --break-links, or a copy inside a removed snapshot)
SELECT 'break', k.file_path, w.repo, k.revision, 0, 0, b.path
FROM removed x CROSS JOIN blobs b ON b.id = x.id
CROSS JOIN files k ON k.blob = b.id CROSS JOIN revisions w ON w.id = k.revision
WHERE b.repo IS NOT NULL AND w.repo <> b.repo
  AND w.repo NOT IN (SELECT id FROM whole) AND w.id NOT IN (SELECT id FROM sel)
  AND k.id NOT IN (SELECT CAST(value AS INTEGER) FROM json_each(?3))
ORDER BY 1, 2;
