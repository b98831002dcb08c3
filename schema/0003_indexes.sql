-- Indexes for the joins the views and the planner make.
CREATE INDEX revisions_repo ON revisions(repo);
CREATE INDEX refs_repo ON refs(repo);
CREATE INDEX refs_revision ON refs(revision);
CREATE INDEX files_revision ON files(revision);
CREATE INDEX files_blob ON files(blob);
CREATE INDEX blobs_repo ON blobs(repo);
CREATE INDEX blobs_payload ON blobs(payload);
CREATE INDEX warnings_repo ON warnings(repo);
