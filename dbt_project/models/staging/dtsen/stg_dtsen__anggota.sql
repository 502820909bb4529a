with

source as (

    select * from {{ source('dtsen', 'dtsen_anggota') }}

),

renamed as (

    select
        cast(tanggal_snapshot as date) as tanggal_snapshot,
        {{ nik_clean('nik') }} as nik,
        trim(id_keluarga) as id_keluarga,
        nullif(trim(nama), '') as nama,
        try_cast(nullif(trim(hubungan), '') as integer) as hubungan,
        try_cast(nullif(trim(jenis_kelamin), '') as integer) as jenis_kelamin,
        {{ parse_date('tanggal_lahir') }} as tanggal_lahir,
        nullif(trim(tanggal_lahir), '') as tanggal_lahir_asli,
        lower(trim(status)) as status,
        lower(trim(status)) = 'hidup' as is_hidup,
        try_cast(nullif(trim(disabilitas), '') as integer) = 1 as has_disabilitas,
        nullif(lower(trim(sekolah)), '') as sekolah,
        _source_file,
        _row_number

    from source

)

select * from renamed
