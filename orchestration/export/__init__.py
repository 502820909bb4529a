"""Planners' exports (issue 6): the RPJMD/RPD evaluation table and the programme coverage
table, as .xlsx workbooks (xlsxwriter) or CSV, read only from the published Parquet marts.

Each report is a model and its layouts; a layout reads a model, never the other way round,
so a rule changes in one place and a new format reuses the model:

- `rpjmd.py`, `cakupan.py`: the models. `load_*` read the marts into a report: its rows,
  labels, status words, notes and source line, independent of any file format.
- `rpjmd_xlsx.py`, `cakupan_xlsx.py`: the workbooks (`write_*_xlsx`); `rpjmd_csv.py`,
  `cakupan_csv.py`: the CSV tables (`write_*_csv`).
- `common.py`: what the models share (reading a published release, region codes, dates and
  local times, the release phrase, `ExportError`); `layout.py`: what the layouts share
  (atomic file writes, CSV cells, workbook formats, widths, notes, the print layout).
- `cli.py`: `tepat export rpjmd` and `tepat export cakupan` (the typer sub-app `export_app`).

Nothing is imported here, so that `tepat --help` does not pay for DuckDB and xlsxwriter.
"""
