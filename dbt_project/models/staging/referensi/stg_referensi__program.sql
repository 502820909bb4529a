with

source as (

    select * from {{ source('referensi', 'referensi_program') }}

),

renamed as (

    select
        upper(trim(kode_program)) as kode_program,
        trim(nama_program) as nama_program,
        nullif(trim(kode_opd), '') as kode_opd,
        nullif(trim(nama_opd), '') as nama_opd,
        nullif(trim(sumber_dana), '') as sumber_dana,
        lower(trim(unit_sasaran)) as unit_sasaran,
        -- try_cast: the raw gate refuses a desil that is not a whole number with its row
        try_cast(trim(desil_min) as integer) as desil_min,
        try_cast(trim(desil_max) as integer) as desil_max,
        try_cast(nullif(trim(usia_min), '') as integer) as usia_min,
        try_cast(nullif(trim(usia_max), '') as integer) as usia_max

    from source

)

select * from renamed
