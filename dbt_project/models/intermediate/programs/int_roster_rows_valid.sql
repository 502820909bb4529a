{{ config(materialized='view') }}
-- depends_on: {{ ref('quarantine_files') }}
-- Roster rows that passed every row rule. Built after quarantine_files, whose test blocks
-- every model reading these rows when a file is above its quarantine threshold.
select * exclude (alasan_karantina, kolom_karantina, nilai_karantina)
from {{ ref('int_roster_rows_checked') }}
where alasan_karantina is null
