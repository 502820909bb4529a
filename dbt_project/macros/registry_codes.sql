{#-
  Registry codes written as words in the layouts local governments hold (DESIGN §2.2): P3KE
  writes `Kepala Keluarga`, `Laki-laki`; the tidy form writes 1. A digit passes through, a
  known word becomes its code, anything else is null (and is quarantined where it matters).
  Words are compared on their letters only (`Istri/Suami` = `istrisuami`).
-#}
{% macro _letters(column) -%}
    {{ regex_replace('lower(trim(' ~ column ~ '))', '[^a-z]', '', 'g') }}
{%- endmacro %}

{% macro kode_hubungan(column) -%}
    coalesce(
        try_cast(nullif(trim({{ column }}), '') as integer),
        case {{ _letters(column) }}
            when 'kepalakeluarga' then 1
            when 'kepalarumahtangga' then 1
            when 'istrisuami' then 2
            when 'suamiistri' then 2
            when 'istri' then 2
            when 'suami' then 2
            when 'anak' then 3
            when 'menantu' then 4
            when 'cucu' then 5
            when 'orangtuamertua' then 6
            when 'orangtua' then 6
            when 'mertua' then 6
            when 'famililain' then 7
            when 'famililainnya' then 7
            when 'lainnya' then 8
            when 'pembanturumahtangga' then 8
        end
    )
{%- endmacro %}

{% macro kode_jenis_kelamin(column) -%}
    coalesce(
        try_cast(nullif(trim({{ column }}), '') as integer),
        case {{ _letters(column) }}
            when 'lakilaki' then 1
            when 'l' then 1
            when 'pria' then 1
            when 'perempuan' then 2
            when 'p' then 2
            when 'wanita' then 2
        end
    )
{%- endmacro %}

{#- A desa name compared with another: case, spaces, punctuation and a `Desa`/`Kelurahan`
    prefix do not matter (`KEL. NAIKOTEN I` = `Naikoten I`). -#}
{% macro nama_desa_key(column) -%}
    {{ regex_replace(
        regex_replace('lower(trim(' ~ column ~ '))', '^(desa|kelurahan|kel|ds)[.\s]+', ''),
        '[^a-z0-9]', '', 'g'
    ) }}
{%- endmacro %}
