{{ levels_add_up(ref('mart_program_overlap'), keys=['tahun'], measures=['keluarga_desil_1_5']) }}
