-- The 20 blobs used by the most revisions, and the bytes that sharing saves.
SELECT path, size, nb_files, nb_revisions, nb_repos, (nb_revisions - 1) * size AS bytes_saved
FROM blob_usage
WHERE nb_revisions > 1
ORDER BY nb_revisions DESC, size DESC, path
LIMIT 20;
