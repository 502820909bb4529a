-- Are we on course? Every target of the region's RPJMD/RPD against BPS March figures:
-- gap, achievement and its Permendagri 86/2017 category, progress from the baseline, trend,
-- projection to the plan's final year, reduction still needed, people still to be lifted
-- out, and a status (DESIGN §3 "Target gap", exact rules in §3.1). One row per `target`
-- row of target_rpjmd.csv; every empty value is explained in `catatan`.
with

plan_rows as (

    -- rows for indicators tepat does not know are in quarantine (int_target_rpjmd_checked)
    select * from {{ ref('int_target_rpjmd_valid') }}

),

march_values as (

    select * from {{ ref('int_bps_march_values') }}

),

trends as (

    select * from {{ ref('int_indicator_trends') }}

),

regions as (

    select * from {{ ref('dim_wilayah') }}

),

target_rows as (

    select * from plan_rows
    where jenis = 'target'

),

-- The document's baseline: its baseline row for the same region and indicator (the latest
-- one not after the target's year, should a document give more than one).
baseline_candidates as (

    select
        target_rows.kode_wilayah,
        target_rows.dokumen,
        target_rows.indikator,
        target_rows.tahun,
        baselines.tahun as tahun_dasar,
        baselines.nilai as nilai_dasar,
        row_number() over (
            partition by
                target_rows.kode_wilayah,
                target_rows.dokumen,
                target_rows.indikator,
                target_rows.tahun
            order by baselines.tahun desc
        ) as urutan

    from target_rows
    inner join plan_rows as baselines
        on baselines.jenis = 'baseline'
        and target_rows.kode_wilayah = baselines.kode_wilayah
        and target_rows.dokumen = baselines.dokumen
        and target_rows.indikator = baselines.indikator
        and baselines.tahun <= target_rows.tahun

),

baselines as (

    select * from baseline_candidates
    where urutan = 1

),

-- The final target: the target of the last year of the same document and indicator.
final_target_candidates as (

    select
        kode_wilayah,
        dokumen,
        indikator,
        tahun as tahun_akhir,
        nilai as target_akhir,
        row_number() over (
            partition by kode_wilayah, dokumen, indikator
            order by tahun desc
        ) as urutan

    from target_rows

),

final_targets as (

    select * from final_target_candidates
    where urutan = 1

),

joined as (

    select
        target_rows.kode_wilayah,
        target_rows.dokumen,
        target_rows.indikator,
        target_rows.arah,
        target_rows.keterangan,
        target_rows.tahun,
        baselines.tahun_dasar,
        baselines.nilai_dasar,
        target_rows.nilai as target,
        realised.nilai as realisasi,
        trends.tren_per_tahun,
        trends.tahun_data_terakhir,
        trends.nilai_terakhir,
        final_targets.tahun_akhir,
        final_targets.target_akhir,
        -- People in poverty of the same year as the latest P0, for p0 rows only.
        poor_people.nilai as jumlah_penduduk_miskin_terakhir

    from target_rows
    left join baselines
        on target_rows.kode_wilayah = baselines.kode_wilayah
        and target_rows.dokumen = baselines.dokumen
        and target_rows.indikator = baselines.indikator
        and target_rows.tahun = baselines.tahun
    left join final_targets
        on target_rows.kode_wilayah = final_targets.kode_wilayah
        and target_rows.dokumen = final_targets.dokumen
        and target_rows.indikator = final_targets.indikator
    left join march_values as realised
        on target_rows.kode_wilayah = realised.kode_wilayah
        and target_rows.indikator = realised.indikator
        and target_rows.tahun = realised.tahun
    left join trends
        on target_rows.kode_wilayah = trends.kode_wilayah
        and target_rows.indikator = trends.indikator
    left join march_values as poor_people
        on target_rows.indikator = 'p0'
        and poor_people.indikator = 'jumlah_penduduk_miskin'
        and target_rows.kode_wilayah = poor_people.kode_wilayah
        and trends.tahun_data_terakhir = poor_people.tahun

),

measured as (

    select
        *,

        realisasi - target as selisih,

        -- Neither capped nor floored; undefined for a zero target (zero-poverty targets).
        case
            when target = 0 then null
            when arah = 'naik' then realisasi / target * 100
            else (2 * target - realisasi) / target * 100
        end as capaian,

        -- Share of the way from the baseline to the target covered; the same formula serves
        -- both directions.
        case
            when nilai_dasar = target then null
            else (nilai_dasar - realisasi) / (nilai_dasar - target) * 100
        end as progres,

        case
            when tahun_akhir > tahun_data_terakhir
                then nilai_terakhir + tren_per_tahun * (tahun_akhir - tahun_data_terakhir)
        end as proyeksi_tahun_akhir,

        case
            when {{ target_is_met('nilai_terakhir', 'target_akhir', 'arah') }} then null
            when tahun_akhir <= tahun_data_terakhir then null
            when arah = 'naik'
                then (target_akhir - nilai_terakhir) / (tahun_akhir - tahun_data_terakhir)
            else (nilai_terakhir - target_akhir) / (tahun_akhir - tahun_data_terakhir)
        end as penurunan_dibutuhkan_per_tahun,

        case
            when indikator <> 'p0' then null
            when {{ target_is_met('nilai_terakhir', 'target', 'arah') }} then null
            else jumlah_penduduk_miskin_terakhir * 1000
                * (nilai_terakhir - target) / nullif(nilai_terakhir, 0)
        end as penduduk_miskin_perlu_dientaskan,

        -- Where the trend puts the indicator in the row's own year (decides the status of
        -- years without a realisation).
        nilai_terakhir + tren_per_tahun * (tahun - tahun_data_terakhir) as proyeksi_tahun_ini,

        {{ target_is_met('realisasi', 'target', 'arah') }} as is_realisasi_memenuhi_target,
        {{ target_is_met('nilai_terakhir', 'target', 'arah') }} as is_terakhir_memenuhi_target,
        {{ target_is_met('nilai_terakhir', 'target_akhir', 'arah') }}
            as is_terakhir_memenuhi_target_akhir

    from joined

),

judged as (

    select
        *,

        {{ target_kategori_capaian('capaian') }} as kategori_capaian,

        case
            when realisasi is not null then
                case when is_realisasi_memenuhi_target then 'tercapai' else 'off track' end
            when tren_per_tahun is not null then
                case
                    when {{ target_is_met('proyeksi_tahun_ini', 'target', 'arah') }}
                        then 'on track'
                    else 'off track'
                end
            else 'belum ada data'
        end as status

    from measured

),

labelled as (

    select
        judged.*,
        -- '00' is the national row of BPS tables (DESIGN §2.1), not a Kemendagri region.
        case when judged.kode_wilayah = '00' then 'Indonesia'
            else regions.nama_wilayah end as nama_wilayah,
        case
            when judged.kode_wilayah = '00' then 'nasional'
            when length(judged.kode_wilayah) = 2 then 'provinsi'
            when length(judged.kode_wilayah) = 4 then 'kabkota'
        end as tingkat_wilayah

    from judged
    left join regions
        on judged.kode_wilayah = regions.kode_wilayah

),

-- Why each empty value is empty, one reason per column (or group of columns) that can be.
reasons as (

    select
        *,

        case when nama_wilayah is null
            then 'kode wilayah tidak ditemukan di dim_wilayah'
        end as alasan_nama_wilayah,

        case when nilai_dasar is null
            then 'nilai dasar tidak tersedia'
        end as alasan_nilai_dasar,

        case
            when tahun_data_terakhir is null
                then 'belum ada data BPS Maret untuk indikator ini'
            when realisasi is null
                then {{ dbt.concat(["'belum ada data BPS Maret '",
                                    "cast(tahun as " ~ dbt.type_string() ~ ")"]) }}
        end as alasan_realisasi,

        case when target = 0
            then 'target 0: capaian tidak dapat dihitung'
        end as alasan_capaian,

        case when nilai_dasar = target
            then 'nilai dasar sama dengan target: progres tidak dapat dihitung'
        end as alasan_progres,

        case when tahun_data_terakhir is not null and tren_per_tahun is null
            then 'kurang dari dua tahun data BPS Maret: tren dan proyeksi tidak dapat dihitung'
        end as alasan_tren,

        case when tahun_akhir <= tahun_data_terakhir
            then 'tahun akhir tidak setelah tahun data terakhir: proyeksi dan penurunan dibutuhkan tidak dihitung'
        end as alasan_tahun_akhir,

        case when is_terakhir_memenuhi_target_akhir
            then 'target akhir sudah tercapai pada data terakhir: penurunan dibutuhkan tidak dihitung'
        end as alasan_penurunan,

        case
            when indikator <> 'p0'
                then 'penduduk miskin perlu dientaskan hanya dihitung untuk p0'
            when is_terakhir_memenuhi_target
                then 'target sudah tercapai pada data terakhir: tidak ada penduduk miskin yang perlu dientaskan'
            when tahun_data_terakhir is not null and jumlah_penduduk_miskin_terakhir is null
                then {{ dbt.concat(["'jumlah penduduk miskin '",
                                    "cast(tahun_data_terakhir as " ~ dbt.type_string() ~ ")",
                                    "' tidak tersedia'"]) }}
        end as alasan_penduduk_miskin

    from labelled

),

explained as (

    select
        *,
        {{ target_join_reasons([
            'alasan_nama_wilayah',
            'alasan_nilai_dasar',
            'alasan_realisasi',
            'alasan_capaian',
            'alasan_progres',
            'alasan_tren',
            'alasan_tahun_akhir',
            'alasan_penurunan',
            'alasan_penduduk_miskin',
        ]) }} as catatan

    from reasons

),

final as (

    select
        tingkat_wilayah,
        kode_wilayah,
        nama_wilayah,
        dokumen,
        indikator,
        arah,
        keterangan,
        tahun,
        tahun_dasar,
        nilai_dasar,
        target,
        realisasi,
        selisih,
        capaian,
        kategori_capaian,
        progres,
        tren_per_tahun,
        tahun_data_terakhir,
        nilai_terakhir,
        tahun_akhir,
        target_akhir,
        proyeksi_tahun_akhir,
        penurunan_dibutuhkan_per_tahun,
        penduduk_miskin_perlu_dientaskan,
        status,
        catatan

    from explained

),

-- DESIGN §4: a held-back BPS file marks the region × indicator series it held (every year:
-- its values feed the trend and projection too), or every row when it could not be read.
-- jumlah_penduduk_miskin also feeds the p0 rows' penduduk_miskin_perlu_dientaskan.
incomplete as (

    select
        final.kode_wilayah,
        final.dokumen,
        final.indikator,
        final.tahun,
        {{ string_agg_ordered('gaps.catatan_kelengkapan', "' '", distinct=true) }} as catatan_kelengkapan

    from final
    inner join {{ ref('int_bps_values_incomplete') }} as gaps
        on (gaps.kode_wilayah is null or gaps.kode_wilayah = final.kode_wilayah)
        and (
            gaps.indikator is null
            or gaps.indikator = final.indikator
            or (gaps.indikator = 'jumlah_penduduk_miskin' and final.indikator = 'p0')
        )
    group by 1, 2, 3, 4

)

select
    final.*,
    incomplete.catatan_kelengkapan is null as is_data_lengkap,
    incomplete.catatan_kelengkapan

from final
left join incomplete
    on final.kode_wilayah = incomplete.kode_wilayah
    and final.dokumen = incomplete.dokumen
    and final.indikator = incomplete.indikator
    and final.tahun = incomplete.tahun
