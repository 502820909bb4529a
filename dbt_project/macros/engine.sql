{#-
  What differs between the engines tepat runs on (DuckDB, the default, and Apache Spark for
  national scale: DESIGN §6). Each macro has one form per engine through adapter.dispatch;
  models call the macro and are written once.
-#}

{#- Spark: the raw tables arrive as Parquet (orchestration/engines.py writes them from the
    loader's tables); register each dbt source over its folder at the start of every dbt run
    (on-run-start: the catalog is in memory, in the dbt process). DuckDB reads the loader's
    tables directly: nothing to do. -#}
{% macro register_raw_sources() %}
    {{ return(adapter.dispatch('register_raw_sources', 'tepat')()) }}
{% endmacro %}

{% macro default__register_raw_sources() %}
    {{ return('') }}
{% endmacro %}

{% macro spark__register_raw_sources() %}
    {%- if execute -%}
        {%- set root = env_var('TEPAT_SPARK_HANDOFF') -%}
        {#- Partition folders (tanggal_snapshot=2025-03-31/) are raw text like every raw
            column: Spark must not read them as dates or numbers. -#}
        {%- do run_query('set spark.sql.sources.partitionColumnTypeInference.enabled = false') -%}
        {#- the tables whose tidy registry files Spark reads itself: the statements
            orchestration/engines.py::file_reads wrote for each (DESIGN §6.1) -#}
        {%- set file_reads = fromjson(env_var('TEPAT_SPARK_FILE_READS', '{}')) -%}
        {%- for source in graph.sources.values() -%}
            {%- set relation = source.schema ~ '.' ~ source.identifier -%}
            {%- do run_query('create database if not exists ' ~ source.schema) -%}
            {#- a catalog that outlives the night (thrift) may hold it as a view or a table -#}
            {%- set views = run_query(
                "show views in " ~ source.schema ~ " like '" ~ source.identifier ~ "'"
            ) -%}
            {%- do run_query(
                ('drop view if exists ' if views.rows | length > 0 else 'drop table if exists ')
                ~ relation
            ) -%}
            {%- if relation in file_reads -%}
                {%- for statement in file_reads[relation] -%}
                    {%- do run_query(statement) -%}
                {%- endfor -%}
            {%- else -%}
                {%- do run_query(
                    'create table ' ~ relation ~ " using parquet location '"
                    ~ root ~ '/' ~ source.schema ~ '/' ~ source.identifier ~ "'"
                ) -%}
                {%- if source.meta.get('spark_partition_by') -%}
                    {#- the catalog lists a folder's partitions only once told to look -#}
                    {%- do run_query('alter table ' ~ relation ~ ' recover partitions') -%}
                    {#- and knows their size only once measured (from the files' sizes, rows
                        not read): without it the planner takes every partitioned table for
                        huge and never broadcasts a join with one -#}
                    {%- do run_query('analyze table ' ~ relation ~ ' compute statistics noscan') -%}
                {%- endif -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
    {{ return('') }}
{% endmacro %}

{#- Spark over a Thrift Server (method thrift): the server owns spark.sql.warehouse.dir and
    a catalog that outlives the dbt run, so every table and seed is written with an explicit
    location where a session would have put it, <TEPAT_SPARK_WAREHOUSE>/<schema>.db/<name>:
    the night's build folder, which DuckDB reads (orchestration/engines.py). Such tables are
    external: the next night drops them from the catalog and leaves their files, so the last
    good night's folder stays whole until a new night has built every table. Overrides
    dbt-spark's macro; a model's own location_root still wins; session method unchanged.
    (The method is read as profiles.yml reads it: dbt's `target` has no `method`.) -#}
{% macro spark__location_clause() %}
    {%- set location_root = config.get('location_root', validator=validation.any[basestring]) -%}
    {%- if location_root is none and env_var('TEPAT_SPARK_METHOD', 'session') == 'thrift' -%}
        {%- set location_root = env_var('TEPAT_SPARK_WAREHOUSE') ~ '/' ~ model['schema'] ~ '.db' -%}
    {%- endif -%}
    {%- if location_root is not none %}
    location '{{ location_root }}/{{ model['alias'] }}'
    {%- endif %}
{%- endmacro %}

{#-
  Regular expressions. `pattern` is written once, as DuckDB's RE2 reads it, without quotes
  (SQL quotes inside it doubled). Spark's string literals read a backslash as an escape, so
  its form doubles every backslash; Java's regex syntax agrees with RE2 on everything these
  patterns use (classes, \s \d, (?:), {m,n}).
-#}
{% macro _pattern_literal(pattern) -%}
    {{ return(adapter.dispatch('_pattern_literal', 'tepat')(pattern)) }}
{%- endmacro %}

{% macro default___pattern_literal(pattern) -%}
    '{{ pattern }}'
{%- endmacro %}

{% macro spark___pattern_literal(pattern) -%}
    '{{ pattern | replace("\\", "\\\\") }}'
{%- endmacro %}

{#- True when the whole value matches (null for null). -#}
{% macro regex_full_match(value, pattern) -%}
    {{ return(adapter.dispatch('regex_full_match', 'tepat')(value, pattern)) }}
{%- endmacro %}

{% macro default__regex_full_match(value, pattern) -%}
    regexp_full_match({{ value }}, {{ _pattern_literal(pattern) }})
{%- endmacro %}

{#- Java's `$` also matches before a final line break; `\z` is the end of the value only. -#}
{% macro spark__regex_full_match(value, pattern) -%}
    ({{ value }} rlike {{ _pattern_literal('^(?:' ~ pattern ~ ')\\z') }})
{%- endmacro %}

{#- True when the pattern matches anywhere in the value. -#}
{% macro regex_contains(value, pattern) -%}
    {{ return(adapter.dispatch('regex_contains', 'tepat')(value, pattern)) }}
{%- endmacro %}

{% macro default__regex_contains(value, pattern) -%}
    regexp_matches({{ value }}, {{ _pattern_literal(pattern) }})
{%- endmacro %}

{% macro spark__regex_contains(value, pattern) -%}
    ({{ value }} rlike {{ _pattern_literal(pattern) }})
{%- endmacro %}

{#- The text of capture group `group` (0: the whole match), '' when nothing matches. -#}
{% macro regex_extract(value, pattern, group=0) -%}
    regexp_extract({{ value }}, {{ _pattern_literal(pattern) }}, {{ group }})
{%- endmacro %}

{#- Every capture group of one match, by name: a dict name → SQL expression. DuckDB matches
    once into a struct; Spark extracts each group (the same answer). -#}
{% macro regex_groups(value, pattern, names) -%}
    {{ return(adapter.dispatch('regex_groups', 'tepat')(value, pattern, names)) }}
{%- endmacro %}

{% macro default__regex_groups(value, pattern, names) -%}
    {%- set matched = "regexp_extract(" ~ value ~ ", " ~ _pattern_literal(pattern) ~ ", ['" ~ names | join("', '") ~ "'])" -%}
    {%- set groups = {} -%}
    {%- for name in names -%}{%- do groups.update({name: matched ~ "." ~ name}) -%}{%- endfor -%}
    {{ return(groups) }}
{%- endmacro %}

{% macro spark__regex_groups(value, pattern, names) -%}
    {%- set groups = {} -%}
    {%- for name in names -%}
        {%- do groups.update({name: regex_extract(value, pattern, loop.index)}) -%}
    {%- endfor -%}
    {{ return(groups) }}
{%- endmacro %}

{#- Replace matches. With flags 'g' every match, without it the first; 'i' ignores case.
    Spark always replaces every match, so a pattern without 'g' must be anchored (^ or $),
    where first and every are the same: anything else fails to compile. `replacement`
    refers to groups as \1 (Spark's form, $1, is made here). -#}
{% macro regex_replace(value, pattern, replacement, flags='') -%}
    {%- if 'g' not in flags and not (pattern.startswith('^') or pattern.endswith('$')) -%}
        {{ exceptions.raise_compiler_error(
            "regex_replace without 'g' needs an anchored pattern (^ or $): " ~ pattern) }}
    {%- endif -%}
    {{ return(adapter.dispatch('regex_replace', 'tepat')(value, pattern, replacement, flags)) }}
{%- endmacro %}

{% macro default__regex_replace(value, pattern, replacement, flags) -%}
    regexp_replace({{ value }}, {{ _pattern_literal(pattern) }}, {{ _pattern_literal(replacement) }}
        {%- if flags %}, '{{ flags }}'{% endif %})
{%- endmacro %}

{% macro spark__regex_replace(value, pattern, replacement, flags) -%}
    {%- set java_pattern = ('(?i)' if 'i' in flags else '') ~ pattern -%}
    {%- set java_replacement = modules.re.sub('\\\\([0-9])', '$\\1', replacement) -%}
    regexp_replace({{ value }}, {{ _pattern_literal(java_pattern) }}, {{ _pattern_literal(java_replacement) }})
{%- endmacro %}

{#- Letters without their accents (`é` → `e`), for comparing names. DuckDB decomposes the
    Unicode; Spark has no such function, so its form maps the Latin letters with diacritics
    (Latin-1 and Latin Extended-A, what Indonesian names carry) to their base letter. -#}
{% macro strip_accents(value) -%}
    {{ return(adapter.dispatch('strip_accents', 'tepat')(value)) }}
{%- endmacro %}

{% macro default__strip_accents(value) -%}
    strip_accents({{ value }})
{%- endmacro %}

{% macro spark__strip_accents(value) -%}
    translate({{ value }},
        'ÀÁÂÃÄÅàáâãäåĀāĂăĄąÇçĆćĈĉĊċČčĎďÈÉÊËèéêëĒēĔĕĖėĘęĚěĜĝĞğĠġĢģĤĥÌÍÎÏìíîïĨĩĪīĬĭĮįİĴĵĶķĹĺĻļĽľÑñŃńŅņŇňÒÓÔÕÖòóôõöŌōŎŏŐőŔŕŖŗŘřŚśŜŝŞşŠšŢţŤťÙÚÛÜùúûüŨũŪūŬŭŮůŰűŲųŴŵÝýÿŶŷŸŹźŻżŽž',
        'AAAAAAaaaaaaAaAaAaCcCcCcCcCcDdEEEEeeeeEeEeEeEeEeGgGgGgGgHhIIIIiiiiIiIiIiIiIJjKkLlLlLlNnNnNnNnOOOOOoooooOoOoOoRrRrRrSsSsSsSsTtTtUUUUuuuuUuUuUuUuUuUuWwYyyYyYZzZzZz')
{%- endmacro %}

{#- Integer division (7, 2 → 3). -#}
{% macro int_div(dividend, divisor) -%}
    {{ return(adapter.dispatch('int_div', 'tepat')(dividend, divisor)) }}
{%- endmacro %}

{% macro default__int_div(dividend, divisor) -%}
    ({{ dividend }} // {{ divisor }})
{%- endmacro %}

{% macro spark__int_div(dividend, divisor) -%}
    ({{ dividend }} div {{ divisor }})
{%- endmacro %}

{#- Every column but these: `select {{ star_except(['a', 'b']) }} from …`. -#}
{% macro star_except(columns) -%}
    {{ return(adapter.dispatch('star_except', 'tepat')(columns)) }}
{%- endmacro %}

{% macro default__star_except(columns) -%}
    * exclude ({{ columns | join(', ') }})
{%- endmacro %}

{% macro spark__star_except(columns) -%}
    * except ({{ columns | join(', ') }})
{%- endmacro %}

{#-
  The group's texts joined with `separator` in the order of `order_by` (a list of
  expressions, ascending: negate a number for descending; ties in the order of the texts,
  so the result never depends on the engine's row order), nulls left out; null when there
  is none. With distinct=true each text once, in its own order. dbt.listagg is not used:
  dbt-spark's ignores its order.
-#}
{% macro string_agg_ordered(expression, separator, order_by=none, distinct=false) -%}
    {{ return(adapter.dispatch('string_agg_ordered', 'tepat')(expression, separator, order_by, distinct)) }}
{%- endmacro %}

{% macro default__string_agg_ordered(expression, separator, order_by, distinct) -%}
    {%- if distinct -%}
        string_agg(distinct {{ expression }}, {{ separator }} order by {{ expression }})
    {%- else -%}
        string_agg({{ expression }}, {{ separator }} order by {{ (order_by + [expression]) | join(', ') }})
    {%- endif -%}
{%- endmacro %}

{% macro spark__string_agg_ordered(expression, separator, order_by, distinct) -%}
    {%- if distinct -%}
        (case when count({{ expression }}) > 0
            then array_join(array_sort(collect_set({{ expression }})), {{ separator }}) end)
    {%- else -%}
        {%- set keys = [] -%}
        {%- for key in order_by -%}{%- do keys.append(key ~ ' as k' ~ loop.index) -%}{%- endfor -%}
        (case when count({{ expression }}) > 0
            then array_join(transform(array_sort(collect_list(
                case when {{ expression }} is not null
                    then struct({{ keys | join(', ') }}, {{ expression }} as v) end)), s -> s.v),
                {{ separator }}) end)
    {%- endif -%}
{%- endmacro %}
