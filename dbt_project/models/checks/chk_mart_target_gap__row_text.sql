{{ published_row_text(ref('mart_target_gap')) }}
