{{ published_row_text(ref('mart_verval_summary')) }}
