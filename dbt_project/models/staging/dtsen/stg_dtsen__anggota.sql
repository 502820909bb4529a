{#- P3KE and SIKS-NG have no status column: they list the living members (DESIGN §2.2). -#}
{% set status_anggota -%}
    coalesce(status, case when format_registri in ('p3ke', 'siks_ng') then 'hidup' end)
{%- endset %}
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
        {{ kode_hubungan('hubungan') }} as hubungan,
        {{ kode_jenis_kelamin('jenis_kelamin') }} as jenis_kelamin,
        {{ parse_date('tanggal_lahir') }} as tanggal_lahir,
        nullif(trim(tanggal_lahir), '') as tanggal_lahir_asli,
        lower(trim({{ status_anggota }})) as status,
        lower(trim({{ status_anggota }})) = 'hidup' as is_hidup,
        try_cast(nullif(trim(disabilitas), '') as integer) = 1 as has_disabilitas,
        nullif(lower(trim(sekolah)), '') as sekolah,
        {% for flag in var('registry_program_flags') -%}
        coalesce(upper(trim({{ flag }})) in ('Y', 'YA', '1', 'TRUE'), false) as is_{{ flag }},
        {% endfor -%}
        coalesce(format_registri, 'dtsen') as format_registri,
        _source_file,
        _row_number

    from source

)

select * from renamed
