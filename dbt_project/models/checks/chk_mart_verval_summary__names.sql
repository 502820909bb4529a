{{ registry_names_in(ref('mart_verval_summary'), name_sources=[ref('stg_rosters__rows')]) }}
