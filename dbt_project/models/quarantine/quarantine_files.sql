-- Per raw file: rows loaded, accepted and quarantined, the reasons, and whether the
-- quarantined share is above the file's threshold (expectations/thresholds.yml).
-- Registry files above it block the run: the test of int_registry_files_checked (the same
-- rows for the registry's tables) fails, and every model that reads the valid rows (the
-- registry's *_valid models depend on that one) is skipped, so nothing new is published.
-- Rosters and BPS files are held back instead (DESIGN §4): whether one is is decided once, by the loader and the raw table's GE gate (meta.held_back_files, read
-- here through file_ditahan), not computed again here; is_ditahan says so.
{% set checked = [
    ('dtsen_keluarga', 'int_dtsen_households_checked'),
    ('dtsen_anggota', 'int_dtsen_members_checked'),
    ('roster_rows', 'int_roster_rows_checked'),
    ('bps_indicators', 'int_bps_indicators_checked'),
    ('dtsen_desil_agregat', 'int_desil_agregat_checked'),
] %}

{{ quarantine_per_file(checked) }}
