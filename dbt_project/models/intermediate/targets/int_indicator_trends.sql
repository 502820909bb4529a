-- Per region × indicator: the latest BPS March value and the yearly trend, the least-squares
-- slope of the March values over the last (up to) five years with data, as of the latest
-- year with data (DESIGN §3.1). Years without a value are skipped, not counted as gaps: with
-- values for 2017, 2018, 2021, 2023 and 2025 the trend is fitted on exactly those five.
with

march_values as (

    select * from {{ ref('int_bps_march_values') }}

),

ranked as (

    select
        kode_wilayah,
        indikator,
        tahun,
        nilai,
        -- Years counted back from the latest one (0, -2, -4, …): the slope is the same and
        -- the sums stay small.
        tahun - max(tahun) over (partition by kode_wilayah, indikator) as tahun_relatif,
        row_number() over (
            partition by kode_wilayah, indikator
            order by tahun desc
        ) as urutan_dari_terbaru

    from march_values

),

trend_window as (

    select * from ranked
    where urutan_dari_terbaru <= 5

),

fitted as (

    select
        kode_wilayah,
        indikator,
        min(tahun) as tahun_awal_tren,
        max(tahun) as tahun_data_terakhir,
        count(*) as jumlah_tahun_tren,
        -- One point has no slope: empty, never 0.
        case
            when count(*) >= 2 then {{ target_least_squares_slope('nilai', 'tahun_relatif') }}
        end as tren_per_tahun

    from trend_window
    group by kode_wilayah, indikator

),

latest as (

    select
        kode_wilayah,
        indikator,
        nilai as nilai_terakhir

    from ranked
    where urutan_dari_terbaru = 1

),

final as (

    select
        fitted.kode_wilayah,
        fitted.indikator,
        fitted.tahun_data_terakhir,
        latest.nilai_terakhir,
        fitted.tren_per_tahun,
        fitted.tahun_awal_tren,
        cast(fitted.jumlah_tahun_tren as integer) as jumlah_tahun_tren

    from fitted
    inner join latest
        on fitted.kode_wilayah = latest.kode_wilayah
        and fitted.indikator = latest.indikator

)

select * from final
