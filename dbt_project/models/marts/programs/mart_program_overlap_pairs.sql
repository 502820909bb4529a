-- Which programmes reach the same households: per year and region (every level), each pair
-- of programmes with the number of households receiving both that year, ranked.
with

received as (

    select distinct tahun, id_keluarga, kode_wilayah as kode_desa, desil, kode_program
    from {{ ref('int_household_programmes_per_year') }}
    where kode_program is not null

),

pairs as (

    select
        a.tahun,
        a.kode_desa,
        a.desil,
        a.id_keluarga,
        a.kode_program as kode_program_a,
        b.kode_program as kode_program_b

    from received as a
    inner join received as b
        on a.tahun = b.tahun
        and a.id_keluarga = b.id_keluarga
        and a.kode_program < b.kode_program

),

by_level as (

    select
        pairs.tahun,
        levels.tingkat_wilayah,
        substring(pairs.kode_desa, 1, levels.panjang_kode) as kode_wilayah,
        pairs.kode_program_a,
        pairs.kode_program_b,
        count(*) as jumlah_keluarga,
        count(*) filter (where pairs.desil between 1 and 5) as jumlah_keluarga_desil_1_5

    from pairs
    cross join {{ region_levels() }} as levels
    group by 1, 2, 3, 4, 5

)

select
    by_level.tahun,
    by_level.tingkat_wilayah,
    by_level.kode_wilayah,
    wilayah.nama_wilayah,
    by_level.kode_program_a,
    by_level.kode_program_b,
    cast(by_level.jumlah_keluarga as bigint) as jumlah_keluarga,
    cast(by_level.jumlah_keluarga_desil_1_5 as bigint) as jumlah_keluarga_desil_1_5,
    cast(rank() over (
        partition by by_level.tahun, by_level.tingkat_wilayah, by_level.kode_wilayah
        order by by_level.jumlah_keluarga desc
    ) as bigint) as peringkat,
    incomplete.catatan_kelengkapan is null as is_data_lengkap,
    incomplete.catatan_kelengkapan

from by_level
left join {{ ref('dim_wilayah') }} as wilayah
    on by_level.kode_wilayah = wilayah.kode_wilayah
left join {{ ref('int_roster_years_incomplete') }} as incomplete
    on by_level.tahun = incomplete.tahun
