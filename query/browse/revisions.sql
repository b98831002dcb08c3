-- The revisions of one repo that `hfidx browse` lists, largest first.
-- ?1: the repo folder (repos.folder).
SELECT u.commit_hash, u.snapshot_path, u.size_on_disk, u.nb_files, u.refs,
       coalesce(u.last_modified, 0) AS last_modified
FROM repos r CROSS JOIN revision_usage u ON u.repo = r.id
WHERE r.folder = ?1
ORDER BY u.size_on_disk DESC, u.commit_hash;
