-- Per raw file: rows loaded, accepted and quarantined, the reasons, and whether the
-- quarantined share is above the file's threshold (expectations/thresholds.yml).
-- Registry files above it block the run: its test fails, and every model that reads the
-- valid rows (the *_valid models depend on this one) is skipped, so nothing new is
-- published. Rosters and BPS files are held back instead (DESIGN §4): whether one is
-- is decided once, by the loader and the raw table's GE gate (meta.held_back_files, read
-- here through file_ditahan), not computed again here; is_ditahan says so.
{% set checked = [
    ('dtsen_keluarga', 'int_dtsen_households_checked'),
    ('dtsen_anggota', 'int_dtsen_members_checked'),
    ('roster_rows', 'int_roster_rows_checked'),
    ('bps_indicators', 'int_bps_indicators_checked'),
    ('dtsen_desil_agregat', 'int_desil_agregat_checked'),
] %}

with

per_reason as (

    {% for table_name, model in checked %}
    select
        '{{ table_name }}' as tabel,
        _source_file as file_sumber,
        alasan_karantina as alasan,
        count(*) as jumlah,
        {% if table_name == 'roster_rows' -%}
        count(*) filter (where is_nik_dipulihkan) as jumlah_nik_dipulihkan,
        {%- else -%}
        0 as jumlah_nik_dipulihkan,
        {%- endif %}
        {{ quarantine_threshold(table_name) }} as ambang

    from {{ ref(model) }}
    group by _source_file, alasan_karantina
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

per_file as (

    select
        tabel,
        file_sumber,
        sum(jumlah) as jumlah_baris,
        sum(jumlah) filter (where alasan is null) as baris_diterima,
        coalesce(sum(jumlah) filter (where alasan is not null), 0) as baris_dikarantina,
        -- accepted rows (alasan null) drop out: a null text is not joined
        {{ string_agg_ordered("alasan || ': ' || jumlah", "'; '", ['-jumlah', 'alasan']) }}
            as rincian_alasan,
        sum(jumlah_nik_dipulihkan) as baris_nik_dipulihkan,
        any_value(ambang) as ambang

    from per_reason
    group by tabel, file_sumber

)

select
    tabel,
    file_sumber,
    cast(jumlah_baris as bigint) as jumlah_baris,
    cast(coalesce(baris_diterima, 0) as bigint) as baris_diterima,
    cast(baris_dikarantina as bigint) as baris_dikarantina,
    100e0 * baris_dikarantina / jumlah_baris as persen_dikarantina,
    100e0 * ambang as ambang_persen,
    case
        when tabel in {{ held_back_tables() }}
            then per_file.file_sumber in (select file_sumber from {{ ref('file_ditahan') }})
        else baris_dikarantina > jumlah_baris * ambang
            and baris_dikarantina >= {{ quarantine_min_bad_rows() }}
    end as is_melebihi_ambang,
    tabel in {{ held_back_tables() }}
        and per_file.file_sumber in (select file_sumber from {{ ref('file_ditahan') }})
        as is_ditahan,
    rincian_alasan,
    cast(baris_nik_dipulihkan as bigint) as baris_nik_dipulihkan

from per_file
