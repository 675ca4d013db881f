-- One partition only (partition pruning): events of one name on one event day
SELECT name, date_format(min(tstamp), '%Y-%m-%d') AS d, count(*) AS events,
    min(tstamp) AS first_event, max(tstamp) AS last_event
FROM {table}
WHERE name = '{name}'
    AND tstamp >= TIMESTAMP '{event_day} 00:00:00'
    AND tstamp < TIMESTAMP '{event_day} 00:00:00' + INTERVAL '1' DAY
GROUP BY name
