{#- A view on DuckDB; a table on Spark, where a mart gate reads it after the dbt process
    (and its in-memory catalog) has ended (orchestration/engines.py). -#}
{{ config(materialized='table' if target.type == 'spark' else 'view') }}
-- depends_on: {{ ref('quarantine_files') }}
-- Roster rows that passed every row rule, from files that are not held back (DESIGN §4:
-- a held-back file is left out whole, its good rows too). Built after quarantine_files.
select {{ star_except(['alasan_karantina', 'kolom_karantina', 'nilai_karantina']) }}
from {{ ref('int_roster_rows_checked') }}
where alasan_karantina is null
    and _source_file not in (select file_sumber from {{ ref('file_ditahan') }})
