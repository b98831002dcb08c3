-- The index of one Hugging Face Hub cache. Paths are absolute; sizes are
-- apparent bytes (st_size), usage is allocated bytes (st_blocks*512);
-- times are epoch seconds as Python's os.stat reports them.

-- migrations: the schema files applied to this index, in order.
CREATE TABLE migrations (
    version    INTEGER PRIMARY KEY, -- the file's number
    name       TEXT NOT NULL,       -- the file's name
    applied_at TEXT NOT NULL        -- UTC time it was applied
);

-- meta: facts about the index itself, one row per key.
CREATE TABLE meta (
    key   TEXT PRIMARY KEY, -- cache_dir, synced_at, sync_seconds, store, hfidx_version
    value TEXT NOT NULL     -- the value, as text
);

-- repos: one row per top-level folder that parses as a repo folder.
CREATE TABLE repos (
    id          INTEGER PRIMARY KEY, -- row id
    folder      TEXT NOT NULL UNIQUE, -- entry name, e.g. models--org--name
    path        TEXT NOT NULL,        -- absolute path of the folder
    repo_type   TEXT NOT NULL,        -- model, dataset, space or kernel
    repo_id     TEXT NOT NULL,        -- e.g. org/name
    cache_id    TEXT NOT NULL,        -- <repo_type>/<repo_id>, e.g. model/org/name
    link_target TEXT,                 -- the target when the folder is a symlink (never walked)
    damaged     INTEGER NOT NULL,     -- 1 when huggingface_hub would drop the repo (see warnings)
    atime       REAL NOT NULL,        -- folder access time, before the scan listed it
    mtime       REAL NOT NULL,        -- folder modification time
    mtime_ns    INTEGER NOT NULL,     -- folder modification time in nanoseconds
    ctime_ns    INTEGER NOT NULL      -- folder status change time in nanoseconds
);

-- revisions: one row per folder of <repo>/snapshots.
CREATE TABLE revisions (
    id            INTEGER PRIMARY KEY, -- row id
    repo          INTEGER NOT NULL REFERENCES repos(id), -- the repo (repos.id)
    commit_hash   TEXT NOT NULL,    -- the folder name, normally 40 hex
    snapshot_path TEXT NOT NULL,    -- absolute path of the folder
    link_target   TEXT,             -- the target when the folder is a symlink (never walked)
    mtime         REAL NOT NULL,    -- folder modification time
    UNIQUE (repo, commit_hash)
);

-- refs: one row per file under <repo>/refs.
CREATE TABLE refs (
    id          INTEGER PRIMARY KEY, -- row id
    repo        INTEGER NOT NULL REFERENCES repos(id), -- the repo (repos.id)
    name        TEXT NOT NULL,        -- path under refs/: main, v1.0, refs/pr/1
    path        TEXT NOT NULL,        -- absolute path of the ref file
    commit_hash TEXT NOT NULL,        -- its content, one trailing newline removed
    revision    INTEGER REFERENCES revisions(id), -- NULL when no snapshot has that name
    UNIQUE (repo, name)
);

-- payloads: files of the cache-wide shared blob store, <cache>/blobs/<xx>/<hash>.
CREATE TABLE payloads (
    id       INTEGER PRIMARY KEY, -- row id
    hash     TEXT NOT NULL UNIQUE, -- the Xet hash naming the payload
    path     TEXT NOT NULL UNIQUE, -- absolute path of the payload
    size     INTEGER NOT NULL,    -- apparent bytes
    usage    INTEGER NOT NULL,    -- allocated bytes
    atime    REAL NOT NULL,       -- access time
    mtime    REAL NOT NULL,       -- modification time
    manifest INTEGER NOT NULL      -- 1 when a regular <hash>.refs manifest sits beside it
);

-- blobs: one row per distinct blob path: every entry of a repo's blobs/
-- folder (orphans included), every real file in a snapshot, and every
-- link target outside <repo>/blobs. Size and times are those of the final
-- target, symlinks followed.
CREATE TABLE blobs (
    id      INTEGER PRIMARY KEY, -- row id
    path    TEXT NOT NULL UNIQUE, -- absolute path: repo-local first hop, snapshot file, or resolved target
    repo    INTEGER REFERENCES repos(id), -- the repo whose folder holds it; NULL outside any repo
    kind    TEXT NOT NULL,    -- blob (entry of <repo>/blobs), copy (real file in a snapshot), external (link target elsewhere)
    missing INTEGER NOT NULL, -- 1 for a blobs/ entry that is a dangling link
    size    INTEGER NOT NULL, -- apparent bytes of the final target (st_size)
    usage   INTEGER NOT NULL, -- allocated bytes of the final target (st_blocks*512)
    atime   REAL NOT NULL,    -- access time of the final target
    mtime   REAL NOT NULL,    -- modification time of the final target
    dev     INTEGER NOT NULL, -- device of the final target
    ino     INTEGER NOT NULL, -- inode of the final target
    nlink   INTEGER NOT NULL, -- hard link count of the final target
    payload INTEGER REFERENCES payloads(id) -- the store payload the path leads to, if any
);

-- files: one row per non-directory entry of a revision.
CREATE TABLE files (
    id          INTEGER PRIMARY KEY, -- row id
    revision    INTEGER NOT NULL REFERENCES revisions(id), -- the revision (revisions.id)
    rel_path    TEXT NOT NULL,   -- path inside the snapshot, / separated
    file_name   TEXT NOT NULL,   -- base name
    file_path   TEXT NOT NULL,   -- absolute path of the entry
    kind        TEXT NOT NULL,   -- link, file (a real file) or special (FIFO, socket, device)
    link_target TEXT,            -- readlink of a link
    blob        INTEGER REFERENCES blobs(id), -- NULL when the link is broken or loops
    UNIQUE (revision, rel_path)
);

-- incomplete_files: interrupted downloads, <entry>/blobs/*.incomplete.
CREATE TABLE incomplete_files (
    id    INTEGER PRIMARY KEY, -- row id
    path  TEXT NOT NULL UNIQUE,           -- absolute path
    entry TEXT NOT NULL,                  -- the top-level entry holding it
    repo  INTEGER REFERENCES repos(id),   -- NULL when that entry is not a repo folder
    size  INTEGER NOT NULL,               -- apparent bytes so far
    mtime REAL NOT NULL                   -- when it was last written
);

-- warnings: everything odd the scan found, each naming its top-level entry.
CREATE TABLE warnings (
    id       INTEGER PRIMARY KEY, -- row id
    entry    TEXT NOT NULL,  -- top-level entry name
    repo     INTEGER REFERENCES repos(id), -- NULL when the entry is not a repo folder
    path     TEXT NOT NULL,  -- the entry concerned, relative to the cache
    message  TEXT NOT NULL, -- what is wrong
    damaging INTEGER NOT NULL -- 1 when it makes the repo damaged
);
