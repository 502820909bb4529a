-- Labels for every region of the provinces tepat holds data for, with its parents.
with

regions as (

    select * from {{ ref('stg_kemendagri__wilayah') }}

),

provinces_in_data as (

    select distinct substring(kode_wilayah, 1, 2) as kode_provinsi
    from {{ ref('int_households_with_members') }}

),

labelled as (

    select
        regions.kode_wilayah,
        regions.nama_wilayah,
        regions.tingkat_wilayah,
        regions.jenis_wilayah,
        regions.kode_induk,
        substring(regions.kode_wilayah, 1, 2) as kode_provinsi,
        provinsi.nama_wilayah as nama_provinsi,
        case when length(regions.kode_wilayah) >= 4
            then substring(regions.kode_wilayah, 1, 4) end as kode_kabkota,
        kabkota.nama_wilayah as nama_kabkota,
        case when length(regions.kode_wilayah) >= 6
            then substring(regions.kode_wilayah, 1, 6) end as kode_kecamatan,
        kecamatan.nama_wilayah as nama_kecamatan

    from regions
    inner join provinces_in_data
        on substring(regions.kode_wilayah, 1, 2) = provinces_in_data.kode_provinsi
    left join regions as provinsi
        on provinsi.kode_wilayah = substring(regions.kode_wilayah, 1, 2)
    left join regions as kabkota
        on length(regions.kode_wilayah) >= 4
        and kabkota.kode_wilayah = substring(regions.kode_wilayah, 1, 4)
    left join regions as kecamatan
        on length(regions.kode_wilayah) >= 6
        and kecamatan.kode_wilayah = substring(regions.kode_wilayah, 1, 6)

)

select * from labelled
