-- Last-use records: the durable state's records of when each cached file
-- was last used (hfidx touch, run, sample), copied into the index at each
-- sync, and the best known last use (the latest of a record and the atime)
-- in the usage views.

-- usage_records: the state's last-use records of this cache, as the last sync copied them.
CREATE TABLE usage_records (
    path    TEXT PRIMARY KEY, -- absolute path of the file used (a blob, a store payload, a real file in a snapshot)
    used_at REAL NOT NULL,    -- when, epoch seconds
    source  TEXT NOT NULL,    -- touch, run or sample
    detail  TEXT NOT NULL     -- who: the command and its pid, or the touch's note
) WITHOUT ROWID;

-- atime_source: how access times are labelled: atime with the mount's atime mode.
CREATE VIEW atime_source AS
SELECT 'atime' || coalesce(' (' || nullif((SELECT value FROM meta WHERE key = 'atime_mode'), '') || ')', '') AS source; -- e.g. atime (relatime)

-- blob_last_use: one row per blob with its best known last use.
CREATE VIEW blob_last_use AS
SELECT
    b.id AS blob, -- blobs.id
    CASE WHEN u.used_at >= coalesce(b.atime, 0) THEN u.used_at ELSE b.atime END AS last_used, -- the latest of its usage record and its atime
    CASE WHEN u.used_at >= coalesce(b.atime, 0) THEN u.source ELSE (SELECT source FROM atime_source) END AS last_used_source -- touch, run, sample, or atime (with the mount's atime mode)
FROM blobs b
LEFT JOIN payloads p ON p.id = b.payload
LEFT JOIN usage_records u ON u.path = coalesce(p.path, b.path);

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
    (SELECT max(l.last_used) FROM files f JOIN blob_last_use l ON l.blob = f.blob
     WHERE f.revision = v.id) AS last_used, -- best known last use of its blobs, NULL without any
    (SELECT l.last_used_source FROM files f JOIN blob_last_use l ON l.blob = f.blob
     WHERE f.revision = v.id ORDER BY l.last_used DESC, l.last_used_source LIMIT 1) AS last_used_source, -- where last_used comes from
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
    coalesce((SELECT max(l.last_used) FROM repo_blobs rb JOIN blob_last_use l ON l.blob = rb.blob
              WHERE rb.repo = r.id), r.atime) AS last_used, -- best known last use of its blobs: usage records or atime, the latest; else the folder's atime
    coalesce((SELECT l.last_used_source FROM repo_blobs rb JOIN blob_last_use l ON l.blob = rb.blob
              WHERE rb.repo = r.id ORDER BY l.last_used DESC, l.last_used_source LIMIT 1),
             (SELECT source FROM atime_source)) AS last_used_source, -- where last_used comes from: touch, run, sample, or atime (with the mount's atime mode)
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

DROP VIEW blob_usage;

-- blob_usage: one row per blob with how many snapshot entries, revisions and repos use it.
CREATE VIEW blob_usage AS
SELECT
    b.id    AS blob,         -- blobs.id
    b.path  AS path,         -- absolute path of the blob
    b.kind  AS kind,         -- blob, copy or external
    b.repo  AS repo,         -- repos.id of the repo holding it, NULL outside any repo
    b.size  AS size,         -- apparent bytes
    b.usage AS usage,        -- allocated bytes
    b.atime AS atime,        -- access time
    b.mtime AS mtime,        -- modification time
    (SELECT l.last_used FROM blob_last_use l WHERE l.blob = b.id) AS last_used, -- best known last use: its usage record or its atime, the latest
    (SELECT l.last_used_source FROM blob_last_use l WHERE l.blob = b.id) AS last_used_source, -- touch, run, sample, or atime (with the mount's atime mode)
    (SELECT count(*) FROM files f WHERE f.blob = b.id) AS nb_files, -- snapshot entries using it (0: an orphan)
    (SELECT count(DISTINCT f.revision) FROM files f WHERE f.blob = b.id) AS nb_revisions, -- revisions using it
    (SELECT count(DISTINCT v.repo) FROM files f JOIN revisions v ON v.id = f.revision
     WHERE f.blob = b.id) AS nb_repos, -- repos using it
    p.path  AS payload_path  -- the shared-store payload it leads to, if any
FROM blobs b LEFT JOIN payloads p ON p.id = b.payload;
