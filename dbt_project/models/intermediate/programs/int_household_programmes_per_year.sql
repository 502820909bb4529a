-- For each year with roster data: every DTSEN household of the year's reference snapshot
-- (the latest on or before 31 December, else the earliest) with the programmes it received
-- that year, in any quarter, as a household (keluarga programmes) or through a member
-- (individu programmes). Matched recipients only.
with

years as (

    select distinct tahun from {{ ref('int_program_recipients') }}

),

snapshots as (

    select distinct tanggal_snapshot from {{ ref('int_dtsen_households_valid') }}

),

year_snapshot as (

    select
        years.tahun,
        coalesce(
            {{ latest_snapshot_on_or_before('make_date(years.tahun, 12, 31)', 'snapshots') }},
            {{ earliest_snapshot('snapshots') }}
        ) as tanggal_snapshot_acuan

    from years

),

households as (

    select
        year_snapshot.tahun,
        year_snapshot.tanggal_snapshot_acuan,
        households.id_keluarga,
        households.kode_wilayah,
        households.desil

    from year_snapshot
    inner join {{ ref('int_dtsen_households_valid') }} as households
        on households.tanggal_snapshot = year_snapshot.tanggal_snapshot_acuan

),

received as (

    select distinct tahun, id_keluarga, kode_program
    from {{ ref('int_program_recipients') }}
    where is_padan

)

select
    households.tahun,
    households.tanggal_snapshot_acuan,
    households.id_keluarga,
    households.kode_wilayah,
    households.desil,
    received.kode_program

from households
left join received
    on households.tahun = received.tahun
    and households.id_keluarga = received.id_keluarga
