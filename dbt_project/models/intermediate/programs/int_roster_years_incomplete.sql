-- DESIGN §4: a held-back roster file leaves its year's programme counts incomplete. The
-- marts that count programmes per household and year (overlap, overlap pairs) join this.
select
    tahun,
    {{ string_agg_ordered('catatan_kelengkapan', "' '", ['kode_program', 'tahap']) }} as catatan_kelengkapan

from {{ ref('int_roster_periods_incomplete') }}
group by tahun
