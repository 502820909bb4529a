-- Desa desil aggregates (DESIGN §2.2), typed: one row per desa row of a file. The 10-digit
-- Kemendagri code is put together from its parts, restoring the leading zeros Excel drops
-- (kdkec 1 → 01); a part written with its parents (kdkab 5371, kddesa 5371011001) is
-- taken whole. Counts are whole numbers or null; their checks are int_desil_agregat_checked.
{% set counts = ['desil_1', 'desil_2', 'desil_3', 'desil_4', 'desil_5', 'desil_6', 'desil_7',
    'desil_8', 'desil_9', 'desil_10', 'desil_7_10', 'desil_null', 'total'] %}
with

source as (

    select * from {{ source('dtsen', 'dtsen_desil_agregat') }}

),

parts as (

    select
        *,
        {{ digits_only('kode_provinsi') }} as digits_provinsi,
        {{ digits_only('kode_kabkota') }} as digits_kabkota,
        {{ digits_only('kode_kecamatan') }} as digits_kecamatan,
        {{ digits_only('kode_desa') }} as digits_desa

    from source

),

kabkota as (

    select
        *,
        case
            when length(digits_kabkota) = 4 then digits_kabkota
            when length(digits_kabkota) between 1 and 2 and length(digits_provinsi) between 1 and 2
                then lpad(digits_provinsi, 2, '0') || lpad(digits_kabkota, 2, '0')
        end as kode_kabkota_lengkap

    from parts

),

kecamatan as (

    select
        *,
        case
            when length(digits_kecamatan) = 6 then digits_kecamatan
            when length(digits_kecamatan) between 1 and 2
                then kode_kabkota_lengkap || lpad(digits_kecamatan, 2, '0')
        end as kode_kecamatan_lengkap

    from kabkota

),

renamed as (

    select
        cast(tanggal_snapshot as date) as tanggal_snapshot,
        case
            when length(digits_desa) = 10 then digits_desa
            when length(digits_desa) between 1 and 4
                then kode_kecamatan_lengkap || lpad(digits_desa, 4, '0')
        end as kode_wilayah,
        concat_ws('.', kode_provinsi, kode_kabkota, kode_kecamatan, kode_desa) as kode_wilayah_asli,
        nullif(trim(nama_desa), '') as nama_desa,
        {% for column in counts %}
        {{ parse_amount(column) }} as {{ column }},
        nullif(trim({{ column }}), '') as {{ column }}_asli,
        {% endfor %}
        coalesce(format_registri, 'agregat') as format_registri,
        _source_file,
        _sheet,
        _row_number

    from kecamatan

)

select * from renamed
