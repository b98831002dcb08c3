-- History: what the cache held over time, recorded by a sync that changed
-- something and thinned as it ages (every snapshot for two days, one per
-- hour for thirty, one per day after). Per-repo rows are deltas: a
-- snapshot holds a row only for the repos whose numbers or revisions
-- changed since the snapshot before it (a row with gone = 1 for a repo
-- that left), so a repo's state at a snapshot is its latest row at or
-- before it. Thinning a snapshot away moves its rows into the next kept
-- snapshot unless that one has its own. history_last holds the latest
-- state whole, so a record compares against it without replaying rows.

-- history: one row per kept snapshot, with the cache totals.
CREATE TABLE history (
    id           INTEGER PRIMARY KEY,
    cache        INTEGER NOT NULL REFERENCES caches(id),
    taken_at     REAL NOT NULL,    -- when the sync ended, epoch seconds
    size_on_disk INTEGER NOT NULL, -- cache_usage.size_on_disk
    usage        INTEGER NOT NULL, -- cache_usage.usage (allocated bytes)
    repos        INTEGER NOT NULL, -- repos listed
    revisions    INTEGER NOT NULL, -- snapshot folders
    files        INTEGER NOT NULL, -- snapshot entries
    fingerprint  TEXT NOT NULL     -- cheap counts of the index, to skip unchanged syncs
);
CREATE INDEX history_cache ON history(cache, taken_at);

-- history_names: the repos named in history, by cache id (model/org/name).
CREATE TABLE history_names (
    id    INTEGER PRIMARY KEY,
    cache INTEGER NOT NULL REFERENCES caches(id),
    name  TEXT NOT NULL,
    UNIQUE (cache, name)
);

-- history_repos: a repo's numbers at a snapshot where they changed.
CREATE TABLE history_repos (
    snapshot     INTEGER NOT NULL REFERENCES history(id),
    repo         INTEGER NOT NULL REFERENCES history_names(id),
    gone         INTEGER NOT NULL DEFAULT 0, -- 1: the repo left the cache here
    size_on_disk INTEGER NOT NULL,           -- repo_usage.size_on_disk
    usage        INTEGER NOT NULL,           -- repo_usage.usage
    nb_revisions INTEGER NOT NULL,
    nb_files     INTEGER NOT NULL,
    hashes       TEXT NOT NULL,              -- its revisions' commit hashes, sorted, comma separated
    PRIMARY KEY (snapshot, repo)
) WITHOUT ROWID;

-- history_last: the latest recorded state of every repo of a cache.
CREATE TABLE history_last (
    repo         INTEGER PRIMARY KEY REFERENCES history_names(id),
    cache        INTEGER NOT NULL REFERENCES caches(id),
    size_on_disk INTEGER NOT NULL,
    usage        INTEGER NOT NULL,
    nb_revisions INTEGER NOT NULL,
    nb_files     INTEGER NOT NULL,
    hashes       TEXT NOT NULL
);
CREATE INDEX history_last_cache ON history_last(cache);
