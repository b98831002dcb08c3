-- pins: targets the user keeps from gc, per cache, as they were written
-- (what `hfidx delete` accepts: a repo, a revision, a file glob). A pin is
-- resolved against the index each time it is read, so a file glob also
-- keeps the matching files of revisions downloaded after it was made.
CREATE TABLE pins (
    cache      INTEGER NOT NULL REFERENCES caches(id),
    target     TEXT NOT NULL,             -- exactly as given
    note       TEXT NOT NULL DEFAULT '',  -- why, in the user's words
    created_at REAL NOT NULL,             -- when it was first pinned, epoch seconds
    PRIMARY KEY (cache, target)
) WITHOUT ROWID;
