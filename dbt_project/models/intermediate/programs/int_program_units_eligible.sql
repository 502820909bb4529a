-- The eligible units E of every programme × period (DESIGN §3 `sasaran_layak`): households
-- whose desil is within the programme's range (keluarga), or the living members of such
-- households within the age range, in completed years on the period's last day (individu).
-- Counted only in the kabupaten/kota where the programme has data for the period: roster
-- rows there, or recipients whose household lives there.
with

recipients as (

    select * from {{ ref('int_roster_rows_matched') }}

),

programme_periods as (

    select distinct
        kode_program,
        tahun,
        tahap,
        tanggal_akhir_periode,
        tanggal_snapshot_acuan,
        substring(kode_wilayah_roster, 1, 4) as kode_kabkota
    from recipients

    union

    select distinct
        kode_program,
        tahun,
        tahap,
        tanggal_akhir_periode,
        tanggal_snapshot_acuan,
        substring(kode_desa_dtsen, 1, 4) as kode_kabkota
    from recipients
    where kode_desa_dtsen is not null

),

programme_periods_with_rule as (

    select
        programme_periods.*,
        programs.unit_sasaran,
        programs.desil_min,
        programs.desil_max,
        programs.usia_min,
        programs.usia_max

    from programme_periods
    inner join {{ ref('stg_referensi__program') }} as programs
        on programme_periods.kode_program = programs.kode_program

),

eligible_households as (

    select
        periods.kode_program,
        periods.tahun,
        periods.tahap,
        periods.unit_sasaran,
        periods.usia_min,
        periods.usia_max,
        periods.tanggal_akhir_periode,
        households.tanggal_snapshot,
        households.id_keluarga,
        households.kode_wilayah as kode_desa

    from programme_periods_with_rule as periods
    inner join {{ ref('int_dtsen_households_valid') }} as households
        on households.tanggal_snapshot = periods.tanggal_snapshot_acuan
        and substring(households.kode_wilayah, 1, 4) = periods.kode_kabkota
        and households.desil between periods.desil_min and periods.desil_max

),

keluarga_units as (

    select kode_program, tahun, tahap, 'keluarga:' || id_keluarga as kunci_unit, kode_desa
    from eligible_households
    where unit_sasaran = 'keluarga'

),

individu_units as (

    select
        eligible_households.kode_program,
        eligible_households.tahun,
        eligible_households.tahap,
        'individu:' || members.nik as kunci_unit,
        eligible_households.kode_desa

    from eligible_households
    inner join {{ ref('int_dtsen_members_valid') }} as members
        on members.tanggal_snapshot = eligible_households.tanggal_snapshot
        and members.id_keluarga = eligible_households.id_keluarga
    where eligible_households.unit_sasaran = 'individu'
        and members.is_hidup
        and (
            eligible_households.usia_min is null
            or {{ age_in_years('members.tanggal_lahir', 'eligible_households.tanggal_akhir_periode') }}
            >= eligible_households.usia_min
        )
        and (
            eligible_households.usia_max is null
            or {{ age_in_years('members.tanggal_lahir', 'eligible_households.tanggal_akhir_periode') }}
            <= eligible_households.usia_max
        )

)

select * from keluarga_units
union all
select * from individu_units
