-- Households and living people by desil, per snapshot and region, at every region level.
-- Counted once at desa level, then rolled up, so the coarse levels always equal the sum
-- of the fine ones.
with

households as (

    select * from {{ ref('int_households_with_members') }}

),

per_desa as (

    select
        tanggal_snapshot,
        kode_wilayah as kode_desa,
        desil,
        count(*) as jumlah_keluarga,
        sum(jumlah_jiwa) as jumlah_jiwa

    from households
    group by tanggal_snapshot, kode_wilayah, desil

),

per_level as (

    select
        per_desa.tanggal_snapshot,
        levels.tingkat_wilayah,
        substring(per_desa.kode_desa, 1, levels.panjang_kode) as kode_wilayah,
        per_desa.desil,
        sum(per_desa.jumlah_keluarga) as jumlah_keluarga,
        sum(per_desa.jumlah_jiwa) as jumlah_jiwa

    from per_desa
    cross join {{ region_levels() }} as levels
    group by 1, 2, 3, 4

),

with_shares as (

    select
        *,
        100.0 * jumlah_keluarga / sum(jumlah_keluarga) over region_snapshot as persen_keluarga,
        100.0 * jumlah_jiwa / nullif(sum(jumlah_jiwa) over region_snapshot, 0) as persen_jiwa

    from per_level
    window region_snapshot as (partition by tanggal_snapshot, tingkat_wilayah, kode_wilayah)

),

final as (

    select
        with_shares.tanggal_snapshot,
        with_shares.tingkat_wilayah,
        with_shares.kode_wilayah,
        dim_wilayah.nama_wilayah,
        with_shares.desil,
        coalesce(cast(with_shares.desil as varchar), 'belum_diperingkat') as kategori_desil,
        cast(with_shares.jumlah_keluarga as bigint) as jumlah_keluarga,
        cast(with_shares.jumlah_jiwa as bigint) as jumlah_jiwa,
        with_shares.persen_keluarga,
        with_shares.persen_jiwa

    from with_shares
    left join {{ ref('dim_wilayah') }} as dim_wilayah
        on with_shares.kode_wilayah = dim_wilayah.kode_wilayah

)

select * from final
