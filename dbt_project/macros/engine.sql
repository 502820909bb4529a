{#-
  What differs between the engines tepat runs on (DuckDB, the default, and Apache Spark for
  national scale: DESIGN §6). Each macro has one form per engine through adapter.dispatch;
  models call the macro and are written once.
-#}

{#- Spark: the raw tables arrive as Parquet (orchestration/engines.py writes them from the
    loader's tables); register each dbt source over its folder (`dbt run-operation register_raw_sources`, run by the hand-over step before every build). DuckDB reads
    the loader's tables directly: nothing to do. -#}
{% macro register_raw_sources() %}
    {{ return(adapter.dispatch('register_raw_sources', 'tepat')()) }}
{% endmacro %}

{% macro default__register_raw_sources() %}
    {{ return('') }}
{% endmacro %}

{% macro spark__register_raw_sources() %}
    {%- if execute -%}
        {%- set root = env_var('TEPAT_SPARK_HANDOFF') -%}
        {%- for source in graph.sources.values() -%}
            {%- set relation = source.schema ~ '.' ~ source.identifier -%}
            {%- do run_query('create database if not exists ' ~ source.schema) -%}
            {%- do run_query('drop table if exists ' ~ relation) -%}
            {%- do run_query(
                'create table ' ~ relation ~ " using parquet location '"
                ~ root ~ '/' ~ source.schema ~ '/' ~ source.identifier ~ "'"
            ) -%}
        {%- endfor -%}
    {%- endif -%}
    {{ return('') }}
{% endmacro %}
