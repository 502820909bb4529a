-- Usable roster rows with their period's reference snapshot and, when their NIK is that of
-- a person in it, that person (DESIGN §3 "Matching": exact NIK first). The KK-number
-- fallback and the unit each row counts for follow in int_roster_rows_matched.
--
-- A model of its own so that each build query has one large join: at province scale the
-- roster rows and the registry's members are each over a hundred million rows, and a query
-- that also joins households twice needs every hash table at once (10M households ran out
-- of a 4 GB DuckDB budget).
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

)

select
    roster_rows._source_file,
    roster_rows._sheet,
    roster_rows._row_number,
    roster_rows.kode_program,
    roster_rows.unit_sasaran,
    roster_rows.tahun,
    roster_rows.tahap,
    roster_rows.tanggal_akhir_periode,
    roster_rows.tanggal_snapshot_acuan,
    roster_rows.is_acuan_setelah_periode,
    roster_rows.nik,
    roster_rows.no_kk,
    roster_rows.kode_wilayah,
    roster_rows.nilai_bantuan,
    people.nik is not null as is_nik_padan,
    people.status as status_orang,
    people.id_keluarga as id_keluarga_nik

from roster_rows
left join people
    on roster_rows.tanggal_snapshot_acuan = people.tanggal_snapshot
    and roster_rows.nik = people.nik
