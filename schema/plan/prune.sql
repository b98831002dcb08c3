-- What `hfidx prune` may remove, read from the index; the bytes come from
-- the deletion planner (schema/plan/delete.sql), which these rows feed.
-- ?1: 1 to also take repos downloaded by commit hash only (no ref at all).
-- The grace period (orphans and payloads changed too recently are left
-- alone: a download may sit between its rename and its link) is applied
-- by the caller, from the files' times now, so that it can name them.
-- Damaged repos are never pruned: what their snapshots link is not known.
-- One row per candidate:
--   revision    a snapshot no ref names (folder, commit_hash)
--   incomplete  an interrupted download in a repo folder (path, size)
--   orphan      an entry of <repo>/blobs that no snapshot entry links (path, size, usage)
--   payload     a store payload no repo entry leads to, with a manifest (path, size, usage)
--   leak        such a payload without a manifest: never swept, only reported
--   no_exist    <repo>/.no_exist/<commit> of a commit no longer cached (path)
WITH
healthy AS (
    SELECT id, folder, path FROM repos WHERE damaged = 0 AND link_target IS NULL
)
SELECT 'revision' AS kind, h.folder AS folder, v.commit_hash AS commit_hash, v.snapshot_path AS path,
       0 AS size, 0 AS usage
FROM revisions v JOIN healthy h ON h.id = v.repo
WHERE v.link_target IS NULL
  AND NOT EXISTS (SELECT 1 FROM refs x WHERE x.revision = v.id)
  AND (?1 OR EXISTS (SELECT 1 FROM refs x WHERE x.repo = v.repo))
UNION ALL
SELECT 'incomplete', h.folder, '', i.path, i.size, 0
FROM incomplete_files i JOIN healthy h ON h.id = i.repo
UNION ALL
SELECT 'orphan', h.folder, '', b.path, CASE WHEN b.payload IS NULL THEN b.size ELSE 0 END,
       CASE WHEN b.payload IS NULL THEN b.usage ELSE 0 END
FROM blobs b JOIN healthy h ON h.id = b.repo
WHERE b.kind = 'blob' AND NOT EXISTS (SELECT 1 FROM files f WHERE f.blob = b.id)
UNION ALL
SELECT 'payload', '', '', p.path, p.size, p.usage
FROM payloads p
WHERE p.manifest = 1
  AND (SELECT value FROM meta WHERE key = 'store') = '1'
  AND NOT EXISTS (SELECT 1 FROM blobs b WHERE b.payload = p.id)
UNION ALL
SELECT 'leak', '', '', p.path, p.size, p.usage
FROM payloads p
WHERE p.manifest = 0
  AND (SELECT value FROM meta WHERE key = 'store') = '1'
  AND NOT EXISTS (SELECT 1 FROM blobs b WHERE b.payload = p.id)
UNION ALL
SELECT DISTINCT 'no_exist', h.folder, n.commit_hash, h.path || '/.no_exist/' || n.commit_hash, 0, 0
FROM no_exist n JOIN healthy h ON h.id = n.repo
WHERE NOT EXISTS (SELECT 1 FROM revisions v WHERE v.repo = n.repo AND v.commit_hash = n.commit_hash)
ORDER BY 1, 4;
