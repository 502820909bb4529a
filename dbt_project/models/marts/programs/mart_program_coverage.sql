-- Does aid reach the eligible? Per programme × year × quarter (0 = whole-year rows) ×
-- region, at every region level (DESIGN §3 and §3.1 "Coverage").
with

recipients as (

    select * from {{ ref('int_program_recipients') }}

),

recipients_by_level as (

    select
        recipients.kode_program,
        recipients.tahun,
        recipients.tahap,
        levels.tingkat_wilayah,
        substring(recipients.kode_wilayah_tempat, 1, levels.panjang_kode) as kode_wilayah,
        count(*) filter (where recipients.is_padan) as penerima,
        count(*) filter (where recipients.is_padan and recipients.is_layak) as penerima_layak,
        count(*) filter (
            where recipients.is_padan and not recipients.is_layak
        ) as penerima_tidak_layak,
        count(*) filter (where not recipients.is_padan) as penerima_tidak_padan,
        count(*) filter (
            where recipients.is_padan and recipients.has_nik_meninggal
        ) as penerima_meninggal,
        sum(recipients.jumlah_baris - 1) as baris_ganda,
        sum(recipients.nilai_bantuan) as nilai_bantuan

    from recipients
    cross join {{ region_levels() }} as levels
    -- An unmatched recipient known only at kabupaten/kota level is not counted below it.
    where length(recipients.kode_wilayah_tempat) >= levels.panjang_kode
    group by 1, 2, 3, 4, 5

),

eligible_by_level as (

    select
        eligible.kode_program,
        eligible.tahun,
        eligible.tahap,
        levels.tingkat_wilayah,
        substring(eligible.kode_desa, 1, levels.panjang_kode) as kode_wilayah,
        count(*) as sasaran_layak

    from {{ ref('int_program_units_eligible') }} as eligible
    cross join {{ region_levels() }} as levels
    group by 1, 2, 3, 4, 5

),

combined as (

    select
        coalesce(r.kode_program, e.kode_program) as kode_program,
        coalesce(r.tahun, e.tahun) as tahun,
        coalesce(r.tahap, e.tahap) as tahap,
        coalesce(r.tingkat_wilayah, e.tingkat_wilayah) as tingkat_wilayah,
        coalesce(r.kode_wilayah, e.kode_wilayah) as kode_wilayah,
        coalesce(e.sasaran_layak, 0) as sasaran_layak,
        coalesce(r.penerima, 0) as penerima,
        coalesce(r.penerima_layak, 0) as penerima_layak,
        coalesce(r.penerima_tidak_layak, 0) as penerima_tidak_layak,
        coalesce(r.penerima_tidak_padan, 0) as penerima_tidak_padan,
        coalesce(r.penerima_meninggal, 0) as penerima_meninggal,
        coalesce(r.baris_ganda, 0) as baris_ganda,
        coalesce(r.nilai_bantuan, 0) as nilai_bantuan

    from recipients_by_level as r
    full outer join eligible_by_level as e
        on r.kode_program = e.kode_program
        and r.tahun = e.tahun
        and r.tahap = e.tahap
        and r.tingkat_wilayah = e.tingkat_wilayah
        and r.kode_wilayah = e.kode_wilayah

),

-- Money paid by each kabupaten/kota's own roster rows (by the roster's region, whoever the
-- recipients are), for realisasi against its budget.
paid_by_roster_region as (

    select
        kode_program,
        tahun,
        tahap,
        substring(kode_wilayah_roster, 1, 4) as kode_wilayah,
        sum(coalesce(nilai_bantuan, 0)) as nilai_bantuan_roster

    from {{ ref('int_roster_rows_matched') }}
    group by 1, 2, 3, 4

),

budgets as (

    select * from {{ ref('stg_referensi__anggaran_program') }}

),

final as (

    select
        combined.kode_program,
        programs.nama_program,
        combined.tahun,
        combined.tahap,
        periods.tanggal_snapshot_acuan,
        periods.is_acuan_setelah_periode,
        combined.tingkat_wilayah,
        combined.kode_wilayah,
        wilayah.nama_wilayah,
        cast(combined.sasaran_layak as bigint) as sasaran_layak,
        cast(combined.penerima as bigint) as penerima,
        cast(combined.penerima_layak as bigint) as penerima_layak,
        cast(combined.penerima_tidak_layak as bigint) as penerima_tidak_layak,
        combined.penerima_layak / nullif(combined.sasaran_layak, 0) as cakupan,
        combined.penerima_tidak_layak / nullif(combined.penerima, 0) as kesalahan_inklusi,
        1 - combined.penerima_layak / nullif(combined.sasaran_layak, 0) as kesalahan_eksklusi,
        cast(combined.penerima_tidak_padan as bigint) as penerima_tidak_padan,
        cast(combined.penerima_meninggal as bigint) as penerima_meninggal,
        cast(combined.baris_ganda as bigint) as baris_ganda,
        combined.nilai_bantuan,
        case when combined.tingkat_wilayah = 'kabkota' then budgets.pagu end as pagu,
        case
            when combined.tingkat_wilayah = 'kabkota' then budgets.target_penerima
        end as target_penerima,
        case
            when combined.tingkat_wilayah = 'kabkota'
                then 100e0 * coalesce(paid.nilai_bantuan_roster, 0) / nullif(budgets.pagu, 0)
        end as realisasi_persen

    from combined
    inner join {{ ref('int_periods_with_reference_snapshot') }} as periods
        on combined.tahun = periods.tahun and combined.tahap = periods.tahap
    left join {{ ref('dim_program') }} as programs
        on combined.kode_program = programs.kode_program
    left join {{ ref('dim_wilayah') }} as wilayah
        on combined.kode_wilayah = wilayah.kode_wilayah
    left join budgets
        on combined.tingkat_wilayah = 'kabkota'
        and combined.kode_program = budgets.kode_program
        and combined.kode_wilayah = budgets.kode_wilayah
        and combined.tahun = budgets.tahun
    left join paid_by_roster_region as paid
        on combined.tingkat_wilayah = 'kabkota'
        and combined.kode_program = paid.kode_program
        and combined.tahun = paid.tahun
        and combined.tahap = paid.tahap
        and combined.kode_wilayah = paid.kode_wilayah

),

-- DESIGN §4: a held-back roster file marks its programme × year × tahap incomplete (every
-- tahap of the year when the file's tahap cannot be told)
incomplete as (

    select
        periods.kode_program,
        periods.tahun,
        periods.tahap,
        {{ string_agg_ordered('gaps.catatan_kelengkapan', "' '", distinct=true) }} as catatan_kelengkapan

    from (select distinct kode_program, tahun, tahap from final) as periods
    inner join {{ ref('int_roster_periods_incomplete') }} as gaps
        on periods.kode_program = gaps.kode_program
        and periods.tahun = gaps.tahun
        and (gaps.tahap is null or periods.tahap = gaps.tahap)
    group by 1, 2, 3

)

select
    final.*,
    incomplete.catatan_kelengkapan is null as is_data_lengkap,
    incomplete.catatan_kelengkapan

from final
left join incomplete
    on final.kode_program = incomplete.kode_program
    and final.tahun = incomplete.tahun
    and final.tahap = incomplete.tahap
