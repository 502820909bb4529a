-- Labels and eligibility rules of every programme in referensi/program.csv.
select
    kode_program,
    nama_program,
    kode_opd,
    nama_opd,
    sumber_dana,
    unit_sasaran,
    desil_min,
    desil_max,
    usia_min,
    usia_max

from {{ ref('stg_referensi__program') }}
