{#-
  Generic tests we write ourselves (dbt packages cannot be installed offline).
  Every failing row names the raw file and row, so a failure points at the line to fix.
-#}

{#- Non-empty text values that do not convert to `to` (integer, date, double…). -#}
{% test castable(model, column_name, to) %}
    select _source_file, _row_number, {{ column_name }} as nilai_mentah
    from {{ model }}
    where nullif(trim({{ column_name }}), '') is not null
      and try_cast(trim({{ column_name }}) as {{ to }}) is null
{% endtest %}

{#- Rows whose combination of `columns` is not unique. -#}
{% test unique_combination(model, columns) %}
    select {{ columns | join(', ') }}, count(*) as jumlah_baris
    from {{ model }}
    group by {{ columns | join(', ') }}
    having count(*) > 1
{% endtest %}

{#- Groups whose `column_name` (a percentage) does not add up to 100 (± tolerance). -#}
{% test sums_to_100(model, column_name, group_by, tolerance=0.001) %}
    select {{ group_by | join(', ') }}, sum({{ column_name }}) as jumlah_persen
    from {{ model }}
    group by {{ group_by | join(', ') }}
    having abs(sum({{ column_name }}) - 100) > {{ tolerance }}
{% endtest %}

{#- Values outside [min_value, max_value] (nulls pass). -#}
{% test between(model, column_name, min_value, max_value) %}
    select {{ column_name }}
    from {{ model }}
    where {{ column_name }} < {{ min_value }} or {{ column_name }} > {{ max_value }}
{% endtest %}

{#- Rows for which `expression` is not true. -#}
{% test expression_is_true(model, expression) %}
    select * from {{ model }} where not ({{ expression }})
{% endtest %}

{#- DESIGN §4: every row says whether a held-back file leaves it incomplete, and an
    incomplete row says why (a complete one has no note). -#}
{% test kelengkapan_explained(model, column_name) %}
    select {{ column_name }}, catatan_kelengkapan
    from {{ model }}
    where {{ column_name }} is null
        or {{ column_name }} != (catatan_kelengkapan is null)
{% endtest %}
