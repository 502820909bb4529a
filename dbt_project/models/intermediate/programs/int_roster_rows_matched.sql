-- Usable roster rows matched to their reference snapshot (DESIGN §3 "Matching" and "Units"):
-- by exact NIK to a person; failing that, for `keluarga` programmes only, by no_kk to the
-- one household holding it (a no_kk shared by two households is not used). Each row gets
-- the unit it counts for: the household (keluarga), the person (individu), or, when
-- nothing matched, its NIK (tidak padan).
with

roster_rows as (

    select
        roster_rows.*,
        periods.tanggal_akhir_periode,
        periods.tanggal_snapshot_acuan,
        periods.is_acuan_setelah_periode,
        programs.unit_sasaran

    from {{ ref('int_roster_rows_valid') }} as roster_rows
    inner join {{ ref('int_periods_with_reference_snapshot') }} as periods
        on roster_rows.tahun = periods.tahun and roster_rows.tahap = periods.tahap
    inner join {{ ref('stg_referensi__program') }} as programs
        on roster_rows.kode_program = programs.kode_program

),

people as (

    select tanggal_snapshot, nik, id_keluarga, status
    from {{ ref('int_dtsen_members_valid') }}

),

households as (

    select tanggal_snapshot, id_keluarga, no_kk, kode_wilayah, desil
    from {{ ref('int_dtsen_households_valid') }}

),

unique_no_kk as (

    select tanggal_snapshot, no_kk, min(id_keluarga) as id_keluarga
    from households
    where no_kk is not null
    group by tanggal_snapshot, no_kk
    having count(*) = 1

),

by_nik as (

    select
        roster_rows.*,
        people.nik is not null as is_nik_padan,
        people.status as status_orang,
        people.id_keluarga as id_keluarga_nik

    from roster_rows
    left join people
        on roster_rows.tanggal_snapshot_acuan = people.tanggal_snapshot
        and roster_rows.nik = people.nik

),

by_no_kk as (

    select
        by_nik.*,
        coalesce(
            by_nik.id_keluarga_nik,
            case when by_nik.unit_sasaran = 'keluarga' then unique_no_kk.id_keluarga end
        ) as id_keluarga

    from by_nik
    left join unique_no_kk
        on not by_nik.is_nik_padan
        and by_nik.tanggal_snapshot_acuan = unique_no_kk.tanggal_snapshot
        and by_nik.no_kk = unique_no_kk.no_kk

),

placed as (

    select
        by_no_kk.*,
        households.kode_wilayah as kode_desa_dtsen,
        households.desil,
        case
            when by_no_kk.is_nik_padan then 'nik'
            when by_no_kk.id_keluarga is not null then 'no_kk'
            else 'tidak_padan'
        end as cara_padan

    from by_no_kk
    left join households
        on by_no_kk.tanggal_snapshot_acuan = households.tanggal_snapshot
        and by_no_kk.id_keluarga = households.id_keluarga

)

select
    _source_file,
    _sheet,
    _row_number,
    kode_program,
    unit_sasaran,
    tahun,
    tahap,
    tanggal_akhir_periode,
    tanggal_snapshot_acuan,
    is_acuan_setelah_periode,
    nik,
    kode_wilayah as kode_wilayah_roster,
    cara_padan,
    cara_padan <> 'tidak_padan' as is_padan,
    status_orang,
    id_keluarga,
    kode_desa_dtsen,
    desil,
    case
        when cara_padan = 'tidak_padan' then 'tidak_padan:' || nik
        when unit_sasaran = 'keluarga' then 'keluarga:' || id_keluarga
        else 'individu:' || nik
    end as kunci_unit,
    nilai_bantuan

from placed
