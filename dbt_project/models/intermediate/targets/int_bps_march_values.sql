-- One BPS March value per region × indicator × year: the figures targets are measured
-- against (BPS publishes kabupaten/kota figures once a year, for March). A value delivered
-- twice, in one file or in two, counts once; two different values for one key fail the test
-- assert_bps_values_are_consistent, which dbt runs before this model is built.
with

indicators as (

    select * from {{ ref('int_bps_indicators_valid') }}

),

march_values as (

    select
        kode_wilayah,
        indikator,
        tahun,
        nilai,
        _source_file

    from indicators
    -- '-', '…' or empty in BPS tables mean missing: no value, not 0.
    where bulan = 3
        and nilai is not null

),

one_value_per_year as (

    select
        kode_wilayah,
        indikator,
        tahun,
        -- Every row of a key holds the same value (tested), so any of them will do.
        min(nilai) as nilai,
        count(*) as jumlah_baris_sumber,
        count(distinct _source_file) as jumlah_berkas_sumber

    from march_values
    group by kode_wilayah, indikator, tahun

)

select * from one_value_per_year
