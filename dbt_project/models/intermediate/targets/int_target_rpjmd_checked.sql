{{ config(materialized='view') }}
-- Every row of target_rpjmd.csv with the reason it cannot be used (alasan_karantina), or
-- null (DESIGN §2.4). A target for an indicator tepat does not measure (say
-- `tingkat_pengangguran_terbuka`: BPS poverty files carry no such figure) has nothing to be
-- compared with: it is kept out of mart_target_gap and listed in quarantine.quarantine_rows
-- with its file, row and reason, and the rest of the file is used.
{% set indicators = ['p0', 'p1', 'p2', 'jumlah_penduduk_miskin', 'garis_kemiskinan', 'p0_ekstrem'] %}
with

plan_rows as (

    select * from {{ ref('stg_referensi__target_rpjmd') }}

),

checked as (

    select
        *,
        case
            when indikator is null or indikator not in (
                {%- for indicator in indicators %}'{{ indicator }}'{% if not loop.last %}, {% endif %}{% endfor -%}
            ) then 'indikator_tidak_dikenal'
        end as alasan_karantina

    from plan_rows

)

select
    *,
    case when alasan_karantina = 'indikator_tidak_dikenal' then 'indikator' end
        as kolom_karantina,
    case when alasan_karantina = 'indikator_tidak_dikenal' then indikator end
        as nilai_karantina

from checked
