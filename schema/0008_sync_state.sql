-- sync_state: what the next incremental sync compares to tell whether a
-- repo changed since it was scanned, without listing it again. Sync
-- bookkeeping, not a fact of the cache.
CREATE TABLE sync_state (
    repo       INTEGER PRIMARY KEY REFERENCES repos(id), -- the repo (repos.id)
    state      TEXT NOT NULL,   -- a line per folder listed, d <mtime_ns> <ctime_ns> "<path in the repo>" (-1 -1 when changed too recently to trust), and per ref file read, r "<path>" "<content>"
    cross_repo INTEGER NOT NULL DEFAULT 0 -- 1 when a file of another repo links one of its blobs or one of its files links a blob it does not hold
);

-- Commit hashes are looked up alone (delete targets, lookups).
CREATE INDEX revisions_commit ON revisions(commit_hash);
