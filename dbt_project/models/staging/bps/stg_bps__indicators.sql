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
        _source_file,
        _row_number

    from source

)

select * from renamed
