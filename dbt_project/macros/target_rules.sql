{#-
  Rules of the target gap (DESIGN §3 "Target gap", §3.1) that more than one column uses.
  Written once here so the mart reads like the document.
-#}

{#-
  Whether `value` meets `target` for an indicator of direction `arah`: at or below it when
  lower is better (`turun`), at or above it otherwise (`naik`). Null when either is missing.
-#}
{% macro target_is_met(value, target, arah) -%}
    (case
        when {{ value }} is null or {{ target }} is null then null
        when {{ arah }} = 'naik' then {{ value }} >= {{ target }}
        else {{ value }} <= {{ target }}
    end)
{%- endmacro %}

{#-
  Achievement category of Permendagri 86/2017, decided on capaian rounded to two decimals
  (halves away from zero, as DuckDB's round): 90.005 is 90.01 and so sangat tinggi, 90.004
  is 90.00 and so tinggi. Empty when capaian is.
-#}
{% macro target_kategori_capaian(capaian) -%}
    (case
        when {{ capaian }} is null then null
        when round({{ capaian }}, 2) > 90 then 'sangat tinggi'
        when round({{ capaian }}, 2) > 75 then 'tinggi'
        when round({{ capaian }}, 2) > 65 then 'sedang'
        when round({{ capaian }}, 2) > 50 then 'rendah'
        else 'sangat rendah'
    end)
{%- endmacro %}

{#-
  The non-empty texts of `reasons` (SQL expressions, each a text or null) joined with "; ",
  or null when every one is empty: the `catatan` column.
-#}
{% macro target_join_reasons(reasons) -%}
    {{ return(adapter.dispatch('target_join_reasons', 'tepat')(reasons)) }}
{%- endmacro %}

{% macro default__target_join_reasons(reasons) -%}
    {#- concat_ws skips nulls on DuckDB, Spark and Trino alike. -#}
    nullif(concat_ws('; ', {{ reasons | join(', ') }}), '')
{%- endmacro %}

{#-
  Least-squares slope of `y` on `x` over the rows of a group: the same number as
  regr_slope(y, x), from plain sums (n·Σxy − Σx·Σy) / (n·Σx² − (Σx)²), so it runs on any
  engine and, with `x` kept small (years counted from the latest one), is exact for exact
  inputs (regr_slope's streaming update leaves noise such as −0.6500000000000062).
  Empty when all `x` are equal (fewer than two distinct years).
-#}
{% macro target_least_squares_slope(y, x) -%}
    (
        (count({{ y }}) * sum({{ x }} * {{ y }}) - sum({{ x }}) * sum({{ y }}))
        / nullif(count({{ y }}) * sum({{ x }} * {{ x }}) - sum({{ x }}) * sum({{ x }}), 0)
    )
{%- endmacro %}

{#-
  Generic test: rows where one of `columns` is empty but `reason_column` (catatan) says
  nothing, or where nothing is empty yet it says something. Every empty value must be
  explained, and only empty values.
-#}
{% test target_empty_values_are_explained(model, columns, reason_column='catatan') %}
    select *
    from {{ model }}
    where (
            ({% for column in columns %}{{ column }} is null{% if not loop.last %} or {% endif %}{% endfor %})
            and {{ reason_column }} is null
        )
        or (
            ({% for column in columns %}{{ column }} is not null{% if not loop.last %} and {% endif %}{% endfor %})
            and {{ reason_column }} is not null
        )
{% endtest %}
