-- Every roster row with the reason it cannot be used (alasan_karantina), or null.
-- Rows with a reason are kept out of every mart and counted in the quarantine; the others
-- go on to matching.
--
-- A NIK that went through an Excel number cell kept only its first 15 digits. It is never
-- trusted as it came: it is recovered (and flagged, is_nik_dipulihkan) only when exactly one
-- person in the registry, in any snapshot, has a NIK starting with those 15 digits AND that
-- person's name or KK number equals the roster's. Otherwise the row is quarantined as
-- `nik_rusak_excel`. The candidates come from the checked registry tables (every staged row,
-- quarantined or not), so the registry's staging views are computed once per build and this
-- model runs after the registry's, not beside it.
{%- set staged_columns = [
    '_source_file', '_sheet', '_row_number', 'kode_program', 'tahun', 'tahap', 'tahap_asli',
    'kode_wilayah', 'nik', 'is_nik_from_number_cell', 'no_kk', 'nama', 'nilai_bantuan',
    'nilai_bantuan_masalah', 'nilai_bantuan_asli', '_baris_rusak', 'tahun_asli', 'sumber_roster',
] %}
with

staged_rows as (

    -- OPD rosters, and the registry's programme flags (SIKS-NG, DESIGN §2.2) as rows
    select
        _source_file, _sheet, _row_number, kode_program, tahun, tahap, tahap_asli, kode_wilayah,
        nik, is_nik_from_number_cell, no_kk, nama, nilai_bantuan, nilai_bantuan_masalah,
        nilai_bantuan_asli, _baris_rusak, tahun_asli,
        'opd' as sumber_roster
    from {{ ref('stg_rosters__rows') }}
    union all
    select
        _source_file, _sheet, _row_number, kode_program, tahun, tahap, tahap_asli, kode_wilayah,
        nik, is_nik_from_number_cell, no_kk, nama, nilai_bantuan, nilai_bantuan_masalah,
        nilai_bantuan_asli, cast(null as string) as _baris_rusak, cast(null as string) as tahun_asli,
        sumber_roster
    from {{ ref('int_roster_rows_from_registry') }}

),

numeric_nik_prefixes as (

    select distinct left(nik, 15) as nik_awal
    from staged_rows
    where is_nik_from_number_cell and {{ regex_full_match('nik', '[0-9]{15,16}') }}

),

registry_people as (

    select distinct
        left(people.nik, 15) as nik_awal,
        people.nik,
        {{ normalised_name('people.nama') }} as nama_normal,
        {{ digits_only('households.no_kk') }} as no_kk

    from {{ ref('int_dtsen_members_checked') }} as people
    left join {{ ref('int_dtsen_households_checked') }} as households
        on people.tanggal_snapshot = households.tanggal_snapshot
        and people.id_keluarga = households.id_keluarga
    where left(people.nik, 15) in (select nik_awal from numeric_nik_prefixes)
        and {{ regex_full_match('people.nik', '[0-9]{16}') }}

),

unambiguous_prefixes as (

    select nik_awal
    from registry_people
    group by nik_awal
    having count(distinct nik) = 1

),

recovered as (

    select distinct
        staged_rows._source_file,
        staged_rows._sheet,
        staged_rows._row_number,
        registry_people.nik as nik_dipulihkan

    from staged_rows
    inner join registry_people
        on left(staged_rows.nik, 15) = registry_people.nik_awal
    inner join unambiguous_prefixes
        on registry_people.nik_awal = unambiguous_prefixes.nik_awal
    where staged_rows.is_nik_from_number_cell
        and {{ regex_full_match('staged_rows.nik', '[0-9]{15,16}') }}
        and (
            {{ normalised_name('staged_rows.nama') }} = registry_people.nama_normal
            or (length(staged_rows.no_kk) = 16 and staged_rows.no_kk = registry_people.no_kk)
        )

),

roster_rows as (

    select
        {%- for column in staged_columns %}
        {% if column == 'nik' %}coalesce(recovered.nik_dipulihkan, staged_rows.nik) as nik
        {%- else %}staged_rows.{{ column }}{% endif %},
        {%- endfor %}
        {{ nik_ddmmyy('coalesce(recovered.nik_dipulihkan, staged_rows.nik)') }} as nik_ddmmyy,
        recovered.nik_dipulihkan is not null as is_nik_dipulihkan

    from staged_rows
    left join recovered
        on staged_rows._source_file = recovered._source_file
        and staged_rows._sheet is not distinct from recovered._sheet
        and staged_rows._row_number = recovered._row_number

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
        {{ nik_problem('roster_rows.nik', ref('stg_kemendagri__wilayah'), 'roster_rows.nik_ddmmyy') }}
            as nik_problem,
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
            -- A CSV line with more or fewer fields than the header: its cells cannot be
            -- placed under the right columns (the loader kept none of them).
            when _baris_rusak is not null then 'baris_' || _baris_rusak
            -- A NIK that went through an Excel number cell lost its 16th digit: never trust it.
            when is_nik_from_number_cell and not is_nik_dipulihkan then 'nik_rusak_excel'
            when nik_problem is not null then 'nik_tidak_valid_' || nik_problem
            when not is_kode_wilayah_known then 'kode_wilayah_tidak_dikenal'
            when not is_kode_program_known then 'kode_program_tidak_dikenal'
            -- a tahun column whose value is no year (the folder's year is checked on load)
            when tahun is null and tahun_asli is not null then 'tahun_tidak_valid'
            when tahap_asli is not null and tahap_asli not in ('1', '2', '3', '4')
                then 'tahap_tidak_valid'
            -- `750,000`: thousands, or three decimals? Ask the agency rather than guess.
            when nilai_bantuan_masalah = 'ambigu' then 'nilai_bantuan_ambigu'
            when nilai_bantuan_asli is not null and nilai_bantuan is null
                then 'nilai_bantuan_tidak_terbaca'
            when nilai_bantuan < 0 then 'nilai_bantuan_negatif'
        end as alasan_karantina

    from with_nik_problem

)

select
    _source_file,
    _sheet,
    _row_number,
    kode_program,
    tahun,
    tahap,
    kode_wilayah,
    nik,
    no_kk,
    nama,
    nilai_bantuan,
    is_nik_dipulihkan,
    sumber_roster,
    alasan_karantina,
    case
        when alasan_karantina like 'nik_%' then 'nik'
        when alasan_karantina = 'kode_wilayah_tidak_dikenal' then 'kode_wilayah'
        when alasan_karantina = 'kode_program_tidak_dikenal' then 'kode_program'
        when alasan_karantina = 'tahap_tidak_valid' then 'tahap'
        when alasan_karantina = 'tahun_tidak_valid' then 'tahun'
        when alasan_karantina like 'nilai_bantuan_%' then 'nilai_bantuan'
    end as kolom_karantina,
    case
        when alasan_karantina like 'nik_%' then {{ mask_nik('nik') }}
        when alasan_karantina = 'kode_wilayah_tidak_dikenal' then kode_wilayah
        when alasan_karantina = 'kode_program_tidak_dikenal' then kode_program
        when alasan_karantina = 'tahap_tidak_valid' then tahap_asli
        when alasan_karantina = 'tahun_tidak_valid' then tahun_asli
        when alasan_karantina like 'nilai_bantuan_%' then nilai_bantuan_asli
    end as nilai_karantina

from checked
