{#-
  DESIGN §3.1: the same region × indicator × year × month given twice, in one BPS file or
  in two, is one value when the values are identical and blocks the run when they differ.
  Returns every row of a conflicting key with its file and row number, plus all the files
  involved, so the failure names the file(s) to fix. The failing rows are kept in the
  warehouse (store_failures) for `select * from dbt_test__audit.assert_bps_values_are_consistent`.
  Missing values ('-', empty) do not conflict with anything.
-#}
{{ config(store_failures=true, severity='error') }}

with

indicators as (

    select * from {{ ref('int_bps_indicators_valid') }}
    where nilai is not null

),

conflicting_keys as (

    select
        kode_wilayah,
        indikator,
        tahun,
        bulan,
        {{ dbt.listagg('distinct _source_file', "', '", "order by _source_file") }} as berkas_bertentangan

    from indicators
    group by kode_wilayah, indikator, tahun, bulan
    -- Identical means equal up to floating-point noise from spreadsheets (1e-9).
    having max(nilai) - min(nilai) > 1e-9

)

select
    indicators.kode_wilayah,
    indicators.indikator,
    indicators.tahun,
    indicators.bulan,
    indicators.nilai,
    indicators._source_file,
    indicators._row_number,
    conflicting_keys.berkas_bertentangan

from indicators
inner join conflicting_keys
    on indicators.kode_wilayah = conflicting_keys.kode_wilayah
    and indicators.indikator = conflicting_keys.indikator
    and indicators.tahun = conflicting_keys.tahun
    and indicators.bulan = conflicting_keys.bulan
