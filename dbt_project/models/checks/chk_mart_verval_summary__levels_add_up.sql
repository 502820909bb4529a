{{ levels_add_up(
    ref('mart_verval_summary'),
    keys=['tahun', 'kode_alasan'],
    measures=['jumlah_kasus']
) }}
