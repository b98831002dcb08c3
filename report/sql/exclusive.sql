-- What deleting each repo whole frees of what its snapshots link: the
-- blobs and copies it holds that no snapshot of another repo links, and
-- the store payloads (with a manifest) that only such blobs of it lead to.
-- It is revision_usage.exclusive_size of a repo's only revision, for
-- every repo at once; orphan blobs and interrupted downloads are left out.
WITH links AS (
    SELECT DISTINCT v.repo AS repo, f.blob AS blob
    FROM files f JOIN revisions v ON v.id = f.revision
    WHERE f.blob IS NOT NULL
),
foreign_linked AS (
    SELECT DISTINCT l.blob AS blob
    FROM links l JOIN blobs b ON b.id = l.blob
    WHERE b.repo IS NULL OR b.repo <> l.repo
),
own AS (
    SELECT l.repo AS repo, sum(b.size) AS size
    FROM links l JOIN blobs b ON b.id = l.blob
    WHERE b.repo = l.repo AND b.payload IS NULL
      AND l.blob NOT IN (SELECT blob FROM foreign_linked)
    GROUP BY l.repo
),
pay AS (
    SELECT min(b.repo) AS repo, p.size AS size
    FROM payloads p JOIN blobs b ON b.payload = p.id
    WHERE p.manifest = 1
    GROUP BY p.id
    HAVING count(DISTINCT coalesce(b.repo, -1)) = 1 AND min(b.repo) IS NOT NULL
       AND sum(b.id IN (SELECT blob FROM foreign_linked)) = 0
)
SELECT
    r.id AS repo,
    coalesce((SELECT size FROM own WHERE own.repo = r.id), 0)
      + coalesce((SELECT sum(size) FROM pay WHERE pay.repo = r.id), 0) AS exclusive
FROM repos r;
