-- RESTRICTED (NIK, no_kk, names): the field-verification (verval) cases of every year with
-- roster data. One row per case: a unit to visit for one reason — for programme reasons
-- (meninggal, inklusi, tidak_padan, ganda) also for one programme, over all periods of the
-- year — where the unit is the household (of the recipient, or of the person in individu
-- programmes) or, for a roster NIK not in DTSEN, that NIK. Registry reasons (eksklusi,
-- aset_tidak_sesuai, tidak_mutakhir) judge the households of the year's reference snapshot
-- (latest on or before 31 December). Read only by `tepat verval` (orchestration/verval) and
-- counted, without any personal column, by mart_verval_summary.
{%- set asset_columns = {
    'status_bangunan': 'status_bangunan',
    'jenis_lantai': 'jenis_lantai',
    'jenis_dinding': 'jenis_dinding',
    'jenis_atap': 'jenis_atap',
    'sumber_air_minum': 'sumber_air_minum',
    'sumber_penerangan': 'sumber_penerangan',
    'bahan_bakar_memasak': 'bahan_bakar_memasak',
    'fasilitas_bab': 'fasilitas_bab',
    'punya_kulkas': 'has_kulkas',
    'punya_ac': 'has_ac',
    'punya_motor': 'has_motor',
    'punya_mobil': 'has_mobil',
    'punya_lahan': 'has_lahan',
    'punya_emas_10g': 'has_emas_10g',
} %}
with

reasons as (

    select kode_alasan, prioritas, alasan from {{ ref('verval_alasan') }}

),

programs as (

    select kode_program, desil_min, desil_max, usia_min, usia_max
    from {{ ref('stg_referensi__program') }}

),

-- Programme reasons, per recipient unit and period (the units of mart_program_coverage).
units as (

    select * from {{ ref('int_program_recipients') }}

),

unit_reasons as (

    select *, 'meninggal' as kode_alasan from units
    where is_padan and has_nik_meninggal

    union all

    -- A deceased recipient is listed as such, not also as an inclusion error.
    select *, 'inklusi' as kode_alasan from units
    where is_padan and not is_layak and not has_nik_meninggal

    union all

    select *, 'tidak_padan' as kode_alasan from units
    where not is_padan

    union all

    select *, 'ganda' as kode_alasan from units
    where jumlah_baris > 1

),

keyed_unit_reasons as (

    select
        *,
        case when is_padan then 'keluarga:' || id_keluarga else kunci_unit end as kunci_kasus

    from unit_reasons

),

roster_rows as (

    select
        matched.kode_program,
        matched.tahun,
        matched.tahap,
        matched.kunci_unit,
        matched.tanggal_snapshot_acuan,
        matched.nik,
        matched.status_orang,
        coalesce(members.nama, roster.nama) as nama,
        roster.no_kk as no_kk_roster

    from {{ ref('int_roster_rows_matched') }} as matched
    left join {{ ref('int_dtsen_members_valid') }} as members
        on matched.tanggal_snapshot_acuan = members.tanggal_snapshot
        and matched.nik = members.nik
    -- The row as the agency wrote it: one row per (file, sheet, row number).
    left join {{ ref('int_roster_rows_checked') }} as roster
        on matched._source_file = roster._source_file
        and matched._sheet is not distinct from roster._sheet
        and matched._row_number = roster._row_number

),

-- The people a programme case is about: every NIK of the unit's rows (for `meninggal`,
-- the deceased ones), once each.
case_people as (

    select distinct
        cases.tahun,
        cases.kode_alasan,
        cases.kode_program,
        cases.kunci_kasus,
        roster_rows.nik,
        roster_rows.nama,
        roster_rows.no_kk_roster

    from keyed_unit_reasons as cases
    inner join roster_rows
        on cases.kode_program = roster_rows.kode_program
        and cases.tahun = roster_rows.tahun
        and cases.tahap = roster_rows.tahap
        and cases.kunci_unit = roster_rows.kunci_unit
    where cases.kode_alasan <> 'meninggal' or roster_rows.status_orang = 'meninggal'

),

people_per_case as (

    select
        tahun,
        kode_alasan,
        kode_program,
        kunci_kasus,
        {{ string_agg_ordered('nik', "', '", ['nik']) }} as nik_terkait,
        {{ string_agg_ordered("coalesce(nama, '-')", "', '", ['nik']) }} as nama_terkait,
        min(no_kk_roster) as no_kk_roster

    from case_people
    group by tahun, kode_alasan, kode_program, kunci_kasus

),

case_periods as (

    select distinct tahun, kode_alasan, kode_program, kunci_kasus, tahap
    from keyed_unit_reasons

),

periods_per_case as (

    select
        tahun,
        kode_alasan,
        kode_program,
        kunci_kasus,
        {{ string_agg_ordered("case when tahap = 0 then 'setahun' else cast(tahap as string) end", "', '", ['tahap']) }}
            as tahap

    from case_periods
    group by tahun, kode_alasan, kode_program, kunci_kasus

),

programme_cases as (

    select
        cases.tahun,
        cases.kode_alasan,
        cases.kode_program,
        cases.kunci_kasus,
        any_value(cases.id_keluarga) as id_keluarga,
        max(cases.tanggal_snapshot_acuan) as tanggal_snapshot_kasus,
        min(cases.kode_wilayah_tempat) as kode_wilayah_kasus,
        max(cases.jumlah_baris) as jumlah_baris_maks,
        {{ string_agg_ordered("coalesce(cast(cases.desil as string), 'belum diperingkat')", "', '", ['cases.tahap']) }}
            as desil_per_periode

    from keyed_unit_reasons as cases
    group by cases.tahun, cases.kode_alasan, cases.kode_program, cases.kunci_kasus

),

-- Registry reasons: the households of each year's reference snapshot.
year_households as (

    select
        tahun,
        tanggal_snapshot_acuan,
        id_keluarga,
        count(kode_program) as jumlah_program

    from {{ ref('int_household_programmes_per_year') }}
    group by tahun, tanggal_snapshot_acuan, id_keluarga

),

households as (

    select * from {{ ref('int_dtsen_households_valid') }}

),

year_household_states as (

    select
        year_households.tahun,
        year_households.jumlah_program,
        households.*,
        cast({{ dbt.dateadd('month', -24, 'households.tanggal_snapshot') }} as date)
            as tanggal_batas_mutakhir

    from year_households
    inner join households
        on year_households.tanggal_snapshot_acuan = households.tanggal_snapshot
        and year_households.id_keluarga = households.id_keluarga

),

household_values as (

    {% for kolom, expression in asset_columns.items() %}
    select
        tahun,
        id_keluarga,
        desil,
        '{{ kolom }}' as kolom,
        {% if expression.startswith('has_') -%}
        case when {{ expression }} then '1' when not {{ expression }} then '0' end
        {%- else -%}
        {{ expression }}
        {%- endif %} as nilai
    from year_household_states
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

asset_rules as (

    select * from {{ ref('verval_aturan_aset') }}

),

asset_rule_sizes as (

    select kode_aturan, count(distinct kolom) as jumlah_kolom
    from asset_rules
    group by kode_aturan

),

asset_rule_matches as (

    select
        household_values.tahun,
        household_values.id_keluarga,
        asset_rules.kode_aturan,
        min(asset_rules.uraian) as uraian,
        count(distinct asset_rules.kolom) as kolom_cocok

    from household_values
    inner join asset_rules
        on household_values.kolom = asset_rules.kolom
        and household_values.nilai = asset_rules.nilai
        and household_values.desil between asset_rules.desil_min and asset_rules.desil_max
    group by household_values.tahun, household_values.id_keluarga, asset_rules.kode_aturan

),

asset_contradictions as (

    select
        matches.tahun,
        matches.id_keluarga,
        {{ string_agg_ordered('matches.uraian', "'; '", ['matches.kode_aturan']) }} as keterangan

    from asset_rule_matches as matches
    inner join asset_rule_sizes as sizes
        on matches.kode_aturan = sizes.kode_aturan
    where matches.kolom_cocok = sizes.jumlah_kolom
    group by matches.tahun, matches.id_keluarga

),

registry_cases as (

    select
        tahun,
        'eksklusi' as kode_alasan,
        id_keluarga,
        'Desil ' || cast(desil as string) || ', tidak menerima program apa pun pada tahun '
            || cast(tahun as string) as keterangan
    from year_household_states
    where desil between 1 and 2 and jumlah_program = 0

    union all

    select
        tahun,
        'tidak_mutakhir' as kode_alasan,
        id_keluarga,
        'Pemutakhiran terakhir: ' || coalesce(cast(tanggal_pemutakhiran as string), 'tidak tercatat')
            || ' (batas: ' || cast(tanggal_batas_mutakhir as string) || ')' as keterangan
    from year_household_states
    -- A missing date is stale: nobody can say when the record was last checked.
    where coalesce(tanggal_pemutakhiran < tanggal_batas_mutakhir, true)

    union all

    select tahun, 'aset_tidak_sesuai' as kode_alasan, id_keluarga, keterangan
    from asset_contradictions

),

all_cases as (

    select
        programme_cases.tahun,
        programme_cases.kode_alasan,
        programme_cases.kode_program,
        periods_per_case.tahap,
        programme_cases.kunci_kasus,
        programme_cases.id_keluarga,
        programme_cases.tanggal_snapshot_kasus,
        programme_cases.kode_wilayah_kasus,
        people_per_case.nik_terkait,
        people_per_case.nama_terkait,
        people_per_case.no_kk_roster,
        case programme_cases.kode_alasan
            when 'meninggal' then 'NIK berstatus meninggal di DTSEN'
            when 'inklusi' then 'Desil pada snapshot acuan: ' || programme_cases.desil_per_periode
                || '; sasaran program: desil ' || cast(programs.desil_min as string) || '–'
                || cast(programs.desil_max as string)
                || case
                    when programs.usia_min is not null or programs.usia_max is not null
                        then ', usia ' || coalesce(cast(programs.usia_min as string), '0') || '–'
                            || coalesce(cast(programs.usia_max as string), '…') || ' tahun'
                    else ''
                end
            when 'tidak_padan' then 'NIK dan nomor KK tidak ditemukan di DTSEN'
            when 'ganda' then 'Tercantum ' || cast(programme_cases.jumlah_baris_maks as string)
                || ' kali dalam satu periode'
        end as keterangan

    from programme_cases
    inner join periods_per_case
        on programme_cases.tahun = periods_per_case.tahun
        and programme_cases.kode_alasan = periods_per_case.kode_alasan
        and programme_cases.kode_program = periods_per_case.kode_program
        and programme_cases.kunci_kasus = periods_per_case.kunci_kasus
    left join people_per_case
        on programme_cases.tahun = people_per_case.tahun
        and programme_cases.kode_alasan = people_per_case.kode_alasan
        and programme_cases.kode_program = people_per_case.kode_program
        and programme_cases.kunci_kasus = people_per_case.kunci_kasus
    left join programs
        on programme_cases.kode_program = programs.kode_program

    union all

    select
        registry_cases.tahun,
        registry_cases.kode_alasan,
        cast(null as string) as kode_program,
        cast(null as string) as tahap,
        'keluarga:' || registry_cases.id_keluarga as kunci_kasus,
        registry_cases.id_keluarga,
        year_snapshots.tanggal_snapshot_acuan as tanggal_snapshot_kasus,
        cast(null as string) as kode_wilayah_kasus,
        cast(null as string) as nik_terkait,
        cast(null as string) as nama_terkait,
        cast(null as string) as no_kk_roster,
        registry_cases.keterangan

    from registry_cases
    inner join (select distinct tahun, tanggal_snapshot_acuan from year_households) as year_snapshots
        on registry_cases.tahun = year_snapshots.tahun

),

-- Whose details the sheet shows: the household as the year's reference snapshot has it,
-- else as the latest snapshot its case was judged against (it left the registry since).
case_snapshots as (

    select
        all_cases.*,
        coalesce(year_households.tanggal_snapshot_acuan, all_cases.tanggal_snapshot_kasus)
            as tanggal_snapshot_data

    from all_cases
    left join year_households
        on all_cases.tahun = year_households.tahun
        and all_cases.id_keluarga = year_households.id_keluarga

),

heads as (

    select
        tanggal_snapshot,
        id_keluarga,
        nik,
        nama,
        row_number() over (
            partition by tanggal_snapshot, id_keluarga
            order by case when is_hidup then 0 else 1 end, hubungan, nik
        ) as urutan

    from {{ ref('int_dtsen_members_valid') }} as members
    -- Only the households (whole partitions) the sheet shows: numbering them alone gives the
    -- same first member, over a fraction of the registry.
    where exists (
        select 1 from case_snapshots
        where case_snapshots.tanggal_snapshot_data = members.tanggal_snapshot
            and case_snapshots.id_keluarga = members.id_keluarga
    )

),

final as (

    select
        case_snapshots.tahun,
        case_snapshots.kode_alasan,
        reasons.prioritas,
        reasons.alasan,
        case_snapshots.kode_program,
        case_snapshots.tahap,
        case_snapshots.kunci_kasus,
        case_snapshots.id_keluarga,
        case_snapshots.tanggal_snapshot_data,
        coalesce(households.kode_wilayah, case_snapshots.kode_wilayah_kasus) as kode_wilayah,
        households.desil,
        coalesce(households.no_kk, case_snapshots.no_kk_roster) as no_kk,
        heads.nik as nik_kepala_keluarga,
        heads.nama as nama_kepala_keluarga,
        case_snapshots.nik_terkait,
        case_snapshots.nama_terkait,
        households.tanggal_pemutakhiran,
        case_snapshots.keterangan

    from case_snapshots
    inner join reasons
        on case_snapshots.kode_alasan = reasons.kode_alasan
    left join households
        on case_snapshots.tanggal_snapshot_data = households.tanggal_snapshot
        and case_snapshots.id_keluarga = households.id_keluarga
    left join heads
        on case_snapshots.tanggal_snapshot_data = heads.tanggal_snapshot
        and case_snapshots.id_keluarga = heads.id_keluarga
        and heads.urutan = 1

)

select * from final
