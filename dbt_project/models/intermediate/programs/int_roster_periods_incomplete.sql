{{ config(materialized='view') }}
-- Programme × year × tahap whose roster data are incomplete because a roster file is held
-- back (DESIGN §4), with a short note in Indonesian for the marts and the workbooks. What a
-- file covers comes from its rows when it was read (columns in the file override the
-- folder; their tahap, 0 = whole year), else from its folder
-- (rosters/<kode_kabkota>/<tahun>/<kode_program>/): an empty or unreadable file has no
-- tahap to tell, so `tahap` is null and every tahap of the year is meant.
with

held as (

    select file_sumber, masalah_singkat, kode_program_folder, tahun_folder
    from {{ ref('file_ditahan') }}
    where tabel = 'roster_rows'

),

from_rows as (

    select distinct rows._source_file as file_sumber, rows.kode_program, rows.tahun, rows.tahap
    from {{ ref('stg_rosters__rows') }} as rows
    inner join held on rows._source_file = held.file_sumber
    where rows.kode_program is not null and rows.tahun is not null

),

covered as (

    select file_sumber, kode_program, tahun, tahap from from_rows
    union all
    select file_sumber, kode_program_folder, tahun_folder, null
    from held
    where kode_program_folder is not null and tahun_folder is not null
        and file_sumber not in (select file_sumber from from_rows)

)

select
    covered.kode_program,
    covered.tahun,
    covered.tahap,
    count(distinct covered.file_sumber) as jumlah_file_ditahan,
    'Data belum lengkap: ' || count(distinct covered.file_sumber)
        || ' file roster ' || covered.kode_program || ' ' || covered.tahun
        || case
            when covered.tahap is null then ' (tahap tidak diketahui, semua tahap ditandai)'
            when covered.tahap = 0 then ' (tanpa tahap)'
            else ' tahap ' || covered.tahap
        end
        || ' ditahan dan barisnya tidak dihitung ('
        || {{ string_agg_ordered("held.file_sumber || ': ' || held.masalah_singkat", "'; '", distinct=true) }}
        || '). Angka akan lengkap setelah file diperbaiki dan dimuat ulang.'
        as catatan_kelengkapan

from covered
inner join held on covered.file_sumber = held.file_sumber
group by covered.kode_program, covered.tahun, covered.tahap
