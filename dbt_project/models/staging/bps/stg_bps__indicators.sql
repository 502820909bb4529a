-- BPS values as the BPS reader wrote them to raw.bps_indicators, typed. kode_wilayah is
-- '00' for the national row (DESIGN §2.1). Rows the reader quarantined (a value that is not
-- a number, implausible for its indicator, or on a shifted row) carry alasan_karantina and
-- an empty nilai; int_bps_indicators_checked keeps them out of the marts.
{%- set raw_columns = adapter.get_columns_in_relation(source('bps', 'bps_indicators'))
    | map(attribute='name') | map('lower') | list %}
with

source as (

    select * from {{ source('bps', 'bps_indicators') }}

),

renamed as (

    select
        {{ digits_only('kode_wilayah') }} as kode_wilayah,
        cast(trim(tahun) as integer) as tahun,
        -- BPS publishes kabupaten/kota figures for March; an empty month means March.
        coalesce(try_cast(nullif(trim(bulan), '') as integer), 3) as bulan,
        lower(trim(indikator)) as indikator,
        try_cast(replace(trim(nilai), ',', '.') as double) as nilai,
        {%- if 'alasan_karantina' in raw_columns %}
        nullif(trim(nama_wilayah_sumber), '') as nama_wilayah_sumber,
        nilai_asli,
        nullif(trim(alasan_karantina), '') as alasan_karantina,
        {%- else %}
        -- loaded before the reader quarantined rows (reloaded on the next night)
        cast(null as string) as nama_wilayah_sumber,
        nilai as nilai_asli,
        cast(null as string) as alasan_karantina,
        {%- endif %}
        _source_file,
        _row_number

    from source

)

select * from renamed
