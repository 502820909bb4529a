{#-
  NIK rules (PP KK CC DDMMYY SSSS: province, regency, district, birth date with day + 40
  for women, serial), the same rules as the lokal-id package: tests/unit/test_nik.py checks
  this SQL against lokal-id value by value.
-#}

{#- The NIK with the separators people type (spaces, dots, dashes, a leading apostrophe) removed.
    A value of digits only (almost every NIK) is returned as is, skipping the two replacements
    that cost seconds per ten million rows on every read of the staging views. -#}
{% macro nik_clean(column) -%}
    (case
        when {{ regex_full_match(column, '[0-9]+') }} then {{ column }}
        else {{ regex_replace(regex_replace("coalesce(" ~ column ~ ", '')", '[\s.\-]', '', 'g'), "^''", '') }}
    end)
{%- endmacro %}

{#-
  Why a cleaned NIK cannot be one (format, province, wilayah, birth_date, serial), or null.
  `provinces` is a relation with one Kemendagri province code per row in `kode_wilayah`
  (a relation of every region level works too: only two-character codes are compared).
  The century follows lokal-id: a two-digit year up to this year's is 20xx, otherwise 19xx.
  The birth date DDMMYY is read with one cast and checked with arithmetic (day within its
  month, 29 February in leap years only): the same answer as building the date text and
  casting it, at a fraction of the cost per row. A null NIK is a birth_date problem, as
  the date text of a null NIK is null.
  `ddmmyy` names a column holding `nik_ddmmyy(column)`, computed in an earlier CTE: the
  check reads DDMMYY about fifteen times and DuckDB evaluates every inlined copy of an
  expression, so reading a column instead halves the cost (2.8 s → 1.25 s over the ten
  million NIKs of 1 M households).
-#}
{% macro nik_problem(column, provinces, ddmmyy) -%}
    {%- set raw_day = int_div(ddmmyy, 10000) -%}
    {%- set day = "(case when " ~ raw_day ~ " > 40 then " ~ raw_day ~ " - 40 else " ~ raw_day ~ " end)" -%}
    {%- set month = "(" ~ int_div(ddmmyy, 100) ~ " % 100)" -%}
    {%- set yy = "(" ~ ddmmyy ~ " % 100)" -%}
    {%- set year = "(case when " ~ yy ~ " <= extract(year from current_date) % 100 then 2000 + " ~ yy ~ " else 1900 + " ~ yy ~ " end)" -%}
    {%- set is_leap = "(" ~ year ~ " % 4 = 0 and (" ~ year ~ " % 100 <> 0 or " ~ year ~ " % 400 = 0))" -%}
    {%- set last_day = "(case " ~ month ~ " when 2 then (case when " ~ is_leap ~ " then 29 else 28 end) when 4 then 30 when 6 then 30 when 9 then 30 when 11 then 30 else 31 end)" -%}
    (case
        when not {{ regex_full_match(column, '[0-9]{16}') }} then 'format'
        when substr({{ column }}, 1, 2) not in (
            select kode_wilayah from {{ provinces }}
            where kode_wilayah is null or length(kode_wilayah) = 2
        ) then 'province'
        when substr({{ column }}, 3, 2) = '00' or substr({{ column }}, 5, 2) = '00' then 'wilayah'
        when {{ column }} is null
            or {{ day }} < 1 or {{ month }} < 1 or {{ month }} > 12 or {{ day }} > {{ last_day }}
            then 'birth_date'
        when substr({{ column }}, 13, 4) = '0000' then 'serial'
    end)
{%- endmacro %}

{#- The birth-date digits DDMMYY of a NIK as a number, for `nik_problem`; null when they are
    not digits (that NIK fails the format rule first). -#}
{% macro nik_ddmmyy(column) -%}
    try_cast(substr({{ column }}, 7, 6) as integer)
{%- endmacro %}

{#- A name compared across files: `Yohanes  Ch. LAY` → `YOHANES CH LAY` (case, accents,
    apostrophes, punctuation and spacing do not matter). -#}
{% macro normalised_name(column) -%}
    {%- set accents_off = strip_accents("coalesce(" ~ column ~ ", '')") -%}
    nullif(trim({{ regex_replace(
        "upper(" ~ regex_replace(accents_off, "[''’‘`]", '', 'g') ~ ")",
        '[^0-9A-Z]+', ' ', 'g') }}), '')
{%- endmacro %}
