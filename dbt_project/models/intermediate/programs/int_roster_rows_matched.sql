-- Usable roster rows matched to their reference snapshot (DESIGN §3 "Matching" and "Units"):
-- by exact NIK to a person (int_roster_rows_by_nik); failing that, for `keluarga` programmes
-- only, by no_kk to the one household holding it (a no_kk shared by two households is not
-- used). Each row gets the unit it counts for: the household (keluarga), the person
-- (individu), or, when nothing matched, its NIK (tidak padan).
with

by_nik as (

    select * from {{ ref('int_roster_rows_by_nik') }}

),

households as (

    select tanggal_snapshot, id_keluarga, no_kk, kode_wilayah, desil
    from {{ ref('int_dtsen_households_valid') }}

),

-- Read from the model, not the CTE above: a CTE used twice is materialised whole.
unique_no_kk as (

    select tanggal_snapshot, no_kk, min(id_keluarga) as id_keluarga
    from {{ ref('int_dtsen_households_valid') }}
    where no_kk is not null
    group by tanggal_snapshot, no_kk
    having count(*) = 1

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
