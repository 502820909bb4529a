{{ registry_names_in(ref('dim_wilayah')) }}
