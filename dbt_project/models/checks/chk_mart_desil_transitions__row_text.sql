{{ published_row_text(ref('mart_desil_transitions')) }}
