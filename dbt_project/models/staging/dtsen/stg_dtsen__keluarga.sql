with

source as (

    select * from {{ source('dtsen', 'dtsen_keluarga') }}

),

renamed as (

    select
        cast(tanggal_snapshot as date) as tanggal_snapshot,
        trim(id_keluarga) as id_keluarga,
        nullif(trim(no_kk), '') as no_kk,
        {{ digits_only('kode_wilayah') }} as kode_wilayah,
        try_cast(nullif(trim(desil), '') as integer) as desil,
        nullif(trim(desil), '') as desil_asli,
        try_cast(nullif(trim(jumlah_anggota), '') as integer) as jumlah_anggota,
        {{ parse_date('tanggal_pemutakhiran') }} as tanggal_pemutakhiran,
        nullif(trim(tanggal_pemutakhiran), '') as tanggal_pemutakhiran_asli,
        nullif(trim(status_bangunan), '') as status_bangunan,
        {{ parse_amount('luas_lantai_m2') }} as luas_lantai_m2,
        nullif(trim(jenis_lantai), '') as jenis_lantai,
        nullif(trim(jenis_dinding), '') as jenis_dinding,
        nullif(trim(jenis_atap), '') as jenis_atap,
        nullif(trim(sumber_air_minum), '') as sumber_air_minum,
        nullif(trim(sumber_penerangan), '') as sumber_penerangan,
        cast({{ parse_amount('daya_listrik_va') }} as integer) as daya_listrik_va,
        nullif(trim(bahan_bakar_memasak), '') as bahan_bakar_memasak,
        nullif(trim(fasilitas_bab), '') as fasilitas_bab,
        try_cast(nullif(trim(punya_kulkas), '') as integer) = 1 as has_kulkas,
        try_cast(nullif(trim(punya_ac), '') as integer) = 1 as has_ac,
        try_cast(nullif(trim(punya_motor), '') as integer) = 1 as has_motor,
        try_cast(nullif(trim(punya_mobil), '') as integer) = 1 as has_mobil,
        try_cast(nullif(trim(punya_lahan), '') as integer) = 1 as has_lahan,
        try_cast(nullif(trim(punya_emas_10g), '') as integer) = 1 as has_emas_10g,
        coalesce(format_registri, 'dtsen') as format_registri,
        _source_file,
        _row_number

    from source

)

select * from renamed
