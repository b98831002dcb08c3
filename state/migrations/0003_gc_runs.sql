-- gc_runs: every real `hfidx gc` run, for --auto to run at most once per
-- interval and for the record of what it took.
CREATE TABLE gc_runs (
    cache   INTEGER NOT NULL REFERENCES caches(id),
    ran_at  REAL NOT NULL,    -- when it ran, epoch seconds
    items   INTEGER NOT NULL, -- revisions and cleanup items evicted
    freed   INTEGER NOT NULL, -- apparent bytes freed
    outcome TEXT NOT NULL     -- done, nothing to do, refused, skipped
);
CREATE INDEX gc_runs_cache ON gc_runs(cache, ran_at);
