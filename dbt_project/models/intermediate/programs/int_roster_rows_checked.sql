-- Every roster row with the reason it cannot be used (alasan_karantina), or null.
-- Rows with a reason are kept out of every mart and counted in the quarantine; the others
-- go on to matching.
with

roster_rows as (

    select * from {{ ref('stg_rosters__rows') }}

),

regions as (

    select kode_wilayah from {{ ref('stg_kemendagri__wilayah') }}

),

programs as (

    select kode_program from {{ ref('stg_referensi__program') }}

),

with_nik_problem as (

    select
        roster_rows.*,
        {{ nik_problem('roster_rows.nik', ref('stg_kemendagri__wilayah')) }} as nik_problem,
        regions.kode_wilayah is not null as is_kode_wilayah_known,
        programs.kode_program is not null as is_kode_program_known

    from roster_rows
    left join regions on roster_rows.kode_wilayah = regions.kode_wilayah
    left join programs on roster_rows.kode_program = programs.kode_program

),

checked as (

    select
        *,
        case
            -- A NIK that went through an Excel number cell lost its 16th digit: never trust it.
            when is_nik_from_number_cell then 'nik_rusak_excel'
            when nik_problem is not null then 'nik_tidak_valid_' || nik_problem
            when not is_kode_wilayah_known then 'kode_wilayah_tidak_dikenal'
            when not is_kode_program_known then 'kode_program_tidak_dikenal'
            when tahap_asli is not null and tahap_asli not in ('1', '2', '3', '4')
                then 'tahap_tidak_valid'
            when nilai_bantuan_asli is not null and nilai_bantuan is null
                then 'nilai_bantuan_tidak_terbaca'
            when nilai_bantuan < 0 then 'nilai_bantuan_negatif'
        end as alasan_karantina

    from with_nik_problem

)

select
    _source_file,
    _row_number,
    kode_program,
    tahun,
    tahap,
    kode_wilayah,
    nik,
    no_kk,
    nilai_bantuan,
    alasan_karantina,
    case
        when alasan_karantina like 'nik_%' then 'nik'
        when alasan_karantina = 'kode_wilayah_tidak_dikenal' then 'kode_wilayah'
        when alasan_karantina = 'kode_program_tidak_dikenal' then 'kode_program'
        when alasan_karantina = 'tahap_tidak_valid' then 'tahap'
        when alasan_karantina like 'nilai_bantuan_%' then 'nilai_bantuan'
    end as kolom_karantina,
    case
        when alasan_karantina like 'nik_%' then {{ mask_nik('nik') }}
        when alasan_karantina = 'kode_wilayah_tidak_dikenal' then kode_wilayah
        when alasan_karantina = 'kode_program_tidak_dikenal' then kode_program
        when alasan_karantina = 'tahap_tidak_valid' then tahap_asli
        when alasan_karantina like 'nilai_bantuan_%' then nilai_bantuan_asli
    end as nilai_karantina

from checked
