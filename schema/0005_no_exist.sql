-- no_exist: huggingface_hub's markers that a file does not exist at a commit, <repo>/.no_exist/<commit>/<path>.
CREATE TABLE no_exist (
    id          INTEGER PRIMARY KEY, -- row id
    repo        INTEGER NOT NULL REFERENCES repos(id), -- the repo (repos.id)
    commit_hash TEXT NOT NULL,       -- the commit the marker is for
    rel_path    TEXT NOT NULL,       -- the file's path in the repo, / separated
    path        TEXT NOT NULL        -- absolute path of the marker
);
CREATE INDEX no_exist_repo ON no_exist(repo);
