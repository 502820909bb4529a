{{ levels_add_up(
    ref('mart_program_coverage'),
    keys=['kode_program', 'tahun', 'tahap'],
    measures=['penerima', 'sasaran_layak']
) }}
