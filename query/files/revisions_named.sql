-- The revisions of repo ?1 a name ?2 may mean: its commit hash (exact),
-- a ref naming it (by = 'ref'), or a case-insensitive prefix of its hash
-- (?3 = 1 when ?2 is a prefix of at least 8 hex digits).
SELECT v.id AS revision, v.commit_hash AS commit_hash, 'hash' AS by
FROM revisions v WHERE v.repo = ?1 AND v.commit_hash = ?2
UNION ALL
SELECT x.revision, v.commit_hash, 'ref'
FROM refs x JOIN revisions v ON v.id = x.revision WHERE x.repo = ?1 AND x.name = ?2
UNION ALL
SELECT v.id, v.commit_hash, 'prefix'
FROM revisions v
WHERE ?3 = 1 AND v.repo = ?1 AND v.commit_hash <> ?2
  AND lower(substr(v.commit_hash, 1, length(?2))) = lower(?2)
ORDER BY 3, 2;
