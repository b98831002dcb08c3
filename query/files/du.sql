-- The rows `hfidx du` groups: each blob a repo's snapshots link, once per
-- repo (as repo_usage counts size_on_disk), with the first of the paths
-- linking it in byte order, which names its extension and quantization.
SELECT
    r.id        AS repo,
    r.repo_type AS repo_type,
    r.repo_id   AS repo_id,
    b.size      AS size,
    min(f.rel_path) AS rel_path
FROM files f
JOIN revisions v ON v.id = f.revision
JOIN repos r ON r.id = v.repo
JOIN blobs b ON b.id = f.blob
GROUP BY v.repo, f.blob;
