{#-
  Amounts and dates as people type them into spreadsheets (DESIGN §2: `,` is the decimal
  mark, `.` groups thousands). Raw values stay text; staging reads them with these macros and
  keeps the original beside the result, so an unreadable value is quarantined with what was
  written. tests/unit/test_parsing_macros.py runs every rule below.
-#}

{#- The amount's digits and separators: no `Rp`/`IDR`, no trailing `,-`, no sign, no spaces
    between groups of three (`Rp 1 500 000,-` → `1500000`). -#}
{#- The value without a leading `Rp`/`IDR` (any case). -#}
{% macro _amount_without_currency(column) -%}
    trim({{ regex_replace("trim(replace(coalesce(" ~ column ~ ", ''), chr(160), ' '))",
                          '^(rp\.?|idr)\s*', '', 'i') }})
{%- endmacro %}

{% macro _amount_body(column) -%}
    {%- set text = "trim(" ~ regex_replace(_amount_without_currency(column), '(.)\s*(,--|,-|\.-|-)$', '\\1') ~ ")" -%}
    {%- set unsigned = "trim(" ~ regex_replace(text, '^[+-]', '') ~ ")" -%}
    (case when {{ regex_full_match(unsigned, '\d{1,3}( \d{3})+([.,]\d+)?') }}
          then replace({{ unsigned }}, ' ', '') else {{ unsigned }} end)
{%- endmacro %}

{% macro _amount_sign(column) -%}
    (case when {{ _amount_without_currency(column) }} like '-%' then -1 else 1 end)
{%- endmacro %}

{#- How the body reads with `,` as the decimal mark and `.` grouping thousands (the
    convention), and the other way round (`1,500,000.50`). -#}
{% macro _amount_readings(body) -%}
    {%- set as_convention = regex_full_match(body, '(\d{1,3}(\.\d{3})+|\d+)(,\d+)?') -%}
    {%- set as_other = regex_full_match(body, '(\d{1,3}(,\d{3})+|\d+)(\.\d+)?') -%}
    {%- set convention_value = "try_cast(replace(replace(" ~ body ~ ", '.', ''), ',', '.') as double)" -%}
    {%- set other_value = "try_cast(replace(" ~ body ~ ", ',', '') as double)" -%}
    {{ return([as_convention, as_other, convention_value, other_value]) }}
{%- endmacro %}

{#-
  The amount as a double, or null when it is empty, unreadable or ambiguous:
  `Rp 1.500.000,-` → 1500000, `1.500.000,50` → 1500000.5, `8,61` → 8.61,
  `1,500,000.50` → 1500000.5, `750000.5` → 750000.5, `-250.000` → -250000.
  A single separator followed by exactly three digits is read as the convention's thousands
  separator (`750.000` → 750000) but `750,000` is ambiguous (thousands, or three decimals?).
-#}
{% macro parse_amount(column) -%}
    {%- set body = _amount_body(column) -%}
    {%- set r = _amount_readings(body) -%}
    (case
        when {{ regex_full_match("trim(coalesce(" ~ column ~ ", ''))", '\d+') }}
            then cast(trim({{ column }}) as double)
        when {{ r[0] }} and {{ r[1] }} and {{ r[2] }} <> {{ r[3] }} and contains({{ body }}, ',')
            then null
        when {{ r[0] }} then {{ r[2] }} * {{ _amount_sign(column) }}
        when {{ r[1] }} then {{ r[3] }} * {{ _amount_sign(column) }}
    end)
{%- endmacro %}

{#- Why parse_amount gives null for a value that is not empty: 'ambigu' or 'tidak_terbaca'. -#}
{% macro amount_problem(column) -%}
    {%- set body = _amount_body(column) -%}
    {%- set r = _amount_readings(body) -%}
    (case
        when {{ regex_full_match("trim(coalesce(" ~ column ~ ", ''))", '\d*') }} then null
        when {{ r[0] }} and {{ r[1] }} and {{ r[2] }} <> {{ r[3] }} and contains({{ body }}, ',')
            then 'ambigu'
        when {{ r[0] }} or {{ r[1] }} then null
        else 'tidak_terbaca'
    end)
{%- endmacro %}

{#-
  A date from what people type, or null when it is empty, unreadable, ambiguous or impossible:
  `2025-03-12` (a time after it is ignored), `2025/03/12`; day first always, as in Indonesia:
  `12/03/2025`, `12-03-2025`, `12.03.2025` (an impossible day-first date such as `12/31/2025`
  is null, never re-read month first); `12 Maret 2025`, `12-Mar-2025`; an Excel serial day
  of five digits (`45728` → 2025-03-12). Two-digit years (`12/03/25`) are ambiguous → null.
-#}
{% macro parse_date(column) -%}
    {%- set v = "lower(trim(" ~ regex_replace("coalesce(" ~ column ~ ", '')", '\s+', ' ', 'g') ~ "))" -%}
    {%- set ymd = regex_groups(v, '^(\d{4})([/.-])(\d{1,2})([/.-])(\d{1,2})(?:[ t]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$', ['y', 's1', 'm', 's2', 'd']) -%}
    {%- set dmy = regex_groups(v, '^(\d{1,2})([/.-])(\d{1,2})([/.-])(\d{4})$', ['d', 's1', 'm', 's2', 'y']) -%}
    {%- set named = regex_groups(v, '^(\d{1,2})[ /.-]+([a-z]+)\.?[ /.-]+(\d{4})$', ['d', 'month', 'y']) -%}
    (case
        {#- The common case first, on the value as written (it has no spaces or capitals to
            normalise): saves the whitespace replacement on most rows. #}
        when {{ regex_full_match(column, '\d{4}-\d{2}-\d{2}') }} then try_cast({{ column }} as date)
        when {{ regex_full_match(v, '\d{4}-\d{2}-\d{2}') }} then try_cast({{ v }} as date)
        when {{ ymd.y }} <> '' and {{ ymd.s1 }} = {{ ymd.s2 }}
            then {{ _make_date(ymd.y, ymd.m, ymd.d) }}
        when {{ dmy.y }} <> '' and {{ dmy.s1 }} = {{ dmy.s2 }}
            then {{ _make_date(dmy.y, dmy.m, dmy.d) }}
        when {{ named.y }} <> ''
            then {{ _make_date(named.y, _month_number(named.month), named.d) }}
        when {{ regex_full_match(v, '\d{5}(\.\d+)?') }}
            then cast(date '1899-12-30' + cast(floor(cast({{ v }} as double)) as integer) as date)
    end)
{%- endmacro %}

{% macro _make_date(year, month, day) -%}
    try_cast(printf('%04d-%02d-%02d', try_cast({{ year }} as integer), try_cast({{ month }} as integer),
                    try_cast({{ day }} as integer)) as date)
{%- endmacro %}

{#- Indonesian and English month names and their usual abbreviations. A simple `case x when`
    on purpose: DuckDB turns `x in (5+ values)` into a join, which cost seconds per million
    rows on every read of the registry views. -#}
{% macro _month_number(name) -%}
    (case {{ name }}
        when 'januari' then 1 when 'jan' then 1 when 'january' then 1
        when 'februari' then 2 when 'feb' then 2 when 'pebruari' then 2 when 'peb' then 2 when 'february' then 2
        when 'maret' then 3 when 'mar' then 3 when 'march' then 3
        when 'april' then 4 when 'apr' then 4
        when 'mei' then 5 when 'may' then 5
        when 'juni' then 6 when 'jun' then 6 when 'june' then 6
        when 'juli' then 7 when 'jul' then 7 when 'july' then 7
        when 'agustus' then 8 when 'agu' then 8 when 'agt' then 8 when 'ags' then 8 when 'aug' then 8 when 'august' then 8
        when 'september' then 9 when 'sep' then 9 when 'sept' then 9
        when 'oktober' then 10 when 'okt' then 10 when 'oct' then 10 when 'october' then 10
        when 'november' then 11 when 'nov' then 11 when 'nop' then 11 when 'nopember' then 11
        when 'desember' then 12 when 'des' then 12 when 'dec' then 12 when 'december' then 12
    end)
{%- endmacro %}
