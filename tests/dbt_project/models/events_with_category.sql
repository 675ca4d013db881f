-- A view over the table model and the seed.
select
    e.name,
    e.events,
    e.distinct_events,
    coalesce(c.category, 'other') as category
from {{ ref('events_by_name') }} as e
left join {{ ref('event_categories') }} as c on c.name = e.name
