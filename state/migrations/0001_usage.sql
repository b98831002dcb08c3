-- The durable state of hfidx: what users made and no sync can rebuild.
-- Unlike the index it migrates in place, one numbered file per step, each
-- in one transaction, and survives `hfidx sync --rebuild`, a deleted index
-- and a new hfidx.

-- caches: every cache root the state has records for.
CREATE TABLE caches (
    id   INTEGER PRIMARY KEY,
    root TEXT NOT NULL UNIQUE -- resolved absolute path of the hub cache
);

-- usage: the last known use of each file of a cache, one row per file.
CREATE TABLE usage (
    cache   INTEGER NOT NULL REFERENCES caches(id),
    path    TEXT NOT NULL,    -- the file read, relative to the cache root: <folder>/blobs/<etag>, blobs/<xx>/<hash>, or a real file in a snapshot
    used_at REAL NOT NULL,    -- when, epoch seconds
    source  TEXT NOT NULL,    -- touch, run, sample
    detail  TEXT NOT NULL DEFAULT '', -- who: a command and its pid, or the touch's note
    PRIMARY KEY (cache, path)
) WITHOUT ROWID;

-- changes counts writes to usage, so a sync copies the records into the
-- index only when they changed.
CREATE TABLE changes (
    cache INTEGER PRIMARY KEY REFERENCES caches(id),
    n     INTEGER NOT NULL
);
