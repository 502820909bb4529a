{{ config(materialized='view') }}
-- depends_on: {{ ref('int_registry_files_checked') }}
-- DTSEN members that passed every row rule (and whose household did): what the marts count.
select {{ star_except(['alasan_karantina', 'kolom_karantina', 'nilai_karantina']) }}
from {{ ref('int_dtsen_members_checked') }}
where alasan_karantina is null
