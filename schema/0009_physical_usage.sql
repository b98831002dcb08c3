-- Allocated bytes beside apparent ones, and the shared store in what a
-- revision alone frees. usage is st_blocks*512 with each inode counted
-- once, so hard links, sparse files and shared payloads are told
-- truthfully; sizes keep the library's apparent bytes.

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
          WHERE rb.repo = v.repo AND b.repo = v.repo AND b.payload IS NULL)
       + (SELECT coalesce(sum(p.size), 0) FROM payloads p
          WHERE p.manifest = 1
            AND p.id IN (SELECT b.payload FROM blobs b WHERE b.repo = v.repo AND b.payload IS NOT NULL)
            AND NOT EXISTS (SELECT 1 FROM blobs b WHERE b.payload = p.id AND (b.repo IS NULL OR b.repo <> v.repo)))
    ELSE coalesce((SELECT sum(b.size) FROM blobs b
         WHERE b.id IN (SELECT f.blob FROM files f WHERE f.revision = v.id) AND b.payload IS NULL
           AND ((b.kind = 'copy' AND substr(b.path, 1, length(v.snapshot_path) + 1) = v.snapshot_path || '/')
                OR (b.kind = 'blob' AND b.repo = v.repo
                    AND NOT EXISTS (SELECT 1 FROM files f2 JOIN revisions w ON w.id = f2.revision
                                    WHERE f2.blob = b.id AND w.repo = v.repo AND w.id <> v.id)))), 0)
       + (SELECT coalesce(sum(p.size), 0) FROM payloads p
          WHERE p.manifest = 1
            AND p.id IN (SELECT b.payload FROM files f JOIN blobs b ON b.id = f.blob
                         WHERE f.revision = v.id AND b.payload IS NOT NULL)
            AND NOT EXISTS (SELECT 1 FROM blobs b WHERE b.payload = p.id
                            AND NOT (b.repo = v.repo AND b.kind = 'blob'
                                     AND EXISTS (SELECT 1 FROM files f WHERE f.blob = b.id AND f.revision = v.id)
                                     AND NOT EXISTS (SELECT 1 FROM files f2 JOIN revisions w ON w.id = f2.revision
                                                     WHERE f2.blob = b.id AND w.repo = v.repo AND w.id <> v.id))))
    END             AS exclusive_size, -- bytes deleting this revision alone frees (hfidx delete's plan; a shared payload once its last link goes)
    coalesce((SELECT sum(usage) FROM (SELECT DISTINCT b.dev, b.ino, b.usage FROM files f JOIN blobs b ON b.id = f.blob
              WHERE f.revision = v.id AND b.missing = 0)), 0)
                    AS usage          -- allocated bytes of its distinct blobs, each inode once
FROM revisions v JOIN repos r ON r.id = v.repo;

DROP VIEW repo_usage;

-- repo_usage: one row per repo with the library's numbers.
CREATE VIEW repo_usage AS
SELECT
    r.id        AS repo,            -- repos.id
    r.folder    AS folder,          -- entry name in the cache
    r.path      AS repo_path,       -- absolute path of the repo folder
    r.repo_type AS repo_type,       -- model, dataset, space or kernel
    r.repo_id   AS repo_id,         -- e.g. org/name
    r.cache_id  AS cache_id,        -- e.g. model/org/name
    r.damaged   AS damaged,         -- 1 when huggingface_hub would drop it
    coalesce(s.size, 0)     AS size_on_disk,  -- bytes over the repo's distinct blobs
    coalesce(s.nb, 0)       AS nb_files,      -- number of distinct blobs
    coalesce(s.atime, r.atime) AS last_accessed, -- newest blob atime, else the folder's
    coalesce(s.mtime, r.mtime) AS last_modified, -- newest blob mtime, else the folder's
    (SELECT count(*) FROM revisions v WHERE v.repo = r.id) AS nb_revisions, -- number of snapshot folders
    coalesce((SELECT group_concat(name, ',') FROM (SELECT name FROM refs x
              WHERE x.repo = r.id ORDER BY name)), '') AS refs, -- all ref names, comma separated, sorted
    coalesce((SELECT sum(usage) FROM (SELECT DISTINCT b.dev, b.ino, b.usage FROM repo_blobs rb
              JOIN blobs b ON b.id = rb.blob WHERE rb.repo = r.id AND b.missing = 0)), 0)
        AS usage -- allocated bytes of its distinct blobs, each inode once (a shared payload counts in every repo using it)
FROM repos r
LEFT JOIN (
    SELECT rb.repo, sum(b.size) AS size, count(*) AS nb, max(b.atime) AS atime, max(b.mtime) AS mtime
    FROM repo_blobs rb JOIN blobs b ON b.id = rb.blob
    GROUP BY rb.repo
) s ON s.repo = r.id;

DROP VIEW cache_usage;

-- cache_usage: one row with the cache totals.
CREATE VIEW cache_usage AS
SELECT
    CASE WHEN (SELECT value FROM meta WHERE key = 'store') = '1'
    THEN coalesce((SELECT sum(size) FROM (
             SELECT DISTINCT b.id, b.size FROM repo_blobs rb
             JOIN blobs b ON b.id = rb.blob JOIN repos r ON r.id = rb.repo
             WHERE r.damaged = 0 AND b.payload IS NULL)), 0)
         + coalesce((SELECT sum(size) FROM payloads), 0)
    ELSE coalesce((SELECT sum(size_on_disk) FROM repo_usage WHERE damaged = 0), 0)
    END AS size_on_disk, -- huggingface_hub's total: healthy repos (with a shared store, each payload once)
    coalesce((SELECT sum(size_on_disk) FROM repo_usage WHERE damaged = 1), 0)
        AS damaged_size_on_disk, -- what damaged repos hold
    (SELECT count(*) FROM repos) AS repos,                          -- repos listed, damaged included
    (SELECT count(*) FROM repos WHERE damaged = 1) AS damaged_repos, -- damaged repos
    (SELECT count(*) FROM revisions) AS revisions,                  -- snapshot folders
    (SELECT count(*) FROM files) AS files,                          -- snapshot entries
    (SELECT count(*) FROM blobs) AS blobs,                          -- distinct blob paths
    coalesce((SELECT sum(size) FROM incomplete_files), 0) AS incomplete_size, -- bytes of interrupted downloads
    (SELECT count(*) FROM incomplete_files) AS incomplete_files,    -- interrupted downloads
    (SELECT count(*) FROM warnings) AS warnings,                    -- warnings of the last sync
    coalesce((SELECT sum(usage) FROM (SELECT DISTINCT b.dev, b.ino, b.usage FROM blobs b
              WHERE b.missing = 0 AND (b.kind <> 'external' OR b.payload IS NOT NULL))), 0)
    + coalesce((SELECT sum(p.usage) FROM payloads p
                WHERE NOT EXISTS (SELECT 1 FROM blobs b WHERE b.payload = p.id)), 0)
        AS usage; -- allocated bytes of every blob, copy and store payload in the cache, each inode once (orphans and damaged repos included)
