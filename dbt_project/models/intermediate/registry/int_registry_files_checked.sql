-- quarantine.quarantine_files' rows for the registry's files, and the test that stops the
-- build when one is above its quarantine threshold (DESIGN §4): the registry's *_valid
-- models wait for it. Kept apart from quarantine_files, which every raw file feeds, so
-- that a night with a new roster keeps the registry's models (DESIGN §6.2).
{% set checked = [
    ('dtsen_keluarga', 'int_dtsen_households_checked'),
    ('dtsen_anggota', 'int_dtsen_members_checked'),
    ('dtsen_desil_agregat', 'int_desil_agregat_checked'),
] %}

{{ quarantine_per_file(checked) }}
