with

source as (

    select * from {{ source('referensi', 'referensi_anggaran_program') }}

),

renamed as (

    select
        upper(trim(kode_program)) as kode_program,
        {{ digits_only('kode_wilayah') }} as kode_wilayah,
        cast(trim(tahun) as integer) as tahun,
        cast(trim(pagu) as double) as pagu,
        try_cast(nullif(trim(target_penerima), '') as integer) as target_penerima

    from source

)

select * from renamed
