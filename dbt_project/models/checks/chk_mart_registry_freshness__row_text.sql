{{ published_row_text(ref('mart_registry_freshness')) }}
