{#-
  Quarantine: rows that break a row rule are kept out of the marts, listed with their reason
  in quarantine.quarantine_rows, and counted per file. A file whose quarantined share is
  above its threshold blocks the run. Thresholds come from expectations/thresholds.yml,
  which tepat passes to dbt as the var `quarantine_thresholds`.
-#}

{#- The share (0–1) of a file's rows that may be quarantined, for `table_name`'s files. -#}
{% macro quarantine_threshold(table_name, file_column='_source_file') -%}
    {%- set settings = var('quarantine_thresholds', {}) -%}
    {%- set tables = settings.get('tables', {}) -%}
    {%- set default = tables.get(table_name, settings.get('default', 0.05)) -%}
    {%- set files = settings.get('files', {}) -%}
    {%- if files -%}
    (case
        {%- for pattern, share in files.items() %}
        when {{ file_column }} like '{{ pattern | replace("*", "%") }}' then {{ share }}
        {%- endfor %}
        else {{ default }}
    end)
    {%- else -%}
    {{ default }}
    {%- endif -%}
{%- endmacro %}

{#- The fewest bad rows that can block a file: a few typos in a tiny roster only quarantine. -#}
{% macro quarantine_min_bad_rows() -%}
    {{ var('quarantine_thresholds', {}).get('min_bad_rows', 5) }}
{%- endmacro %}

{#- Raw tables whose failing files are held back, not blocking (DESIGN §4). -#}
{% macro held_back_tables() -%}
    ('roster_rows', 'bps_indicators')
{%- endmacro %}

{#- Per raw file of the `checked` (raw table, its *_checked model) pairs: rows loaded,
    accepted and quarantined, the reasons, and whether the quarantined share is above the
    file's threshold. Whether a roster or BPS file is held back is read from file_ditahan
    (meta.held_back_files), and only when one of those tables is checked: a registry-only
    list then depends on no roster (DESIGN §6.2). -#}
{% macro quarantine_per_file(checked) %}
{%- set holds_back = checked | map(attribute=0)
    | select('in', ['roster_rows', 'bps_indicators']) | list | length > 0 %}
with

per_reason as (

    {% for table_name, model in checked %}
    select
        '{{ table_name }}' as tabel,
        _source_file as file_sumber,
        alasan_karantina as alasan,
        count(*) as jumlah,
        {% if table_name == 'roster_rows' -%}
        count(*) filter (where is_nik_dipulihkan) as jumlah_nik_dipulihkan,
        {%- else -%}
        0 as jumlah_nik_dipulihkan,
        {%- endif %}
        {{ quarantine_threshold(table_name) }} as ambang

    from {{ ref(model) }}
    group by _source_file, alasan_karantina
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

per_file as (

    select
        tabel,
        file_sumber,
        sum(jumlah) as jumlah_baris,
        sum(jumlah) filter (where alasan is null) as baris_diterima,
        coalesce(sum(jumlah) filter (where alasan is not null), 0) as baris_dikarantina,
        -- accepted rows (alasan null) drop out: a null text is not joined
        {{ string_agg_ordered("alasan || ': ' || jumlah", "'; '", ['-jumlah', 'alasan']) }}
            as rincian_alasan,
        sum(jumlah_nik_dipulihkan) as baris_nik_dipulihkan,
        any_value(ambang) as ambang

    from per_reason
    group by tabel, file_sumber

)

select
    tabel,
    file_sumber,
    cast(jumlah_baris as bigint) as jumlah_baris,
    cast(coalesce(baris_diterima, 0) as bigint) as baris_diterima,
    cast(baris_dikarantina as bigint) as baris_dikarantina,
    100e0 * baris_dikarantina / jumlah_baris as persen_dikarantina,
    100e0 * ambang as ambang_persen,
    {% if holds_back -%}
    case
        when tabel in {{ held_back_tables() }}
            then per_file.file_sumber in (select file_sumber from {{ ref('file_ditahan') }})
        else baris_dikarantina > jumlah_baris * ambang
            and baris_dikarantina >= {{ quarantine_min_bad_rows() }}
    end as is_melebihi_ambang,
    tabel in {{ held_back_tables() }}
        and per_file.file_sumber in (select file_sumber from {{ ref('file_ditahan') }})
        as is_ditahan,
    {%- else -%}
    baris_dikarantina > jumlah_baris * ambang
        and baris_dikarantina >= {{ quarantine_min_bad_rows() }} as is_melebihi_ambang,
    false as is_ditahan,
    {%- endif %}
    rincian_alasan,
    cast(baris_nik_dipulihkan as bigint) as baris_nik_dipulihkan

from per_file
{% endmacro %}

{#- Files above their quarantine threshold (quarantine_files.is_melebihi_ambang) that block:
    those of held-back tables are held back instead, and do not fail this test. -#}
{% test no_file_above_quarantine_threshold(model) %}
    select tabel, file_sumber, jumlah_baris, baris_dikarantina, ambang_persen, rincian_alasan
    from {{ model }}
    where is_melebihi_ambang and not is_ditahan
{% endtest %}
