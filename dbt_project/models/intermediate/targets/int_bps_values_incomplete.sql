{{ config(materialized='view') }}
-- Region × indicator whose BPS series is incomplete because a BPS file is held back
-- (DESIGN §4). A held-back file that was read (over its threshold) is known by its rows:
-- the regions and indicators it holds; its values would feed the realisation of their year
-- and the trend and projection of every year, so every year of them is marked. A file that
-- could not be read has unknown contents: it marks every row (kode_wilayah and indikator
-- null), and its note says why.
with

held as (

    select file_sumber, masalah_singkat
    from {{ ref('file_ditahan') }}
    where tabel = 'bps_indicators'

),

known as (

    select distinct rows.kode_wilayah, rows.indikator, rows._source_file as file_sumber
    from {{ ref('stg_bps__indicators') }} as rows
    inner join held on rows._source_file = held.file_sumber

),

unknown as (

    select held.file_sumber
    from held
    where held.file_sumber not in (select file_sumber from known)

)

select
    known.kode_wilayah,
    known.indikator,
    'Data belum lengkap: file BPS ditahan dan nilainya tidak dipakai ('
        || {{ string_agg_ordered("held.file_sumber || ': ' || held.masalah_singkat", "'; '", distinct=true) }}
        || ').' as catatan_kelengkapan

from known
inner join held on known.file_sumber = held.file_sumber
group by known.kode_wilayah, known.indikator

union all

select
    null as kode_wilayah,
    null as indikator,
    'Data mungkin belum lengkap: file BPS ditahan karena tidak dapat dibaca, isinya tidak '
        || 'diketahui, sehingga semua baris ditandai ('
        || {{ string_agg_ordered("held.file_sumber || ': ' || held.masalah_singkat", "'; '",
                                 ["held.file_sumber || ': ' || held.masalah_singkat"]) }}
        || ').' as catatan_kelengkapan

from unknown
inner join held on unknown.file_sumber = held.file_sumber
having count(*) > 0
