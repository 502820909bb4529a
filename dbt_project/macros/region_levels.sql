{#-
  The four Kemendagri region levels, as (tingkat_wilayah, panjang_kode) rows.
  Join facts placed at desa level (10-digit code) to this and take
  substring(kode_desa, 1, panjang_kode) to count them at every level at once.
-#}
{% macro region_levels() -%}
    (
        select 'provinsi' as tingkat_wilayah, 2 as panjang_kode
        union all select 'kabkota', 4
        union all select 'kecamatan', 6
        union all select 'desa', 10
    )
{%- endmacro %}

{#- Digits only: dotted Kemendagri codes (53.71.01.1001) become plain (5371011001). -#}
{% macro digits_only(column) -%}
    {{ return(adapter.dispatch('digits_only', 'tepat')(column)) }}
{%- endmacro %}

{% macro default__digits_only(column) -%}
    {{ regex_replace('trim(' ~ column ~ ')', '[^0-9]', '', 'g') }}
{%- endmacro %}

{#- The same on DuckDB, where a value that is digits already (most of them) skips the trim and
    the replacement: seconds per ten million rows on every read of the staging views. -#}
{% macro duckdb__digits_only(column) -%}
    (case
        when {{ regex_full_match(column, '[0-9]*') }} then {{ column }}
        else {{ default__digits_only(column) }}
    end)
{%- endmacro %}

{#- Age in completed years of someone born on `birth_date` on day `at_date`. -#}
{% macro age_in_years(birth_date, at_date) -%}
    (extract(year from {{ at_date }}) - extract(year from {{ birth_date }})
        - case
            when extract(month from {{ at_date }}) * 100 + extract(day from {{ at_date }})
                < extract(month from {{ birth_date }}) * 100 + extract(day from {{ birth_date }})
            then 1 else 0
        end)
{%- endmacro %}

{#-
  DESIGN §3 "Reference snapshot": the latest snapshot dated on or before `period_end`
  (a column or expression), or null when none is that old. `snapshots` is a relation with
  one `tanggal_snapshot` per row. Callers fall back to the earliest snapshot and flag it.
-#}
{% macro latest_snapshot_on_or_before(period_end, snapshots) -%}
    (select max(s.tanggal_snapshot) from {{ snapshots }} as s where s.tanggal_snapshot <= {{ period_end }})
{%- endmacro %}

{% macro earliest_snapshot(snapshots) -%}
    (select min(s.tanggal_snapshot) from {{ snapshots }} as s)
{%- endmacro %}
