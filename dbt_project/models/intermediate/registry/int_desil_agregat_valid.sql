{#- A view on DuckDB; a table on Spark, where a mart gate reads it after the dbt process
    (and its in-memory catalog) has ended (orchestration/engines.py). -#}
{{ config(materialized='table' if target.type == 'spark' else 'view') }}
-- depends_on: {{ ref('int_registry_files_checked') }}
-- Desa aggregate rows that passed every row rule: what mart_desil_distribution counts.
select {{ star_except(['alasan_karantina', 'kolom_karantina', 'nilai_karantina']) }}
from {{ ref('int_desil_agregat_checked') }}
where alasan_karantina is null
