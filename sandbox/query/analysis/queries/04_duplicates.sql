-- Duplicate events by payload_md5, and the count after de-duplication
SELECT
    coalesce(name, 'all') AS name,
    count(*) AS events,
    count(DISTINCT payload_md5) AS after_dedup,
    count(*) - count(DISTINCT payload_md5) AS duplicates
FROM {table}
GROUP BY ROLLUP (name)
ORDER BY 1
