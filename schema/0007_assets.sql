-- The assets cache (HF_ASSETS_CACHE), as the last hfidx assets command
-- read it; sync carries it over to each new index.

-- assets: one row per <library>/<namespace>/<subfolder> of the assets cache, or per shallower entry holding no deeper folder.
CREATE TABLE assets (
    id            INTEGER PRIMARY KEY, -- row id
    library       TEXT NOT NULL,    -- first level: the library's folder name
    namespace     TEXT NOT NULL,    -- second level; '' for an entry directly in the library's folder
    subfolder     TEXT NOT NULL,    -- third level; '' for a shallower entry
    path          TEXT NOT NULL UNIQUE, -- absolute path
    kind          TEXT NOT NULL,    -- dir, file or link (never followed)
    size          INTEGER NOT NULL, -- apparent bytes of the regular files in it
    usage         INTEGER NOT NULL, -- allocated bytes, a hard-linked file once
    files         INTEGER NOT NULL, -- regular files in it
    last_modified REAL NOT NULL,    -- newest modification time of it and of everything in it
    scanned_at    REAL NOT NULL     -- when hfidx read it, epoch seconds
);
