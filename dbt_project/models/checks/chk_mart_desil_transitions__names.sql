{{ registry_names_in(ref('mart_desil_transitions')) }}
