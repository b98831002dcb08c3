-- Every repo with its size as repo_usage counts it, for the groups by org
-- and type, which hold repos without files too.
SELECT repo, repo_type, repo_id, size_on_disk AS size, nb_files AS blobs FROM repo_usage;
