-- sync_state: what the next incremental sync compares to tell whether a
-- repo changed since it was scanned, without listing it again. Sync
-- bookkeeping, not a fact of the cache.
CREATE TABLE sync_state (
    repo       INTEGER PRIMARY KEY REFERENCES repos(id), -- the repo (repos.id)
    state      TEXT NOT NULL,   -- a line per folder listed (d), ref file read with its content (r), blob (b, f, m: dangling) and interrupted download (i), and S with sums of their times and stats (folders 0: changed too recently to trust)
    digest     TEXT NOT NULL DEFAULT '', -- a digest of everything the scan found in the repo: a repo listed again with the same digest has nothing to write
    cross_repo INTEGER NOT NULL DEFAULT 0 -- 1 when a file of another repo links one of its blobs or one of its files links a blob it does not hold
);

-- Commit hashes are looked up alone (delete targets, lookups).
CREATE INDEX revisions_commit ON revisions(commit_hash);
