{{ config(materialized='view') }}
-- The rows of target_rpjmd.csv that passed their row rules: the only ones mart_target_gap reads.
select {{ star_except(['alasan_karantina', 'kolom_karantina', 'nilai_karantina']) }}
from {{ ref('int_target_rpjmd_checked') }}
where alasan_karantina is null
