{#-
  The one masking rule for NIK and KK numbers (DESIGN §5): the SQL twin of
  orchestration/privacy.py, with the same regular expressions. A digit place is a digit, or
  an X/* that already stands for one; a NIK-like value shows at most its first 4 and last 4
  places, separators stay; in scientific notation only the first 4 digits of the mantissa.
  tests/unit/test_masking.py proves these macros and the Python functions agree.
-#}

{#- A value of a NIK or KK column, masked whole: `5371014508950001` → `5371********0001`,
    `5371 0145 0895 0001` → `5371 **** **** 0001`, `5.37106E+15` → `5.371**E+15`; 8 or fewer
    digit places show none; empty → `(kosong)`. -#}
{% macro mask_nik(column) -%}
    {%- set value = '(' ~ column ~ ')' -%}
    {%- set sci_head = regex_extract(value, '^[^0-9]*(?:[0-9][.,]?){0,4}') -%}
    {%- set sci_rest = "substr(" ~ value ~ ", length(" ~ sci_head ~ ") + 1)" -%}
    {%- set sci_mantissa = regex_extract(sci_rest, '^[^eE]*') -%}
    {%- set head = regex_extract(value, '^[^0-9Xx*]*(?:[0-9Xx*][^0-9Xx*]*){4}') -%}
    {%- set rest = "substr(" ~ value ~ ", length(" ~ head ~ ") + 1)" -%}
    {%- set tail = regex_extract(rest, '[0-9Xx*](?:[^0-9Xx*]*[0-9Xx*]){3}[^0-9Xx*]*$') -%}
    (case
        when {{ value }} is null or {{ value }} = '' then '(kosong)'
        when {{ regex_full_match(value, "\s*''?\s*[0-9][0-9*]*([.,][0-9*]*)?[eE][+-]?[0-9]+\s*") }}
            then {{ sci_head }}
                || {{ regex_replace(sci_mantissa, '[0-9Xx]', '*', 'g') }}
                || substr({{ sci_rest }}, length({{ sci_mantissa }}) + 1)
        when length({{ regex_replace(value, '[^0-9Xx*]', '', 'g') }}) <= 8
            then {{ regex_replace(value, '[0-9Xx]', '*', 'g') }}
        else {{ head }}
            || {{ regex_replace("left(" ~ rest ~ ", length(" ~ rest ~ ") - length(" ~ tail ~ "))", '[0-9Xx]', '*', 'g') }}
            || {{ tail }}
    end)
{%- endmacro %}

{#- A value of any other column, masked whole with `mask_nik` when it holds a NIK-like
    value (12 or more digit places, or scientific notation of 12 or more digits), as it is
    otherwise: a NIK typed into kode_wilayah or nilai is not shown either. -#}
{% macro mask_nik_like(column) -%}
    {%- set scientific = '(^|[^0-9.,])([0-9]+)([.,][0-9]+)?[eE]\+?([0-9]{1,3})($|[^0-9])' -%}
    (case
        when {{ regex_contains(column, "[0-9Xx*](?:[ .\-''OoIl]?[0-9Xx*]){11,}") }}
            or ({{ regex_contains(column, scientific) }}
                and length({{ regex_extract(column, scientific, 2) }})
                    + cast({{ regex_extract(column, scientific, 4) }} as integer) >= 12)
            then {{ mask_nik(column) }}
        else {{ column }}
    end)
{%- endmacro %}
