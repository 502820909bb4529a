{{ levels_add_up(
    ref('mart_desil_distribution'),
    keys=['tanggal_snapshot', 'kategori_desil'],
    measures=['jumlah_keluarga']
) }}
