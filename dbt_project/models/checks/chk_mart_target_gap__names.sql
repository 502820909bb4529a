{{ registry_names_in(ref('mart_target_gap')) }}
