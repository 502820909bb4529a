-- Transitions out of each kabupaten/kota (every origin but `baru`) must equal the earlier
-- snapshot's households there, and transitions into all regions (every destination but
-- `keluar`) the later snapshot's households. Returns the pairs that do not add up.
-- It reads two models; the meta names the one it checks, so Dagster shows it as that
-- mart's asset check.
{{ config(meta={'dagster': {'ref': {'name': 'mart_desil_transitions'}}}) }}
with

households as (

    select
        tanggal_snapshot,
        substring(kode_wilayah, 1, 4) as kode_wilayah,
        count(*) as jumlah_keluarga
    from {{ ref('int_households_with_members') }}
    group by 1, 2

),

outgoing as (

    select
        tanggal_snapshot_asal as tanggal_snapshot,
        kode_wilayah,
        sum(jumlah_keluarga) as jumlah_keluarga
    from {{ ref('mart_desil_transitions') }}
    where desil_asal <> 'baru'
    group by 1, 2

),

incoming as (

    select tanggal_snapshot_tujuan as tanggal_snapshot, sum(jumlah_keluarga) as jumlah_keluarga
    from {{ ref('mart_desil_transitions') }}
    where desil_tujuan <> 'keluar'
    group by 1

),

snapshot_totals as (

    select tanggal_snapshot, sum(jumlah_keluarga) as jumlah_keluarga
    from households
    group by 1

)

select 'asal' as sisi, outgoing.tanggal_snapshot, outgoing.kode_wilayah,
    outgoing.jumlah_keluarga as menurut_transisi, households.jumlah_keluarga as menurut_snapshot
from outgoing
left join households
    on outgoing.tanggal_snapshot = households.tanggal_snapshot
    and outgoing.kode_wilayah = households.kode_wilayah
where outgoing.jumlah_keluarga is distinct from households.jumlah_keluarga

union all

select 'tujuan', incoming.tanggal_snapshot, null,
    incoming.jumlah_keluarga, snapshot_totals.jumlah_keluarga
from incoming
left join snapshot_totals on incoming.tanggal_snapshot = snapshot_totals.tanggal_snapshot
where incoming.jumlah_keluarga is distinct from snapshot_totals.jumlah_keluarga
