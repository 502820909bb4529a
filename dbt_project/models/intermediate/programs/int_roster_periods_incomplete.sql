{{ config(materialized='view') }}
-- Programme × year whose roster data are incomplete because a roster file is held back
-- (DESIGN §4), with a short note in Indonesian for the marts and the workbooks. What a file
-- covers comes from its folder (rosters/<kode_kabkota>/<tahun>/<kode_program>/) and, for a
-- file that was read, from its rows too (columns in the file override the folder). Its
-- quarter cannot always be told (an empty or unreadable file has none), so every tahap of
-- the year is marked.
with

held as (

    select file_sumber, masalah_singkat, kode_program_folder, tahun_folder
    from {{ ref('file_ditahan') }}
    where tabel = 'roster_rows'

),

covered as (

    select file_sumber, kode_program_folder as kode_program, tahun_folder as tahun
    from held
    where kode_program_folder is not null and tahun_folder is not null
    union
    select distinct rows._source_file, rows.kode_program, rows.tahun
    from {{ ref('stg_rosters__rows') }} as rows
    inner join held on rows._source_file = held.file_sumber
    where rows.kode_program is not null and rows.tahun is not null

)

select
    covered.kode_program,
    covered.tahun,
    count(distinct covered.file_sumber) as jumlah_file_ditahan,
    'Data belum lengkap: ' || count(distinct covered.file_sumber)
        || ' file roster ' || covered.kode_program || ' ' || covered.tahun
        || ' ditahan dan barisnya tidak dihitung ('
        || string_agg(distinct held.file_sumber || ': ' || held.masalah_singkat, '; ')
        || '). Angka akan lengkap setelah file diperbaiki dan dimuat ulang.'
        as catatan_kelengkapan

from covered
inner join held on covered.file_sumber = held.file_sumber
group by covered.kode_program, covered.tahun
