-- hfidx scan's total (cache_usage.size_on_disk), for du's footer.
SELECT size_on_disk FROM cache_usage;
