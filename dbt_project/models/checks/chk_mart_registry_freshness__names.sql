{{ registry_names_in(ref('mart_registry_freshness')) }}
