-- Views for questions beyond the library's report: what a revision alone
-- frees, which blobs are shared, detached revisions, leftovers, damage.

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
          WHERE rb.repo = v.repo AND b.repo = v.repo)
    ELSE coalesce((SELECT sum(b.size) FROM blobs b
         WHERE b.id IN (SELECT f.blob FROM files f WHERE f.revision = v.id)
           AND ((b.kind = 'copy' AND substr(b.path, 1, length(v.snapshot_path) + 1) = v.snapshot_path || '/')
                OR (b.kind = 'blob' AND b.repo = v.repo
                    AND NOT EXISTS (SELECT 1 FROM files f2 JOIN revisions w ON w.id = f2.revision
                                    WHERE f2.blob = b.id AND w.repo = v.repo AND w.id <> v.id)))), 0)
    END             AS exclusive_size -- bytes deleting this revision alone frees (hfidx delete's plan)
FROM revisions v JOIN repos r ON r.id = v.repo;

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
    (SELECT count(*) FROM files f WHERE f.blob = b.id) AS nb_files, -- snapshot entries using it (0: an orphan)
    (SELECT count(DISTINCT f.revision) FROM files f WHERE f.blob = b.id) AS nb_revisions, -- revisions using it
    (SELECT count(DISTINCT v.repo) FROM files f JOIN revisions v ON v.id = f.revision
     WHERE f.blob = b.id) AS nb_repos, -- repos using it
    p.path  AS payload_path  -- the shared-store payload it leads to, if any
FROM blobs b LEFT JOIN payloads p ON p.id = b.payload;

-- detached_revisions: revisions that no ref names.
CREATE VIEW detached_revisions AS
SELECT
    u.revision       AS revision,       -- revisions.id
    u.repo           AS repo,           -- repos.id
    u.cache_id       AS cache_id,       -- the repo's cache id
    u.commit_hash    AS commit_hash,    -- the snapshot folder name
    u.size_on_disk   AS size_on_disk,   -- bytes over its distinct blobs
    u.exclusive_size AS exclusive_size, -- bytes deleting it alone frees
    u.last_modified  AS last_modified,  -- newest blob mtime, else the folder's
    (SELECT count(*) FROM refs x WHERE x.repo = u.repo) AS repo_refs -- refs of its repo (0: downloaded by commit hash only)
FROM revision_usage u
WHERE NOT EXISTS (SELECT 1 FROM refs x WHERE x.revision = u.revision);

-- incomplete_downloads: interrupted downloads with the repo they belong to.
CREATE VIEW incomplete_downloads AS
SELECT
    i.path     AS path,     -- absolute path of the *.incomplete file
    i.entry    AS entry,    -- top-level entry holding it
    r.cache_id AS cache_id, -- the repo's cache id, NULL outside a repo folder
    i.size     AS size,     -- bytes written so far
    i.mtime    AS mtime     -- when it was last written
FROM incomplete_files i LEFT JOIN repos r ON r.id = i.repo;

-- damaged_repos: repos huggingface_hub would drop, with their problems.
CREATE VIEW damaged_repos AS
SELECT
    u.repo         AS repo,         -- repos.id
    u.cache_id     AS cache_id,     -- e.g. model/org/name
    u.repo_path    AS repo_path,    -- absolute path of the repo folder
    u.size_on_disk AS size_on_disk, -- bytes over what is present
    (SELECT group_concat(w.path || ': ' || w.message, char(10)) FROM warnings w
     WHERE w.repo = u.repo AND w.damaging = 1) AS problems -- one problem per line
FROM repo_usage u WHERE u.damaged = 1;
