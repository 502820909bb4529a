-- The roster and BPS files held back whole (DESIGN §4), one row per file. The decision is
-- not made here: it is read from meta.held_back_files, where the loader (files it cannot
-- use) and the raw tables' GE gates (files that fail them) wrote it. The *_valid models
-- leave these files' rows out; the marts mark what they would have fed as incomplete.
with

held as (

    select
        table_name as tabel,
        file_path as file_sumber,
        {{ string_agg_ordered('reason', "' '", ['decided_by']) }} as alasan,
        {{ string_agg_ordered('decided_by', "', '", distinct=true) }} as diputuskan_oleh,
        bool_or(decided_by = 'loader' and reason like 'has no rows%') as is_tanpa_baris,
        bool_or(decided_by = 'loader') as is_tidak_terbaca

    from {{ source('meta', 'held_back_files') }}
    group by table_name, file_path

)

select
    tabel,
    file_sumber,
    case
        when is_tanpa_baris then 'tanpa_baris'
        when is_tidak_terbaca then 'tidak_terbaca'
        else 'gagal_pemeriksaan'
    end as jenis_masalah,
    case
        when is_tanpa_baris then 'file tanpa baris data'
        when is_tidak_terbaca then 'file tidak dapat dibaca atau kolom wajib tidak ada'
        else 'terlalu banyak baris bermasalah'
    end as masalah_singkat,
    alasan,
    diputuskan_oleh,
    -- rosters/<kode_kabkota>/<tahun>/<kode_program>/…: what the folder says the file covers
    case when tabel = 'roster_rows' then split_part(file_sumber, '/', 2) end
        as kode_wilayah_folder,
    case when tabel = 'roster_rows' then try_cast(split_part(file_sumber, '/', 3) as integer) end
        as tahun_folder,
    case when tabel = 'roster_rows' then upper(split_part(file_sumber, '/', 4)) end
        as kode_program_folder

from held
