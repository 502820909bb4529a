{#-
  NIK rules (PP KK CC DDMMYY SSSS: province, regency, district, birth date with day + 40
  for women, serial), the same rules as the lokal-id package: tests/unit/test_nik.py checks
  this SQL against lokal-id value by value.
-#}

{#- The NIK with the separators people type (spaces, dots, dashes, a leading apostrophe) removed. -#}
{% macro nik_clean(column) -%}
    regexp_replace(regexp_replace(coalesce({{ column }}, ''), '[\s.\-]', '', 'g'), '^''', '')
{%- endmacro %}

{#-
  Why a cleaned NIK cannot be one (format, province, wilayah, birth_date, serial), or null.
  `provinces` is a relation with one Kemendagri province code per row in `kode_wilayah`.
  The century follows lokal-id: a two-digit year up to this year's is 20xx, otherwise 19xx.
-#}
{% macro nik_problem(column, provinces) -%}
    {%- set raw_day = "cast(substr(" ~ column ~ ", 7, 2) as integer)" -%}
    {%- set day = "(case when " ~ raw_day ~ " > 40 then " ~ raw_day ~ " - 40 else " ~ raw_day ~ " end)" -%}
    {%- set month = "cast(substr(" ~ column ~ ", 9, 2) as integer)" -%}
    {%- set yy = "cast(substr(" ~ column ~ ", 11, 2) as integer)" -%}
    {%- set year = "(case when " ~ yy ~ " <= extract(year from current_date) % 100 then 2000 + " ~ yy ~ " else 1900 + " ~ yy ~ " end)" -%}
    (case
        when not regexp_full_match({{ column }}, '[0-9]{16}') then 'format'
        when substr({{ column }}, 1, 2) not in (select kode_wilayah from {{ provinces }}) then 'province'
        when substr({{ column }}, 3, 2) = '00' or substr({{ column }}, 5, 2) = '00' then 'wilayah'
        when {{ day }} < 1
            or try_cast(printf('%04d-%02d-%02d', {{ year }}, {{ month }}, {{ day }}) as date) is null
            then 'birth_date'
        when substr({{ column }}, 13, 4) = '0000' then 'serial'
    end)
{%- endmacro %}

{#- A name compared across files: `Yohanes  Ch. LAY` → `YOHANES CH LAY` (case, accents,
    apostrophes, punctuation and spacing do not matter). -#}
{% macro normalised_name(column) -%}
    nullif(trim(regexp_replace(
        upper(regexp_replace(strip_accents(coalesce({{ column }}, '')), '[''’‘`]', '', 'g')),
        '[^0-9A-Z]+', ' ', 'g')), '')
{%- endmacro %}
