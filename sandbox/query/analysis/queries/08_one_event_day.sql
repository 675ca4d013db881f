-- One event day (event time): the Hive layout (name, delivery day d) reads every file; Iceberg's day(tstamp) prunes
SELECT name, count(*) AS events, min(tstamp) AS first_event, max(tstamp) AS last_event
FROM {table}
WHERE tstamp >= TIMESTAMP '{event_day} 00:00:00'
    AND tstamp < TIMESTAMP '{event_day} 00:00:00' + INTERVAL '1' DAY
GROUP BY name
ORDER BY name
