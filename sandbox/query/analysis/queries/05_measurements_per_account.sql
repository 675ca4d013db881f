-- Measurements per account (count, mean, stddev) from the JSON payload, duplicates removed; top 10
WITH measurements AS (
    SELECT DISTINCT payload_md5, payload
    FROM {table}
    WHERE name = 'measurement_recorded'
)
SELECT
    json_extract_scalar(payload, '$.account_id') AS account_id,
    count(*) AS measurements,
    round(avg(CAST(json_extract_scalar(payload, '$.measurement') AS double)), 3) AS mean,
    round(stddev(CAST(json_extract_scalar(payload, '$.measurement') AS double)), 3) AS stddev
FROM measurements
GROUP BY json_extract_scalar(payload, '$.account_id')
ORDER BY measurements DESC, account_id
LIMIT 10
