-- Events per name per month of the event timestamp
SELECT name, date_format(tstamp, '%Y-%m') AS month, count(*) AS events
FROM {table}
GROUP BY name, date_format(tstamp, '%Y-%m')
ORDER BY name, month
