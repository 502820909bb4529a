"""Planners' exports (issue 6): the RPJMD/RPD evaluation table and the programme coverage
table, as .xlsx workbooks (xlsxwriter) or CSV, read only from the published Parquet marts.

- `cli.py`: `tepat export rpjmd` and `tepat export cakupan` (the typer sub-app `export_app`).
- `rpjmd.py`, `cakupan.py`: `load_*` read the marts into a report, `write_*_xlsx` and
  `write_*_csv` turn a report into a file, so each half can be used and tested on its own.
- `common.py`: reading a published release, region codes, the source line, cell formats,
  errors (`ExportError`), atomic file writes.

Nothing is imported here, so that `tepat --help` does not pay for DuckDB and xlsxwriter.
"""
