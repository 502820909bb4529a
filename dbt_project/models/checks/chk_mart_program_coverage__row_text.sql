{{ published_row_text(ref('mart_program_coverage')) }}
