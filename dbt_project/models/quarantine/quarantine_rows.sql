-- Every raw row kept out of the marts: which table and file, which row, which column, its
-- value (NIK-like values masked in any column, DESIGN §5) and why. Nothing is dropped
-- silently: rows here plus the rows the marts count equal the rows loaded.
{% set checked = [
    ('dtsen_keluarga', 'int_dtsen_households_checked'),
    ('dtsen_anggota', 'int_dtsen_members_checked'),
    ('roster_rows', 'int_roster_rows_checked'),
    ('bps_indicators', 'int_bps_indicators_checked'),
    ('dtsen_desil_agregat', 'int_desil_agregat_checked'),
    ('referensi_target_rpjmd', 'int_target_rpjmd_checked'),
] %}

{% for table_name, model in checked %}
select
    '{{ table_name }}' as tabel,
    _source_file as file_sumber,
    {% if table_name in ('roster_rows', 'dtsen_desil_agregat') %}_sheet{% else %}cast(null as string){% endif %} as lembar,
    _row_number as nomor_baris,
    kolom_karantina as kolom,
    {{ mask_nik_like('nilai_karantina') }} as nilai,
    alasan_karantina as alasan

from {{ ref(model) }}
where alasan_karantina is not null
{% if not loop.last %}union all{% endif %}
{% endfor %}
