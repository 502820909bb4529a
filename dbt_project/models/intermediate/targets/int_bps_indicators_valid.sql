{{ config(materialized='view') }}
-- depends_on: {{ ref('quarantine_files') }}
-- BPS values that passed the reader's row rules, from files that are not held back
-- (DESIGN §4): the only ones targets are measured against.
select {{ star_except(['alasan_karantina', 'kolom_karantina', 'nilai_karantina']) }}
from {{ ref('int_bps_indicators_checked') }}
where alasan_karantina is null
    and _source_file not in (select file_sumber from {{ ref('file_ditahan') }})
