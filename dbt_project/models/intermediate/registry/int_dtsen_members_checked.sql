-- Every DTSEN member row with the reason it cannot be used (alasan_karantina), the column
-- at fault and its value (NIKs masked), or nulls. Members of a quarantined household, or of
-- no household of their snapshot, are quarantined with it.
with

members as (

    select *, {{ nik_ddmmyy('nik') }} as nik_ddmmyy from {{ ref('stg_dtsen__anggota') }}

),

households as (

    select tanggal_snapshot, id_keluarga, alasan_karantina
    from {{ ref('int_dtsen_households_checked') }}

),

checked as (

    select
        members.*,
        {{ nik_problem('members.nik', ref('stg_kemendagri__wilayah'), 'members.nik_ddmmyy') }}
            as nik_problem,
        case
            when households.id_keluarga is null then 'keluarga_tidak_ada_di_snapshot'
            when households.alasan_karantina is not null then 'keluarga_dikarantina'
        end as household_problem

    from members
    left join households
        on members.tanggal_snapshot = households.tanggal_snapshot
        and members.id_keluarga = households.id_keluarga

),

reasoned as (

    select
        *,
        case
            when nik_problem is not null then 'nik_tidak_valid_' || nik_problem
            when status not in ('hidup', 'meninggal', 'pindah') or status is null
                then 'status_tidak_dikenal'
            when tanggal_lahir_asli is not null
                and (
                    tanggal_lahir is null
                    or tanggal_lahir > tanggal_snapshot
                    or tanggal_lahir < date '1900-01-01'
                )
                then 'tanggal_lahir_tidak_mungkin'
            else household_problem
        end as alasan_karantina

    from checked

)

{#- Programme flags are read from staging by int_roster_rows_from_registry only; not
    materialised here for every member of the registry. -#}
{%- set flags = [] -%}
{%- for flag in var('registry_program_flags') -%}{%- do flags.append('is_' ~ flag) -%}{%- endfor %}
select
    {{ star_except(['nik_ddmmyy', 'nik_problem', 'household_problem'] + flags) }},
    case
        when alasan_karantina like 'nik_%' then 'nik'
        when alasan_karantina = 'status_tidak_dikenal' then 'status'
        when alasan_karantina = 'tanggal_lahir_tidak_mungkin' then 'tanggal_lahir'
        when alasan_karantina is not null then 'id_keluarga'
    end as kolom_karantina,
    case
        when alasan_karantina like 'nik_%' then {{ mask_nik('nik') }}
        when alasan_karantina = 'status_tidak_dikenal' then status
        when alasan_karantina = 'tanggal_lahir_tidak_mungkin' then tanggal_lahir_asli
        when alasan_karantina is not null then id_keluarga
    end as nilai_karantina

from reasoned
