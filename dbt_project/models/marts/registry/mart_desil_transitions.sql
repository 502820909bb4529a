-- How households move between desil from one DTSEN snapshot to the next, per
-- kabupaten/kota. Households are followed by id_keluarga over each pair of consecutive
-- snapshots: one present in both goes from its earlier desil to its later one, one only in
-- the later snapshot comes from `baru`, one only in the earlier goes to `keluar`. Each is
-- placed by the earlier snapshot's region (the later one's for `baru`), so the rows leaving
-- a region add up to its households in the earlier snapshot (DESIGN §3.1 "Registry").
with

households as (

    select
        tanggal_snapshot,
        id_keluarga,
        kode_wilayah,
        coalesce(cast(desil as {{ dbt.type_string() }}), 'belum_diperingkat') as kategori_desil

    from {{ ref('int_households_with_members') }}

),

snapshots as (

    select distinct tanggal_snapshot from households

),

consecutive_pairs as (

    select
        tanggal_snapshot as tanggal_snapshot_asal,
        lead(tanggal_snapshot) over (order by tanggal_snapshot) as tanggal_snapshot_tujuan

    from snapshots

),

pairs as (

    select * from consecutive_pairs
    where tanggal_snapshot_tujuan is not null

),

households_before as (

    select
        pairs.tanggal_snapshot_asal,
        pairs.tanggal_snapshot_tujuan,
        households.id_keluarga,
        households.kode_wilayah,
        households.kategori_desil

    from pairs
    inner join households
        on households.tanggal_snapshot = pairs.tanggal_snapshot_asal

),

households_after as (

    select
        pairs.tanggal_snapshot_asal,
        pairs.tanggal_snapshot_tujuan,
        households.id_keluarga,
        households.kode_wilayah,
        households.kategori_desil

    from pairs
    inner join households
        on households.tanggal_snapshot = pairs.tanggal_snapshot_tujuan

),

followed as (

    select
        coalesce(before.tanggal_snapshot_asal, after.tanggal_snapshot_asal)
            as tanggal_snapshot_asal,
        coalesce(before.tanggal_snapshot_tujuan, after.tanggal_snapshot_tujuan)
            as tanggal_snapshot_tujuan,
        -- Placed by the earlier snapshot; a new household by the later one.
        coalesce(before.kode_wilayah, after.kode_wilayah) as kode_desa,
        coalesce(before.kategori_desil, 'baru') as desil_asal,
        coalesce(after.kategori_desil, 'keluar') as desil_tujuan

    from households_before as before
    full outer join households_after as after
        on before.tanggal_snapshot_asal = after.tanggal_snapshot_asal
        and before.id_keluarga = after.id_keluarga

),

per_kabkota as (

    select
        tanggal_snapshot_asal,
        tanggal_snapshot_tujuan,
        substring(kode_desa, 1, 4) as kode_wilayah,
        desil_asal,
        desil_tujuan,
        count(*) as jumlah_keluarga

    from followed
    group by 1, 2, 3, 4, 5

),

with_shares as (

    select
        *,
        100e0 * jumlah_keluarga / sum(jumlah_keluarga) over origin_row as persen_keluarga

    from per_kabkota
    window origin_row as (
        partition by tanggal_snapshot_asal, tanggal_snapshot_tujuan, kode_wilayah, desil_asal
    )

),

final as (

    select
        with_shares.tanggal_snapshot_asal,
        with_shares.tanggal_snapshot_tujuan,
        with_shares.kode_wilayah,
        dim_wilayah.nama_wilayah,
        with_shares.desil_asal,
        with_shares.desil_tujuan,
        cast(with_shares.jumlah_keluarga as bigint) as jumlah_keluarga,
        with_shares.persen_keluarga

    from with_shares
    left join {{ ref('dim_wilayah') }} as dim_wilayah
        on with_shares.kode_wilayah = dim_wilayah.kode_wilayah

)

select * from final
