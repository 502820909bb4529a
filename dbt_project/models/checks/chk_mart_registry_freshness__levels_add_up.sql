{{ levels_add_up(
    ref('mart_registry_freshness'),
    keys=['tanggal_snapshot'],
    measures=['keluarga_tidak_mutakhir']
) }}
