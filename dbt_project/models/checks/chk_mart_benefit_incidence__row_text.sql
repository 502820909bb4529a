{{ published_row_text(ref('mart_benefit_incidence')) }}
