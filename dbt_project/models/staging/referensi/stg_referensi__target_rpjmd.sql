with

source as (

    select * from {{ source('referensi', 'referensi_target_rpjmd') }}

),

renamed as (

    select
        {{ digits_only('kode_wilayah') }} as kode_wilayah,
        trim(dokumen) as dokumen,
        lower(trim(indikator)) as indikator,
        lower(trim(jenis)) as jenis,
        -- try_cast: the raw gate refuses a year or value that is not a number with its row
        try_cast(trim(tahun) as integer) as tahun,
        try_cast(replace(trim(nilai), ',', '.') as double) as nilai,
        coalesce(nullif(lower(trim(arah)), ''), 'turun') as arah,
        nullif(trim(keterangan), '') as keterangan,
        _source_file,
        _row_number

    from source

)

select * from renamed
