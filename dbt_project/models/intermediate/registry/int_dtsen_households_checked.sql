-- Every DTSEN household row with the reason it cannot be used (alasan_karantina), the
-- column at fault and its value, or nulls. Quarantined households leave every mart.
with

households as (

    select * from {{ ref('stg_dtsen__keluarga') }}

),

desa as (

    select kode_wilayah from {{ ref('stg_kemendagri__wilayah') }}
    where tingkat_wilayah = 'desa'

),

checked as (

    select
        households.*,
        case
            when households.id_keluarga is null or households.id_keluarga = ''
                then 'id_keluarga_kosong'
            when households.desil_asli is not null
                and households.desil_asli not in ('1', '2', '3', '4', '5', '6', '7', '8', '9', '10')
                then 'desil_di_luar_1_10'
            when desa.kode_wilayah is null then 'kode_wilayah_tidak_dikenal'
            when households.tanggal_pemutakhiran_asli is not null
                and (
                    households.tanggal_pemutakhiran is null
                    or households.tanggal_pemutakhiran > households.tanggal_snapshot
                    or households.tanggal_pemutakhiran < date '1990-01-01'
                )
                then 'tanggal_pemutakhiran_tidak_mungkin'
        end as alasan_karantina

    from households
    left join desa on households.kode_wilayah = desa.kode_wilayah

)

select
    *,
    case alasan_karantina
        when 'id_keluarga_kosong' then 'id_keluarga'
        when 'desil_di_luar_1_10' then 'desil'
        when 'kode_wilayah_tidak_dikenal' then 'kode_wilayah'
        when 'tanggal_pemutakhiran_tidak_mungkin' then 'tanggal_pemutakhiran'
    end as kolom_karantina,
    case alasan_karantina
        when 'id_keluarga_kosong' then id_keluarga
        when 'desil_di_luar_1_10' then desil_asli
        when 'kode_wilayah_tidak_dikenal' then kode_wilayah
        when 'tanggal_pemutakhiran_tidak_mungkin' then tanggal_pemutakhiran_asli
    end as nilai_karantina

from checked
