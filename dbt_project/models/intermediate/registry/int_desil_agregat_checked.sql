-- Every desa aggregate row with the reason it cannot be used (alasan_karantina), the column
-- at fault and its value, or nulls (DESIGN §2.2). A code that is not a Kemendagri desa, or
-- that names another desa than NMDESA (BPS codes differ from Kemendagri's), is never
-- guessed; a desa the snapshot's microdata cover is counted from the microdata.
{% set counts = ['desil_1', 'desil_2', 'desil_3', 'desil_4', 'desil_5', 'desil_6', 'desil_7',
    'desil_8', 'desil_9', 'desil_10', 'desil_7_10', 'desil_null'] %}
with

aggregates as (

    select * from {{ ref('stg_dtsen__desil_agregat') }}

),

desa as (

    select kode_wilayah, nama_wilayah from {{ ref('stg_kemendagri__wilayah') }}
    where tingkat_wilayah = 'desa'

),

microdata as (

    select distinct tanggal_snapshot, kode_wilayah
    from {{ ref('int_dtsen_households_checked') }}
    where alasan_karantina is null

),

measured as (

    select
        aggregates.*,
        desa.nama_wilayah as nama_kemendagri,
        microdata.kode_wilayah is not null as is_desa_ada_data_mikro,
        {% for column in counts %}coalesce({{ column }}, 0){% if not loop.last %} + {% endif %}{% endfor %}
            as jumlah_desil,
        case
            {% for column in counts + ['total'] %}
            when {{ column }}_asli is not null
                and ({{ column }} is null or {{ column }} < 0 or {{ column }} <> floor({{ column }}))
                then '{{ column }}'
            {% endfor %}
        end as kolom_jumlah_salah,
        row_number() over (
            partition by aggregates.tanggal_snapshot, aggregates.kode_wilayah
            order by aggregates._source_file, aggregates._row_number
        ) as urutan_desa

    from aggregates
    left join desa on aggregates.kode_wilayah = desa.kode_wilayah
    left join microdata
        on aggregates.tanggal_snapshot = microdata.tanggal_snapshot
        and aggregates.kode_wilayah = microdata.kode_wilayah

),

checked as (

    select
        *,
        case
            when nama_kemendagri is null then 'kode_wilayah_tidak_dikenal'
            when {{ nama_desa_key('nama_desa') }} <> {{ nama_desa_key('nama_kemendagri') }}
                or nama_desa is null
                then 'nama_desa_tidak_cocok'
            when kolom_jumlah_salah is not null then 'jumlah_tidak_valid'
            when total is not null and total <> jumlah_desil then 'total_tidak_cocok'
            when is_desa_ada_data_mikro then 'desa_ada_data_mikro'
            when urutan_desa > 1 then 'desa_ganda'
        end as alasan_karantina

    from measured

)

select
    {{ star_except(['kolom_jumlah_salah', 'urutan_desa', 'is_desa_ada_data_mikro']) }},
    case alasan_karantina
        when 'kode_wilayah_tidak_dikenal' then 'kode_wilayah'
        when 'nama_desa_tidak_cocok' then 'nama_desa'
        when 'jumlah_tidak_valid' then kolom_jumlah_salah
        when 'total_tidak_cocok' then 'total'
        when 'desa_ada_data_mikro' then 'kode_wilayah'
        when 'desa_ganda' then 'kode_wilayah'
    end as kolom_karantina,
    case alasan_karantina
        when 'kode_wilayah_tidak_dikenal' then coalesce(kode_wilayah, kode_wilayah_asli)
        when 'nama_desa_tidak_cocok'
            then coalesce(nama_desa, '(kosong)') || ' ≠ ' || nama_kemendagri
        when 'jumlah_tidak_valid' then case kolom_jumlah_salah
            {% for column in counts + ['total'] %}
            when '{{ column }}' then {{ column }}_asli
            {% endfor %}
        end
        when 'total_tidak_cocok'
            then total_asli || ' ≠ ' || cast(cast(jumlah_desil as bigint) as string)
        when 'desa_ada_data_mikro' then kode_wilayah
        when 'desa_ganda' then kode_wilayah
    end as nilai_karantina

from checked
