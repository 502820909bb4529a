-- Each roster period (year × quarter; quarter 0 = the whole year) with the DTSEN snapshot it
-- is judged against: the latest snapshot dated on or before the period's last day, else the
-- earliest snapshot, flagged (DESIGN §3 "Reference snapshot").
with

periods as (

    select distinct tahun, tahap
    from {{ ref('int_roster_rows_valid') }}

),

snapshots as (

    select distinct tanggal_snapshot from {{ ref('int_dtsen_households_valid') }}

),

bounded as (

    select
        tahun,
        tahap,
        case
            when tahap = 0 then make_date(tahun, 1, 1)
            else make_date(tahun, 3 * tahap - 2, 1)
        end as tanggal_awal_periode,
        case
            when tahap = 0 then make_date(tahun, 12, 31)
            else cast({{ dbt.last_day('make_date(tahun, 3 * tahap, 1)', 'month') }} as date)
        end as tanggal_akhir_periode

    from periods

),

chosen as (

    select
        bounded.*,
        {{ latest_snapshot_on_or_before('bounded.tanggal_akhir_periode', 'snapshots') }}
            as latest_snapshot_in_time,
        {{ earliest_snapshot('snapshots') }} as earliest_snapshot

    from bounded

)

select
    tahun,
    tahap,
    tanggal_awal_periode,
    tanggal_akhir_periode,
    coalesce(latest_snapshot_in_time, earliest_snapshot) as tanggal_snapshot_acuan,
    latest_snapshot_in_time is null as is_acuan_setelah_periode

from chosen
