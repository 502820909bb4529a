"""Run a suite of expectations/ against the warehouse with Great Expectations.

Memory stays bounded: every batch is read through a read-only DuckDB connection as Arrow
record batches of at most `chunk_rows` rows, and each chunk is validated on its own; the
results of a file's chunks are then merged (counts add up, `mostly` is decided on the
totals). Validation results go to the GX project under data/quality/, whose Data Docs
show what was checked.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from orchestration.quality.suites import Suite, threshold_for

CHUNK_ROWS = 250_000
_LONG_DIGITS = re.compile(r"[0-9]{15,}")


def mask_value(value: Any) -> str:
    """Examples in messages never show a NIK or KK number: long digit runs are masked."""
    text = str(value)
    return _LONG_DIGITS.sub(
        lambda m: m.group()[:4] + "*" * (len(m.group()) - 8) + m.group()[-4:], text
    )


@dataclass
class Finding:
    """One expectation on one batch (and file): what was checked and what was found."""

    suite: str
    batch: str
    file: str | None
    expectation: str
    column: str | None
    success: bool
    element_count: int = 0
    unexpected_count: int = 0
    missing_count: int = 0
    observed: Any = None
    examples: list[str] = field(default_factory=list)
    why: str = ""
    what_to_do: str = ""
    mostly: float | None = None
    #: a quarantine rule never fails a file with fewer bad rows than this
    min_bad_rows: int = 0

    def sentence(self) -> str:
        where = f"file {self.file}" if self.file else f"batch '{self.batch}'"
        target = f" on column '{self.column}'" if self.column else ""
        text = f"{where}: {self.expectation}{target} failed"
        if self.unexpected_count:
            checked = self.element_count - self.missing_count
            share = 100.0 * self.unexpected_count / checked if checked else 0.0
            text += f" for {self.unexpected_count:,} of {checked:,} rows ({share:.1f} %)"
            if self.mostly is not None:
                text += f", more than the {100 * (1 - self.mostly):.1f} % allowed"
        elif self.observed is not None:
            text += f" (found: {mask_value(self.observed)})"
        text += "."
        if self.examples:
            text += " Examples: " + ", ".join(self.examples[:5]) + "."
        if self.why:
            text += f" Why it matters: {self.why}"
        if self.what_to_do:
            text += f" What to do: {self.what_to_do}"
        return text


@dataclass
class SuiteOutcome:
    suite: Suite
    findings: list[Finding]
    seconds: float
    rows_checked: int

    @property
    def success(self) -> bool:
        return all(f.success for f in self.findings)

    @property
    def failures(self) -> list[Finding]:
        return [f for f in self.findings if not f.success]

    def report(self) -> str:
        if self.success:
            return f"{self.suite.check_name}: all {len(self.findings)} expectations passed."
        lines = [f"{self.suite.check_name} failed ({len(self.failures)} of {len(self.findings)}):"]
        lines += [f"- {finding.sentence()}" for finding in self.failures[:20]]
        if len(self.failures) > 20:
            lines.append(f"- … and {len(self.failures) - 20} more (see `tepat check`).")
        return "\n".join(lines)


class QualityProject:
    """The GX file project under data/quality/: suites, results and Data Docs."""

    def __init__(self, quality_dir: Path) -> None:
        import great_expectations as gx
        from great_expectations.data_context.types.base import ProgressBarsConfig

        quality_dir.mkdir(parents=True, exist_ok=True)
        self._gx = gx
        self.context = gx.get_context(mode="file", project_root_dir=str(quality_dir))
        if self.context.variables.progress_bars != ProgressBarsConfig(globally=False):
            self.context.variables.progress_bars = ProgressBarsConfig(globally=False)
            self.context.variables.save()
        self.source = self.context.data_sources.add_or_update_pandas("tepat")
        self._definitions: dict[str, Any] = {}

    def definition(self, name: str, expectations: list[dict[str, Any]]):
        """A validation definition for one batch of a suite (created once per run)."""
        if name in self._definitions:
            return self._definitions[name]
        try:
            asset = self.source.get_asset(name)
        except LookupError:
            asset = self.source.add_dataframe_asset(name)
        try:
            batch_definition = asset.get_batch_definition("chunk")
        except KeyError:
            batch_definition = asset.add_batch_definition_whole_dataframe("chunk")
        suite = self.context.suites.add_or_update(
            self._gx.ExpectationSuite(name=name, expectations=expectations)
        )
        definition = self.context.validation_definitions.add_or_update(
            self._gx.ValidationDefinition(name=name, data=batch_definition, suite=suite)
        )
        self._definitions[name] = definition
        return definition

    def build_docs(self) -> Path:
        self.context.build_data_docs()
        return Path(self.context.root_directory) / "uncommitted" / "data_docs" / "local_site"


def _chunks(con: duckdb.DuckDBPyConnection, query: str, params: list[Any], rows: int):
    reader = con.sql(query, params=params or None).to_arrow_reader(rows)
    produced = False
    for batch in reader:
        produced = True
        yield batch.to_pandas()
    if not produced:
        yield reader.schema.empty_table().to_pandas()


def _examples_from_frame(frame: pd.DataFrame, config: dict[str, Any], column: str) -> list[str]:
    """The raw values behind a failed flag: rows whose checked column is not in its set."""
    checked = config["kwargs"].get("column")
    allowed = config["kwargs"].get("value_set")
    if column not in frame.columns or checked not in frame.columns or allowed is None:
        return []
    bad = frame.loc[~frame[checked].isin(allowed), column].head(5)
    return [mask_value(value) for value in bad.tolist()]


def _merge(findings: list[Finding], result, template: Finding, examples: list[str]) -> Finding:
    """Fold one chunk's GX result into the running finding for its expectation."""
    found = findings[0] if findings else template
    details = result.result or {}
    for value in examples:
        if len(found.examples) < 5:
            found.examples.append(value)
    found.element_count += int(details.get("element_count") or 0)
    found.unexpected_count += int(details.get("unexpected_count") or 0)
    found.missing_count += int(details.get("missing_count") or 0)
    if "observed_value" in details:
        found.observed = details["observed_value"]
    for value in details.get("partial_unexpected_list") or []:
        if len(found.examples) < 5 and not examples:
            found.examples.append(mask_value(value))
    if found.mostly is None:
        found.success = found.success and bool(result.success)
    else:
        checked = found.element_count - found.missing_count
        within = found.unexpected_count <= checked * (1 - found.mostly) + 1e-9
        found.success = not checked or within or found.unexpected_count < found.min_bad_rows
    return found


def run_suite(
    suite: Suite,
    warehouse: Path | str,
    project: QualityProject,
    thresholds: dict[str, Any],
    run_name: str,
    chunk_rows: int = CHUNK_ROWS,
) -> SuiteOutcome:
    from great_expectations.core.run_identifier import RunIdentifier

    started = time.perf_counter()
    run_id = RunIdentifier(run_name=run_name, run_time=dt.datetime.now(dt.UTC))
    findings: list[Finding] = []
    rows_checked = 0
    with duckdb.connect(str(warehouse), read_only=True) as con:
        for batch_name, batch in suite.batches.items():
            expectations = [e for e in suite.expectations if e["meta"]["batch"] == batch_name]
            if not expectations:
                continue
            query = batch["query"]
            if batch.get("per_file"):
                files = [
                    row[0]
                    for row in con.execute(
                        f"select distinct _source_file from ({query}) order by 1"
                    ).fetchall()
                ]
                targets = [
                    (file, f"select * from ({query}) where _source_file = ?", [file])
                    for file in files
                ]
            else:
                targets = [(None, query, [])]
            for file, sql, params in targets:
                configured = []
                for expectation in expectations:
                    config = {k: v for k, v in expectation.items() if k != "meta"}
                    config["kwargs"] = dict(expectation["kwargs"])
                    if expectation["meta"].get("quarantine_rule"):
                        share = threshold_for(thresholds, suite.table, file)
                        config["kwargs"]["mostly"] = round(1 - share, 6)
                    config["meta"] = {"why": expectation["meta"].get("why", "")}
                    configured.append(config)
                mostly_key = "_".join(
                    str(c["kwargs"].get("mostly", ""))
                    for c in configured
                    if "mostly" in c["kwargs"]
                )
                name = f"{suite.name}__{batch_name}" + (f"__m{mostly_key}" if mostly_key else "")
                definition = project.definition(name, configured)
                ids = [expectation.id for expectation in definition.suite.expectations]
                if [e.expectation_type for e in definition.suite.expectations] != [
                    c["type"] for c in configured
                ]:
                    raise RuntimeError(f"{name}: the stored suite does not match {suite.path}")
                running: list[list[Finding]] = [[] for _ in configured]
                for frame in _chunks(con, sql, params, chunk_rows):
                    rows_checked += len(frame)
                    if "_source_file" in frame.columns:
                        frame = frame.drop(columns="_source_file")
                    result = definition.run(batch_parameters={"dataframe": frame}, run_id=run_id)
                    # GX does not keep the suite's order: find each result by expectation id.
                    by_id = {r.expectation_config.id: r for r in result.results}
                    for index, (config, expectation) in enumerate(
                        zip(configured, expectations, strict=True)
                    ):
                        template = Finding(
                            suite=suite.name,
                            batch=batch_name,
                            file=file,
                            expectation=config["type"],
                            column=config["kwargs"].get("column"),
                            success=True,
                            why=expectation["meta"].get("why", ""),
                            what_to_do=expectation["meta"].get("what_to_do", ""),
                            mostly=config["kwargs"].get("mostly"),
                            min_bad_rows=int(thresholds.get("min_bad_rows", 0))
                            if expectation["meta"].get("quarantine_rule")
                            else 0,
                        )
                        outcome = by_id[ids[index]]
                        example_column = expectation["meta"].get("example_column")
                        bad_rows = (outcome.result or {}).get("unexpected_count") or 0
                        examples = (
                            _examples_from_frame(frame, config, example_column)
                            if example_column and bad_rows
                            else []
                        )
                        if config["type"] == "expect_table_row_count_to_equal" and len(frame):
                            # The rows themselves are the examples (duplicate keys, empty files).
                            examples = [
                                mask_value("; ".join(f"{k}={v}" for k, v in row.items()))
                                for row in frame.head(5).to_dict("records")
                            ]
                        merged = _merge(running[index], outcome, template, examples)
                        running[index] = [merged]
                findings += [entry[0] for entry in running if entry]
    return SuiteOutcome(suite, findings, time.perf_counter() - started, rows_checked)


def frame_of_findings(outcome: SuiteOutcome, run_id: str) -> pd.DataFrame:
    """One row per finding, for meta.check_results (the check history)."""
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    return pd.DataFrame(
        [
            {
                "run_id": run_id,
                "checked_at": now,
                "kind": "great_expectations",
                "check_name": outcome.suite.check_name,
                "asset": "/".join(outcome.suite.asset),
                "file": f.file,
                "batch": f.batch,
                "expectation": f.expectation,
                "column_name": f.column,
                "success": f.success,
                "element_count": f.element_count,
                "unexpected_count": f.unexpected_count,
                "message": None if f.success else f.sentence(),
            }
            for f in outcome.findings
        ]
    )
