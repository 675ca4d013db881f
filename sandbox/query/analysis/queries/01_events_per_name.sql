-- Events per name (duplicates included, as the lake holds them)
SELECT name, count(*) AS events
FROM {table}
GROUP BY name
ORDER BY name
