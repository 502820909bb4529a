-- How many programmes reach each eligible household (desil 1–5) in a year, per region at
-- every level, and how many of the poorest (desil 1–2) receive none at all.
with

household_counts as (

    select
        tahun,
        tanggal_snapshot_acuan,
        id_keluarga,
        kode_wilayah as kode_desa,
        desil,
        count(kode_program) as jumlah_program

    from {{ ref('int_household_programmes_per_year') }}
    where desil between 1 and 5
    group by 1, 2, 3, 4, 5

),

by_level as (

    select
        household_counts.tahun,
        household_counts.tanggal_snapshot_acuan,
        levels.tingkat_wilayah,
        substring(household_counts.kode_desa, 1, levels.panjang_kode) as kode_wilayah,
        count(*) as keluarga_desil_1_5,
        count(*) filter (where jumlah_program = 0) as keluarga_tanpa_program,
        count(*) filter (where jumlah_program = 1) as keluarga_1_program,
        count(*) filter (where jumlah_program = 2) as keluarga_2_program,
        count(*) filter (where jumlah_program >= 3) as keluarga_3_program_lebih,
        count(*) filter (where desil <= 2) as keluarga_desil_1_2,
        count(*) filter (where desil <= 2 and jumlah_program = 0) as keluarga_desil_1_2_tanpa_program

    from household_counts
    cross join {{ region_levels() }} as levels
    group by 1, 2, 3, 4

)

select
    by_level.tahun,
    by_level.tanggal_snapshot_acuan,
    by_level.tingkat_wilayah,
    by_level.kode_wilayah,
    wilayah.nama_wilayah,
    cast(by_level.keluarga_desil_1_5 as bigint) as keluarga_desil_1_5,
    cast(by_level.keluarga_tanpa_program as bigint) as keluarga_tanpa_program,
    cast(by_level.keluarga_1_program as bigint) as keluarga_1_program,
    cast(by_level.keluarga_2_program as bigint) as keluarga_2_program,
    cast(by_level.keluarga_3_program_lebih as bigint) as keluarga_3_program_lebih,
    100e0 * by_level.keluarga_tanpa_program / nullif(by_level.keluarga_desil_1_5, 0)
        as persen_tanpa_program,
    cast(by_level.keluarga_desil_1_2 as bigint) as keluarga_desil_1_2,
    cast(by_level.keluarga_desil_1_2_tanpa_program as bigint) as keluarga_desil_1_2_tanpa_program,
    100e0 * by_level.keluarga_desil_1_2_tanpa_program / nullif(by_level.keluarga_desil_1_2, 0)
        as persen_desil_1_2_tanpa_program,
    incomplete.catatan_kelengkapan is null as is_data_lengkap,
    incomplete.catatan_kelengkapan

from by_level
left join {{ ref('dim_wilayah') }} as wilayah
    on by_level.kode_wilayah = wilayah.kode_wilayah
left join {{ ref('int_roster_years_incomplete') }} as incomplete
    on by_level.tahun = incomplete.tahun
