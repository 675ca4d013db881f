-- Incremental: each run replaces the partitions it selects (insert_overwrite).
{{ config(
    materialized='incremental',
    incremental_strategy='insert_overwrite',
    format='parquet',
    partitioned_by=['name']
) }}

select
    count(*) as events,
    name
from {{ source('lake', 'events_json') }}
{% if is_incremental() %}
where name in (select name from {{ this }})
{% endif %}
group by name
