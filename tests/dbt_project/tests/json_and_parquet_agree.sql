-- The same events reach both tables: no name whose counts differ.
select p.name
from {{ ref('events_by_name') }} as p
join {{ ref('daily_events') }} as j on j.name = p.name
where p.events <> j.events
