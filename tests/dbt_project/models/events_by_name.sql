-- CTAS into a partitioned Parquet table.
{{ config(materialized='table', format='parquet', write_compression='snappy', partitioned_by=['name']) }}

select
    count(*) as events,
    count(distinct payload_md5) as distinct_events,
    name
from {{ source('lake', 'events_parquet') }}
group by name
