-- Digests hfidx verify computed, so that a later verify reads again only
-- the files that changed. Sync carries the rows of files still in the
-- cache over to each new index.

-- verified: content digests keyed by the identity of the file read (device, inode, size, mtime).
CREATE TABLE verified (
    dev         INTEGER NOT NULL, -- device of the file read (the final target of a link)
    ino         INTEGER NOT NULL, -- its inode
    size        INTEGER NOT NULL, -- its apparent size when it was read
    mtime_ns    INTEGER NOT NULL, -- its modification time in nanoseconds when it was read
    algo        TEXT NOT NULL,    -- sha256 or git-sha1 (sha1 of "blob <size>\0" and the content)
    digest      TEXT NOT NULL,    -- the content's digest, lowercase hex
    verified_at REAL NOT NULL,    -- when it was read, epoch seconds
    PRIMARY KEY (dev, ino, size, mtime_ns, algo)
) WITHOUT ROWID;

-- blob_checks: every entry of a repo's blobs/ named by a SHA-256 or git SHA-1, with what the last verify of its current content found.
CREATE VIEW blob_checks AS
WITH named AS (
    SELECT b.*, replace(b.path, rtrim(b.path, replace(b.path, '/', '')), '') AS base_name
    FROM blobs b WHERE b.kind = 'blob' AND b.missing = 0
), typed AS (
    SELECT n.*, CASE length(n.base_name) WHEN 64 THEN 'sha256' ELSE 'git-sha1' END AS hash_algo
    FROM named n
    WHERE length(n.base_name) IN (40, 64) AND n.base_name NOT GLOB '*[^0-9a-f]*'
)
SELECT
    t.id          AS blob,        -- blobs.id
    r.cache_id    AS cache_id,    -- the repo's cache id, e.g. model/org/name
    t.path        AS path,        -- absolute path of the blob entry
    t.size        AS size,        -- apparent bytes of its content
    t.hash_algo   AS algo,        -- sha256 (64 hex) or git-sha1 (40 hex)
    t.base_name   AS expected,    -- its name: the digest its content must have
    v.digest      AS digest,      -- what verify computed for the current content; NULL if not verified since it changed
    CASE WHEN v.digest IS NULL THEN 'unverified'
         WHEN v.digest = t.base_name THEN 'ok'
         ELSE 'mismatch' END
                  AS status,      -- ok, mismatch or unverified
    v.verified_at AS verified_at  -- when verify read it, epoch seconds
FROM typed t
JOIN repos r ON r.id = t.repo
LEFT JOIN verified v ON v.dev = t.dev AND v.ino = t.ino AND v.size = t.size
    AND abs(v.mtime_ns / 1e9 - t.mtime) < 1e-6
    AND v.algo = t.hash_algo;
