-- Blobs a deletion keeps because another repo links them: entries of
-- <repo>/blobs, in a repo the selection touches, that a snapshot entry of
-- another repo links while that entry stays (its revision is not selected,
-- its repo is not selected whole, it is not selected itself). Parameters as
-- schema/plan/delete.sql's ?1, ?2 and ?3. One row per blob, with the first
-- such entry (by path) as the reason, and whether the blob's repo is
-- selected whole (all its revisions, or the repo itself).
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
),
fsel AS MATERIALIZED (
    SELECT CAST(value AS INTEGER) AS id FROM json_each(?3)
),
touched AS MATERIALIZED (
    SELECT id AS repo FROM whole
    UNION SELECT v.repo FROM sel CROSS JOIN revisions v ON v.id = sel.id
    UNION SELECT v.repo FROM fsel CROSS JOIN files f ON f.id = fsel.id CROSS JOIN revisions v ON v.id = f.revision
)
SELECT b.id AS blob, b.repo AS repo, b.path AS path, b.size AS size, min(k.file_path) AS linked_by,
       b.repo IN (SELECT id FROM whole) AS whole
FROM touched t
CROSS JOIN blobs b ON b.repo = t.repo
CROSS JOIN files k ON k.blob = b.id
CROSS JOIN revisions w ON w.id = k.revision
WHERE b.kind = 'blob' AND w.repo <> b.repo
  AND w.repo NOT IN (SELECT id FROM whole) AND w.id NOT IN (SELECT id FROM sel)
  AND k.id NOT IN (SELECT id FROM fsel)
GROUP BY b.id
ORDER BY b.path;
