-- One row per household per snapshot with its count of living members.
-- No personal data leaves this model: no NIK, no KK number, no names.
with

households as (

    select
        tanggal_snapshot,
        id_keluarga,
        kode_wilayah,
        desil,
        tanggal_pemutakhiran

    from {{ ref('int_dtsen_households_valid') }}

),

living_members as (

    select
        tanggal_snapshot,
        id_keluarga,
        count(*) filter (where is_hidup) as jumlah_jiwa

    from {{ ref('int_dtsen_members_valid') }}
    group by tanggal_snapshot, id_keluarga

),

joined as (

    select
        households.tanggal_snapshot,
        households.id_keluarga,
        households.kode_wilayah,
        households.desil,
        households.tanggal_pemutakhiran,
        coalesce(living_members.jumlah_jiwa, 0) as jumlah_jiwa

    from households
    left join living_members
        on households.tanggal_snapshot = living_members.tanggal_snapshot
        and households.id_keluarga = living_members.id_keluarga

)

select * from joined
