-- Session funnel: visit -> account -> measurement, by session_id from the payload
WITH sessions AS (
    SELECT
        json_extract_scalar(payload, '$.session_id') AS session_id,
        max(CASE WHEN name = 'anonymous_visited' THEN 1 ELSE 0 END) AS visited,
        max(CASE WHEN name = 'account_created' THEN 1 ELSE 0 END) AS registered,
        max(CASE WHEN name = 'measurement_recorded' THEN 1 ELSE 0 END) AS measured
    FROM {table}
    GROUP BY json_extract_scalar(payload, '$.session_id')
)
SELECT
    sum(visited) AS sessions_with_visit,
    sum(registered) AS sessions_with_account,
    sum(measured) AS sessions_with_measurement,
    round(CAST(sum(registered) AS double) / nullif(sum(visited), 0), 4) AS visit_to_account,
    round(CAST(sum(measured) AS double) / nullif(sum(registered), 0), 4) AS account_to_measurement,
    round(CAST(sum(measured) AS double) / nullif(sum(visited), 0), 4) AS visit_to_measurement
FROM sessions
