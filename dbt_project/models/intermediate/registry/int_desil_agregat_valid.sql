{{ config(materialized='view') }}
-- depends_on: {{ ref('quarantine_files') }}
-- Desa aggregate rows that passed every row rule: what mart_desil_distribution counts.
select {{ star_except(['alasan_karantina', 'kolom_karantina', 'nilai_karantina']) }}
from {{ ref('int_desil_agregat_checked') }}
where alasan_karantina is null
