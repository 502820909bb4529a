{{ registry_names_in(ref('mart_benefit_incidence')) }}
