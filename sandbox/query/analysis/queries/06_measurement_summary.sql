-- All measurements, duplicates removed: accounts, count, sum, min, max, mean
WITH measurements AS (
    SELECT DISTINCT payload_md5, payload
    FROM {table}
    WHERE name = 'measurement_recorded'
)
SELECT
    count(DISTINCT json_extract_scalar(payload, '$.account_id')) AS accounts,
    count(*) AS measurements,
    round(sum(CAST(json_extract_scalar(payload, '$.measurement') AS double)), 2) AS total,
    min(CAST(json_extract_scalar(payload, '$.measurement') AS double)) AS lowest,
    max(CAST(json_extract_scalar(payload, '$.measurement') AS double)) AS highest,
    round(avg(CAST(json_extract_scalar(payload, '$.measurement') AS double)), 6) AS mean
FROM measurements
