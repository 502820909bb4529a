-- Households and living people by desil, per snapshot and region, at every region level.
-- Counted once at desa level, then rolled up, so the coarse levels always equal the sum
-- of the fine ones. Desa known only by aggregates (DESIGN §2.2) add their households per
-- desil or band (`7-10`) and no people; `sumber_data` says which regions that concerns.
{% set aggregate_columns = [
    ('desil_1', '1', 1), ('desil_2', '2', 2), ('desil_3', '3', 3), ('desil_4', '4', 4),
    ('desil_5', '5', 5), ('desil_6', '6', 6), ('desil_7', '7', 7), ('desil_8', '8', 8),
    ('desil_9', '9', 9), ('desil_10', '10', 10), ('desil_7_10', '7-10', none),
    ('desil_null', 'belum_diperingkat', none),
] %}
with

households as (

    select * from {{ ref('int_households_with_members') }}

),

aggregates as (

    select * from {{ ref('int_desil_agregat_valid') }}

),

microdata_per_desa as (

    select
        tanggal_snapshot,
        kode_wilayah as kode_desa,
        desil,
        coalesce(cast(desil as string), 'belum_diperingkat') as kategori_desil,
        count(*) as jumlah_keluarga,
        sum(jumlah_jiwa) as jumlah_jiwa,
        false as is_agregat

    from households
    group by tanggal_snapshot, kode_wilayah, desil

),

aggregates_per_desa as (

    {% for column, kategori, desil in aggregate_columns %}
    select
        tanggal_snapshot,
        kode_wilayah as kode_desa,
        cast({{ 'null' if desil is none else desil }} as integer) as desil,
        '{{ kategori }}' as kategori_desil,
        cast({{ column }} as bigint) as jumlah_keluarga,
        cast(null as bigint) as jumlah_jiwa,
        true as is_agregat

    from aggregates
    where {{ column }} > 0
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

per_desa as (

    select * from microdata_per_desa
    union all
    select * from aggregates_per_desa

),

per_level as (

    select
        per_desa.tanggal_snapshot,
        levels.tingkat_wilayah,
        substring(per_desa.kode_desa, 1, levels.panjang_kode) as kode_wilayah,
        per_desa.desil,
        per_desa.kategori_desil,
        sum(per_desa.jumlah_keluarga) as jumlah_keluarga,
        sum(per_desa.jumlah_jiwa) as jumlah_jiwa,
        bool_or(per_desa.is_agregat) as has_agregat,
        bool_and(per_desa.is_agregat) as is_agregat

    from per_desa
    cross join {{ region_levels() }} as levels
    group by 1, 2, 3, 4, 5

),

with_source as (

    select
        *,
        case
            when bool_and(is_agregat) over region_snapshot then 'agregat_desa'
            when bool_or(has_agregat) over region_snapshot then 'campuran'
            else 'mikro'
        end as sumber_data

    from per_level
    window region_snapshot as (partition by tanggal_snapshot, tingkat_wilayah, kode_wilayah)

),

with_shares as (

    select
        *,
        100e0 * jumlah_keluarga / sum(jumlah_keluarga) over region_snapshot as persen_keluarga,
        case
            when sumber_data = 'mikro'
                then 100e0 * jumlah_jiwa / nullif(sum(jumlah_jiwa) over region_snapshot, 0)
        end as persen_jiwa

    from with_source
    window region_snapshot as (partition by tanggal_snapshot, tingkat_wilayah, kode_wilayah)

),

final as (

    select
        with_shares.tanggal_snapshot,
        with_shares.tingkat_wilayah,
        with_shares.kode_wilayah,
        dim_wilayah.nama_wilayah,
        with_shares.desil,
        with_shares.kategori_desil,
        cast(with_shares.jumlah_keluarga as bigint) as jumlah_keluarga,
        case
            when with_shares.sumber_data = 'mikro' then cast(with_shares.jumlah_jiwa as bigint)
        end as jumlah_jiwa,
        with_shares.persen_keluarga,
        with_shares.persen_jiwa,
        with_shares.sumber_data

    from with_shares
    left join {{ ref('dim_wilayah') }} as dim_wilayah
        on with_shares.kode_wilayah = dim_wilayah.kode_wilayah

)

select * from final
