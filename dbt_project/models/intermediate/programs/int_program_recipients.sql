-- One row per recipient unit per programme × period: whether it matched DTSEN, whether it
-- is eligible (in E), whether any of its rows names a deceased person, how many rows it
-- has and what it was paid. Matched units are placed at their household's desa; unmatched
-- ones at the region their roster rows give (kabupaten/kota or finer).
with

matched_rows as (

    select * from {{ ref('int_roster_rows_matched') }}

),

units as (

    select
        kode_program,
        unit_sasaran,
        tahun,
        tahap,
        tanggal_snapshot_acuan,
        is_acuan_setelah_periode,
        kunci_unit,
        bool_or(is_padan) as is_padan,
        any_value(id_keluarga) as id_keluarga,
        any_value(desil) as desil,
        coalesce(any_value(kode_desa_dtsen), min(kode_wilayah_roster)) as kode_wilayah_tempat,
        min(kode_wilayah_roster) as kode_wilayah_roster,
        bool_or(coalesce(status_orang = 'meninggal', false)) as has_nik_meninggal,
        count(*) as jumlah_baris,
        sum(coalesce(nilai_bantuan, 0)) as nilai_bantuan

    from matched_rows
    group by kode_program, unit_sasaran, tahun, tahap, tanggal_snapshot_acuan,
        is_acuan_setelah_periode, kunci_unit

),

with_eligibility as (

    select
        units.*,
        eligible.kunci_unit is not null as is_layak

    from units
    left join {{ ref('int_program_units_eligible') }} as eligible
        on units.kode_program = eligible.kode_program
        and units.tahun = eligible.tahun
        and units.tahap = eligible.tahap
        and units.kunci_unit = eligible.kunci_unit

)

select * from with_eligibility
