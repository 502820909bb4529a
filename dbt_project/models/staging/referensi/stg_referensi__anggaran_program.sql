with

source as (

    select * from {{ source('referensi', 'referensi_anggaran_program') }}

),

renamed as (

    select
        upper(trim(kode_program)) as kode_program,
        {{ digits_only('kode_wilayah') }} as kode_wilayah,
        -- try_cast: a value that is not a number is refused by the raw gate with its file and
        -- row (expectations/raw_referensi_anggaran_program.json), never by a cast error here
        try_cast(trim(tahun) as integer) as tahun,
        try_cast(trim(pagu) as double) as pagu,
        try_cast(nullif(trim(target_penerima), '') as integer) as target_penerima

    from source

)

select * from renamed
