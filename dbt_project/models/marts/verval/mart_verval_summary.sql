-- The verval list counted, without personal data: per year, region level and reason, the
-- distinct units to visit (jumlah_sasaran) and the list's rows (jumlah_kasus), plus a
-- `semua` row per region for all reasons together. Units are placed where the list places
-- them; a unit placed coarser than desa (a roster NIK with a kabupaten/kota code only)
-- counts from its own level up.
with

cases as (

    select tahun, kode_alasan, kunci_kasus, kode_wilayah
    from {{ ref('verval_kasus') }}

),

reasons as (

    select kode_alasan, prioritas, alasan from {{ ref('verval_alasan') }}

),

-- Each case counts under its own reason and under `semua`.
cases_with_all as (

    select tahun, kode_alasan, kunci_kasus, kode_wilayah from cases
    union all
    select tahun, 'semua' as kode_alasan, kunci_kasus, kode_wilayah from cases

),

counted as (

    select
        cases.tahun,
        levels.tingkat_wilayah,
        substring(cases.kode_wilayah, 1, levels.panjang_kode) as kode_wilayah,
        cases.kode_alasan,
        count(distinct cases.kunci_kasus) as jumlah_sasaran,
        count(*) as jumlah_kasus

    from cases_with_all as cases
    cross join {{ region_levels() }} as levels
    where length(cases.kode_wilayah) >= levels.panjang_kode
    group by 1, 2, 3, 4

),

final as (

    select
        counted.tahun,
        counted.tingkat_wilayah,
        counted.kode_wilayah,
        dim_wilayah.nama_wilayah,
        counted.kode_alasan,
        coalesce(reasons.alasan, 'Semua alasan') as alasan,
        reasons.prioritas,
        cast(counted.jumlah_sasaran as bigint) as jumlah_sasaran,
        cast(counted.jumlah_kasus as bigint) as jumlah_kasus

    from counted
    left join reasons
        on counted.kode_alasan = reasons.kode_alasan
    left join {{ ref('dim_wilayah') }} as dim_wilayah
        on counted.kode_wilayah = dim_wilayah.kode_wilayah

)

select * from final
