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

{#- Files above their quarantine threshold (quarantine_files.is_melebihi_ambang) that block:
    those of held-back tables are held back instead, and do not fail this test. -#}
{% test no_file_above_quarantine_threshold(model) %}
    select tabel, file_sumber, jumlah_baris, baris_dikarantina, ambang_persen, rincian_alasan
    from {{ model }}
    where is_melebihi_ambang and not is_ditahan
{% endtest %}
