with

source as (

    select * from {{ source('rosters', 'roster_rows') }}

),

renamed as (

    select
        _source_file,
        _sheet,
        _row_number,
        -- A CSV line with more or fewer fields than the header: loaded without its values
        -- (`kolom_berlebih`, `kolom_kurang`, `tidak_terbaca`), quarantined downstream.
        _baris_rusak,
        -- Columns in the file override the folder, row by row (DESIGN §3.1).
        upper(coalesce(nullif(trim(kode_program), ''), folder_kode_program)) as kode_program,
        -- try_cast: a year that is not a number is quarantined (tahun_tidak_valid), not a
        -- cast error that stops the build
        try_cast(coalesce(nullif(trim(tahun), ''), folder_tahun) as integer) as tahun,
        nullif(trim(tahun), '') as tahun_asli,
        coalesce(try_cast(nullif(trim(tahap), '') as integer), 0) as tahap,
        nullif(trim(tahap), '') as tahap_asli,
        coalesce(
            nullif({{ digits_only('kode_wilayah') }}, ''), {{ digits_only('folder_kode_wilayah') }}
        ) as kode_wilayah,
        {{ nik_clean('nik') }} as nik,
        _nik_was_number as is_nik_from_number_cell,
        nullif({{ digits_only('no_kk') }}, '') as no_kk,
        nullif(trim(nama), '') as nama,
        -- `Rp 1.500.000,-`, `1.500.000,50`: read by DESIGN §2's convention (macros/parsing.sql).
        {{ parse_amount('nilai_bantuan') }} as nilai_bantuan,
        {{ amount_problem('nilai_bantuan') }} as nilai_bantuan_masalah,
        nullif(trim(nilai_bantuan), '') as nilai_bantuan_asli

    from source

)

select * from renamed
