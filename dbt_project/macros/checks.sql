{#-
  The SQL of the mart gates (DESIGN §4), written once. Each macro is called by a one-line
  view in models/checks/ (schema `checks`, never published); the Great Expectations suite of
  the mart reads that view and stays the gate: it blocks and reports in plain words
  (expectations/README.md). Plain SQL only (no DuckDB star expressions or `group by all`;
  text casts through dbt.type_string()), so another engine can run the same checks.
-#}

{#-
  Region levels add up: per parent region (kecamatan, kabkota, provinsi), each of `keys`
  and each of `measures`, the parent row against the sum of the rows one level below.
  One row per parent (or orphaned child group) and measure:
  tingkat_wilayah (the parent's level), kode_induk, the keys, ukuran (the measure),
  jumlah_induk, jumlah_rinci and selisih = jumlah_induk - jumlah_rinci (0 when they agree;
  a parent without children or children without a parent count as 0 on the missing side).
-#}
{% macro levels_add_up(relation, keys, measures) -%}
with

levels as (

    select 'kecamatan' as tingkat_wilayah, 'desa' as tingkat_rinci, 6 as panjang_induk
    union all
    select 'kabkota' as tingkat_wilayah, 'kecamatan' as tingkat_rinci, 4 as panjang_induk
    union all
    select 'provinsi' as tingkat_wilayah, 'kabkota' as tingkat_rinci, 2 as panjang_induk

),

rinci as (

    select
        levels.tingkat_wilayah,
        {%- for key in keys %}
        fine.{{ key }},
        {%- endfor %}
        substring(fine.kode_wilayah, 1, levels.panjang_induk) as kode_induk,
        {%- for measure in measures %}
        sum(fine.{{ measure }}) as {{ measure }}{{ "," if not loop.last }}
        {%- endfor %}

    from {{ relation }} as fine
    inner join levels
        on fine.tingkat_wilayah = levels.tingkat_rinci
    group by
        levels.tingkat_wilayah,
        {%- for key in keys %}
        fine.{{ key }},
        {%- endfor %}
        substring(fine.kode_wilayah, 1, levels.panjang_induk)

),

induk as (

    select
        coarse.tingkat_wilayah,
        {%- for key in keys %}
        coarse.{{ key }},
        {%- endfor %}
        coarse.kode_wilayah as kode_induk,
        {%- for measure in measures %}
        sum(coarse.{{ measure }}) as {{ measure }}{{ "," if not loop.last }}
        {%- endfor %}

    from {{ relation }} as coarse
    where coarse.tingkat_wilayah in (select levels.tingkat_wilayah from levels)
    group by
        coarse.tingkat_wilayah,
        {%- for key in keys %}
        coarse.{{ key }},
        {%- endfor %}
        coarse.kode_wilayah

),

paired as (

    select
        coalesce(induk.tingkat_wilayah, rinci.tingkat_wilayah) as tingkat_wilayah,
        coalesce(induk.kode_induk, rinci.kode_induk) as kode_induk,
        {%- for key in keys %}
        coalesce(induk.{{ key }}, rinci.{{ key }}) as {{ key }},
        {%- endfor %}
        {%- for measure in measures %}
        induk.{{ measure }} as {{ measure }}__induk,
        rinci.{{ measure }} as {{ measure }}__rinci{{ "," if not loop.last }}
        {%- endfor %}

    from induk
    full outer join rinci
        on induk.tingkat_wilayah = rinci.tingkat_wilayah
        and induk.kode_induk = rinci.kode_induk
        {%- for key in keys %}
        and induk.{{ key }} = rinci.{{ key }}
        {%- endfor %}

)

{% for measure in measures -%}
select
    tingkat_wilayah,
    kode_induk,
    {%- for key in keys %}
    {{ key }},
    {%- endfor %}
    '{{ measure }}' as ukuran,
    coalesce({{ measure }}__induk, 0) as jumlah_induk,
    coalesce({{ measure }}__rinci, 0) as jumlah_rinci,
    coalesce({{ measure }}__induk, 0) - coalesce({{ measure }}__rinci, 0) as selisih
from paired
{% if not loop.last %}
union all

{% endif -%}
{%- endfor %}
{%- endmacro %}


{#- The columns of `relation` as text, for the checks below (known once the mart is built). -#}
{% macro _text_columns(relation) -%}
    {%- if execute -%}
        {%- set columns = adapter.get_columns_in_relation(relation) -%}
    {%- else -%}
        {%- set columns = [] -%}
    {%- endif -%}
    {#- A check over no column would pass whatever the mart holds: refuse to build it. Only
        the SQL linter compiles against an empty in-memory warehouse (Makefile: lint). -#}
    {%- if execute and columns | length == 0 and env_var('TEPAT_WAREHOUSE', '') != ':memory:' -%}
        {{ exceptions.raise_compiler_error(
            "No columns found in " ~ relation ~ ": the personal-data check cannot read it."
        ) }}
    {%- endif -%}
    {{ return(columns | map(attribute='name') | list) }}
{%- endmacro %}


{#-
  No NIK or KK number: every row of `relation` as one text, its values joined by chr(31)
  (`isi_baris`). The suite rejects a 16-digit number standing alone in it.
-#}
{% macro published_row_text(relation) -%}
select
    concat_ws(
        chr(31)
        {%- for column in _text_columns(relation) %},
        cast({{ adapter.quote(column) }} as {{ dbt.type_string() }})
        {%- endfor %}
    ) as isi_baris
from {{ relation }}
{%- endmacro %}


{#-
  No person's name: per column of `relation`, how many distinct values equal a name in the
  registry (raw, trimmed) or in `name_sources` (relations with a `nama` column, e.g. the
  rosters). One row per column holding a name (`kolom`, `jumlah_nama`), never the name
  itself, so the gate's report does not repeat it: the suite wants no row.
-#}
{% macro registry_names_in(relation, name_sources=[]) -%}
with

nilai as (

    {%- set columns = _text_columns(relation) %}
    {%- if columns | length == 0 %}
    -- (only when linted against an empty warehouse: see _text_columns)
    select
        cast(null as {{ dbt.type_string() }}) as kolom,
        cast(null as {{ dbt.type_string() }}) as nilai
    where false
    {%- endif %}
    {%- for column in columns %}
    select distinct
        '{{ column }}' as kolom,
        cast({{ adapter.quote(column) }} as {{ dbt.type_string() }}) as nilai
    from {{ relation }}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}

),

nama as (

    select trim(nama) as nama
    from {{ source('dtsen', 'dtsen_anggota') }}
    where nullif(trim(nama), '') is not null
    {%- for name_source in name_sources %}
    union
    select nama
    from {{ name_source }}
    where nama is not null
    {%- endfor %}

)

select
    nilai.kolom,
    count(*) as jumlah_nama
from nilai
where nilai.nilai in (select nama.nama from nama)
group by nilai.kolom
{%- endmacro %}
