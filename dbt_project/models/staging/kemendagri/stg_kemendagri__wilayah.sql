with

source as (

    select * from {{ source('kemendagri', 'kemendagri_wilayah') }}

),

renamed as (

    select
        kode_wilayah,
        nama_wilayah,
        tingkat_wilayah,
        jenis_wilayah,
        kode_induk

    from source

)

select * from renamed
