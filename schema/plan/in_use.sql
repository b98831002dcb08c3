-- The entries of <repo>/blobs a deletion could remove, with the device and
-- inode of what they lead to (the blob, or the store payload a link leads
-- to), for the planner to keep those a live process has open or mapped:
-- every blob of a repo the selection touches, and the orphans selected.
-- Parameters as schema/plan/delete.sql's ?1 to ?4. whole says whether the
-- blob's repo is selected whole (the repo, or all its revisions).
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
touched AS MATERIALIZED (
    SELECT id AS repo FROM whole
    UNION SELECT v.repo FROM sel CROSS JOIN revisions v ON v.id = sel.id
    UNION SELECT v.repo FROM json_each(?3) j CROSS JOIN files f ON f.id = CAST(j.value AS INTEGER)
          CROSS JOIN revisions v ON v.id = f.revision
)
SELECT b.id, b.repo, b.path, b.size, coalesce(b.dev, 0) AS dev, coalesce(b.ino, 0) AS ino, b.repo IN (SELECT id FROM whole) AS whole
FROM touched t CROSS JOIN blobs b ON b.repo = t.repo
WHERE b.kind = 'blob' AND b.missing = 0
UNION
SELECT b.id, b.repo, b.path, b.size, coalesce(b.dev, 0), coalesce(b.ino, 0), 0
FROM json_each(?4) j CROSS JOIN blobs b ON b.id = CAST(j.value AS INTEGER)
WHERE b.missing = 0
ORDER BY 3;
