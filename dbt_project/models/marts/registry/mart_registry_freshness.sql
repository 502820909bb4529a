-- How up to date the registry is: per snapshot and region, households whose record was
-- last updated more than 24 calendar months before the snapshot date (or never), and their
-- share. Counted once at desa level, then rolled up, so the coarse levels always equal the
-- sum of the fine ones.
with

households as (

    select
        tanggal_snapshot,
        kode_wilayah,
        desil,
        tanggal_pemutakhiran,
        -- Calendar months, clamped to the month's end (29 Feb 2024 − 24 months = 28 Feb 2022).
        cast({{ dbt.dateadd('month', -24, 'tanggal_snapshot') }} as date)
            as tanggal_batas_mutakhir

    from {{ ref('int_households_with_members') }}

),

flagged as (

    select
        tanggal_snapshot,
        kode_wilayah,
        tanggal_batas_mutakhir,
        coalesce(desil between 1 and 4, false) as is_desil_1_4,
        -- A missing date is stale: nobody can say when the record was last checked.
        coalesce(tanggal_pemutakhiran < tanggal_batas_mutakhir, true) as is_tidak_mutakhir

    from households

),

per_desa as (

    select
        tanggal_snapshot,
        tanggal_batas_mutakhir,
        kode_wilayah as kode_desa,
        count(*) as jumlah_keluarga,
        sum(case when is_tidak_mutakhir then 1 else 0 end) as keluarga_tidak_mutakhir,
        sum(case when is_desil_1_4 then 1 else 0 end) as jumlah_keluarga_desil_1_4,
        sum(case when is_desil_1_4 and is_tidak_mutakhir then 1 else 0 end)
            as keluarga_tidak_mutakhir_desil_1_4

    from flagged
    group by tanggal_snapshot, tanggal_batas_mutakhir, kode_wilayah

),

per_level as (

    select
        per_desa.tanggal_snapshot,
        per_desa.tanggal_batas_mutakhir,
        levels.tingkat_wilayah,
        substring(per_desa.kode_desa, 1, levels.panjang_kode) as kode_wilayah,
        sum(per_desa.jumlah_keluarga) as jumlah_keluarga,
        sum(per_desa.keluarga_tidak_mutakhir) as keluarga_tidak_mutakhir,
        sum(per_desa.jumlah_keluarga_desil_1_4) as jumlah_keluarga_desil_1_4,
        sum(per_desa.keluarga_tidak_mutakhir_desil_1_4) as keluarga_tidak_mutakhir_desil_1_4

    from per_desa
    cross join {{ region_levels() }} as levels
    group by 1, 2, 3, 4

),

final as (

    select
        per_level.tanggal_snapshot,
        per_level.tingkat_wilayah,
        per_level.kode_wilayah,
        dim_wilayah.nama_wilayah,
        per_level.tanggal_batas_mutakhir,
        cast(per_level.jumlah_keluarga as bigint) as jumlah_keluarga,
        cast(per_level.keluarga_tidak_mutakhir as bigint) as keluarga_tidak_mutakhir,
        100e0 * per_level.keluarga_tidak_mutakhir / nullif(per_level.jumlah_keluarga, 0)
            as persen_tidak_mutakhir,
        cast(per_level.jumlah_keluarga_desil_1_4 as bigint) as jumlah_keluarga_desil_1_4,
        cast(per_level.keluarga_tidak_mutakhir_desil_1_4 as bigint)
            as keluarga_tidak_mutakhir_desil_1_4,
        100e0 * per_level.keluarga_tidak_mutakhir_desil_1_4
            / nullif(per_level.jumlah_keluarga_desil_1_4, 0) as persen_tidak_mutakhir_desil_1_4

    from per_level
    left join {{ ref('dim_wilayah') }} as dim_wilayah
        on per_level.kode_wilayah = dim_wilayah.kode_wilayah

)

select * from final
