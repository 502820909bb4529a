{{ config(materialized='view') }}
-- A view: a few thousand rows, and whatever selects staging sees the same rows here.
-- Every BPS row with the reason it cannot be used (alasan_karantina), or null.
-- The BPS reader decides the reasons while it reads the file (DESIGN §2.1: a value that is
-- not a number or is implausible for its indicator, or a row whose cells are shifted; all
-- values of such a source row are quarantined); this model only names the column and the
-- value as written, so quarantine_rows and quarantine_files list them with the others.
with

staged_rows as (

    select * from {{ ref('stg_bps__indicators') }}

)

select
    kode_wilayah,
    tahun,
    bulan,
    indikator,
    nilai,
    nama_wilayah_sumber,
    _source_file,
    _row_number,
    case when alasan_karantina is not null then 'nilai' end as kolom_karantina,
    case when alasan_karantina is not null then nilai_asli end as nilai_karantina,
    alasan_karantina

from staged_rows
