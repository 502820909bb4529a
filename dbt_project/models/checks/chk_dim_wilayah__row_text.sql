{{ published_row_text(ref('dim_wilayah')) }}
