-- Roster rows from the registry's programme flags (SIKS-NG `Bansos_Pkh`, `Bansos_Bpnt`,
-- `Pbi_Jkn`; DESIGN §2.2), shaped like stg_rosters__rows: the period is the snapshot's year
-- and quarter, the row's region its household's desa, `sumber_roster` = registri. A
-- `keluarga` programme gets one row per flagged household (its first flagged member), an
-- `individu` one a row per flagged person. Where an OPD roster of the programme covers the
-- kabupaten/kota and period, the flags are left out: the OPD roster wins, and nobody is
-- counted twice as data ganda.
{% set flags = var('registry_program_flags') %}
with

members as (

    select * from {{ ref('stg_dtsen__anggota') }}
    where format_registri = 'siks_ng'

),

households as (

    select tanggal_snapshot, id_keluarga, no_kk, kode_wilayah
    from {{ ref('stg_dtsen__keluarga') }}
    where format_registri = 'siks_ng'

),

programs as (

    select kode_program, unit_sasaran from {{ ref('stg_referensi__program') }}

),

opd_periods as (

    select distinct kode_program, tahun, tahap, substring(kode_wilayah, 1, 4) as kode_kabkota
    from {{ ref('stg_rosters__rows') }}

),

flagged as (

    {% for flag, kode_program in flags.items() %}
    select
        members.tanggal_snapshot,
        members.id_keluarga,
        members.nik,
        members.nama,
        members._source_file,
        members._row_number,
        '{{ kode_program }}' as kode_program

    from members
    where members.is_{{ flag }}
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

placed as (

    select
        flagged.*,
        households.no_kk,
        households.kode_wilayah,
        programs.unit_sasaran,
        cast(extract(year from flagged.tanggal_snapshot) as integer) as tahun,
        cast(extract(quarter from flagged.tanggal_snapshot) as integer) as tahap,
        row_number() over (
            partition by flagged.tanggal_snapshot, flagged.kode_program, flagged.id_keluarga
            order by flagged._source_file, flagged._row_number
        ) as urutan_dalam_keluarga

    from flagged
    left join households
        on flagged.tanggal_snapshot = households.tanggal_snapshot
        and flagged.id_keluarga = households.id_keluarga
    left join programs on flagged.kode_program = programs.kode_program

),

final as (

    select
        placed._source_file,
        cast(null as string) as _sheet,
        placed._row_number,
        placed.kode_program,
        placed.tahun,
        placed.tahap,
        cast(placed.tahap as string) as tahap_asli,
        placed.kode_wilayah,
        placed.nik,
        false as is_nik_from_number_cell,
        placed.no_kk,
        placed.nama,
        cast(null as double) as nilai_bantuan,
        cast(null as string) as nilai_bantuan_masalah,
        cast(null as string) as nilai_bantuan_asli,
        'registri' as sumber_roster

    from placed
    left join opd_periods
        on placed.kode_program = opd_periods.kode_program
        and placed.tahun = opd_periods.tahun
        and placed.tahap = opd_periods.tahap
        and substring(placed.kode_wilayah, 1, 4) = opd_periods.kode_kabkota
    where opd_periods.kode_program is null
        and (placed.unit_sasaran = 'individu' or placed.urutan_dalam_keluarga = 1)

)

select * from final
