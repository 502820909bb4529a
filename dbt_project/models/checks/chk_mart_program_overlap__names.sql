{{ registry_names_in(ref('mart_program_overlap')) }}
