-- The cache totals the report's summary shows, as hfidx scan reports them.
SELECT size_on_disk, damaged_size_on_disk, repos, damaged_repos, revisions, files, blobs,
       incomplete_size, incomplete_files, warnings
FROM cache_usage;
