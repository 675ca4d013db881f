-- One partition only (partition pruning): events of one name on one delivery day
SELECT name, d, count(*) AS events, min(tstamp) AS first_event, max(tstamp) AS last_event
FROM {table}
WHERE name = '{name}' AND d = '{d}'
GROUP BY name, d
