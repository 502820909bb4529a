"""Run a suite of expectations/ against the warehouse with Great Expectations.

A per-file batch of row rules (every raw suite's) is counted by DuckDB itself: one
aggregate per batch, and GX validates the counts per file (`_Validation.per_file_in_sql`,
issue 20). Every other batch is read through a read-only DuckDB connection as Arrow record
batches of at most `chunk_rows` rows, so memory stays bounded, and each chunk is validated
by GX on its own; the results of a file's chunks are then merged (counts add up, `mostly`
is decided on the totals). Validation results go to the GX project under data/quality/,
whose Data Docs show what was checked. No value from a file reaches a message or a stored
result unmasked (DESIGN §5): examples and observed values go through
orchestration/privacy.py, and each validation result is masked before GX stores it
(`QualityProject`).
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
from pydantic import v1 as pydantic_v1

from orchestration.privacy import mask_json, mask_nik, mask_text
from orchestration.quality.suites import Suite, threshold_for
from orchestration.resources import warehouse_connection

CHUNK_ROWS = 250_000
#: Validation results kept per batch in the GX project: its last runs (a week of nights).
KEEP_RUNS = 7
#: In the GX project once its results stored before masking (DESIGN §5) are masked.
MASKED_MARKER = ".results_masked"
#: The GX data asset every batch is validated as (`QualityProject.batch_definition`).
BATCH_ASSET = "rows"
#: Columns whose every value is a NIK or KK number: their examples are masked whole.
PERSONAL_NUMBER_COLUMNS = frozenset({"nik", "no_kk"})


def mask_example(value: Any, column: str | None) -> str:
    """An example value of `column` as a message may show it (DESIGN §5)."""
    if column in PERSONAL_NUMBER_COLUMNS and isinstance(value, str) and value:
        return mask_nik(value)
    return mask_text(value)


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
            text += f" (found: {mask_text(self.observed)})"
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
        """No failure blocks: failures of files that are held back do not (DESIGN §4)."""
        return not self.blocking_failures

    @property
    def failures(self) -> list[Finding]:
        return [f for f in self.findings if not f.success]

    @property
    def blocking_failures(self) -> list[Finding]:
        held = self.held_back
        return [f for f in self.failures if f.file not in held]

    @property
    def held_back(self) -> dict[str, list[Finding]]:
        """Files held back whole, with their failed findings: in a suite that holds back
        files (rosters, BPS), every file that fails a per-file expectation."""
        if not self.suite.holds_back_files:
            return {}
        held: dict[str, list[Finding]] = {}
        for finding in self.failures:
            if finding.file is not None:
                held.setdefault(finding.file, []).append(finding)
        return held

    def report(self) -> str:
        held = self.held_back
        blocking = self.blocking_failures
        if not self.failures:
            return f"{self.suite.check_name}: all {len(self.findings)} expectations passed."
        if blocking:
            lines = [f"{self.suite.check_name} failed ({len(blocking)} of {len(self.findings)}):"]
            lines += [f"- {finding.sentence()}" for finding in blocking[:20]]
            if len(blocking) > 20:
                lines.append(f"- … and {len(blocking) - 20} more (see `tepat check`).")
        else:
            lines = [f"{self.suite.check_name} passed for every file it does not hold back."]
        if held:
            lines.append(
                f"{len(held)} file(s) held back (none of their rows are used; the night goes "
                "on without them, DESIGN §4):"
            )
            for findings in list(held.values())[:20]:
                lines += [f"- {finding.sentence()}" for finding in findings[:3]]
            if len(held) > 20:
                lines.append(f"- … and {len(held) - 20} more files (see `tepat check`).")
        return "\n".join(lines)


class QualityProject:
    """The GX file project under data/quality/: suites, results and Data Docs."""

    def __init__(self, quality_dir: Path, keep_runs: int = KEEP_RUNS) -> None:
        import great_expectations as gx
        from great_expectations.data_context.types.base import ProgressBarsConfig

        quality_dir.mkdir(parents=True, exist_ok=True)
        self._gx = gx
        self.context = gx.get_context(mode="file", project_root_dir=str(quality_dir))
        variables = self.context.variables
        if (
            variables.progress_bars != ProgressBarsConfig(globally=False)
            or variables.config_variables_file_path
        ):
            variables.progress_bars = ProgressBarsConfig(globally=False)
            # tepat substitutes no config variable, and GX parses that file (a page of
            # comments) again each time it reads a store's name: ≈ 1,000 times a night.
            variables.config_variables_file_path = None
            variables.save()
            # The providers of configuration are chosen when a context opens.
            self.context = gx.get_context(mode="file", project_root_dir=str(quality_dir))
        self.source = self.context.data_sources.add_or_update_pandas("tepat")
        _mask_before_storing(self.context.validation_results_store)
        self._definitions: dict[str, Any] = {}
        self._batch_definition = None
        self.keep_runs = keep_runs
        self.mask_earlier_results()

    def mask_earlier_results(self) -> int:
        """Once per project: mask the results stored before results were masked (DESIGN §5)
        and render their pages again. The first project to claim the marker file does it;
        returns how many results it changed."""
        marker = Path(self.context.root_directory) / MASKED_MARKER
        if marker.exists():
            return 0
        try:
            claim = marker.with_suffix(".claimed")
            claim.touch(exist_ok=False)
        except FileExistsError:
            return 0  # another process is doing it
        store = self.context.validation_results_store
        changed = []
        for key in store.list_keys():
            result = store.get(key)
            before = result.to_json_dict()
            mask_validation_result(result)
            if result.to_json_dict() != before:
                store.set(key, result)
                changed.append(key)
        if changed:
            self.context.build_data_docs(resource_identifiers=changed)
        claim.rename(marker)
        return len(changed)

    def definition(self, name: str, expectations: list[dict[str, Any]]):
        """A validation definition for one batch of a suite (created once per run)."""
        if name in self._definitions:
            return self._definitions[name]
        suite = self.context.suites.add_or_update(
            self._gx.ExpectationSuite(name=name, expectations=expectations)
        )
        definition = self._gx.ValidationDefinition(
            name=name, data=self.batch_definition, suite=suite
        )
        try:
            definition = self.context.validation_definitions.add_or_update(definition)
        except pydantic_v1.ValidationError:
            # Stored before all batches shared one data asset: it names an asset this
            # project no longer has, so GX cannot read it back. Replace it.
            store = self.context.validation_definition_store
            store.remove_key(store.get_key(name=name, id=None))
            definition = self.context.validation_definitions.add(definition)
        self._definitions[name] = definition
        return definition

    @property
    def batch_definition(self):
        """The one batch definition every validation reads: a chunk of rows as a dataframe.

        One data asset for all suites and batches, created once per project: GX rewrites
        the whole great_expectations.yml for every asset or batch definition it adds, which
        took most of a night's gate time when each batch of each suite had its own (issue
        20). The suite's name (`<suite>__<batch>`) says what a result is about."""
        if self._batch_definition is None:
            try:
                asset = self.source.get_asset(BATCH_ASSET)
            except LookupError:
                asset = self.source.add_dataframe_asset(BATCH_ASSET)
            try:
                self._batch_definition = asset.get_batch_definition("chunk")
            except KeyError:
                self._batch_definition = asset.add_batch_definition_whole_dataframe("chunk")
        return self._batch_definition

    @property
    def site(self) -> Path:
        return Path(self.context.root_directory) / "uncommitted" / "data_docs" / "local_site"

    def build_docs(self, suite: str | list[str] | None = None, run_name: str | None = None) -> Path:
        """Prune old results, then render the Data Docs.

        With `suite` (a suite's name, or several) and `run_name`: only those suites' pages
        of that run, and the index (a gate step refreshes what it wrote, at a cost bounded by
        `keep_runs`, not by the age of the project). Without: every page (`tepat docs` when
        the site is missing)."""
        self.prune()
        if suite is None:
            self.context.build_data_docs()
            return self.site
        names = [suite] if isinstance(suite, str) else list(suite)
        identifiers = [
            key
            for key in self.context.expectations_store.list_keys()
            if any(_of_suite(key.name, name) for name in names)
        ]
        identifiers += [
            key
            for key in self.context.validation_results_store.list_keys()
            if any(_of_suite(key.expectation_suite_identifier.name, name) for name in names)
            and key.run_id.run_name == run_name
        ]
        if identifiers:  # an empty list would mean "every page"
            self.context.build_data_docs(resource_identifiers=identifiers)
        return self.site

    def prune(self, keep_runs: int | None = None) -> int:
        """Forget the validation results of each batch older than its last `keep_runs` runs
        (their pages go with them when the index is rebuilt). meta.check_results in the
        warehouse keeps the whole history; this only bounds the Data Docs. Returns how many
        results were removed."""
        keep = self.keep_runs if keep_runs is None else keep_runs
        store = self.context.validation_results_store
        latest: dict[str, dict[str, str]] = {}
        keys = store.list_keys()
        for key in keys:
            runs = latest.setdefault(key.expectation_suite_identifier.name, {})
            run_id = key.run_id
            runs[run_id.run_name] = max(runs.get(run_id.run_name, ""), run_id.to_tuple()[1])
        kept = {
            (name, run)
            for name, runs in latest.items()
            for run in sorted(runs, key=runs.__getitem__, reverse=True)[:keep]
        }
        removed = 0
        for key in keys:
            if (key.expectation_suite_identifier.name, key.run_id.run_name) not in kept:
                store.remove_key(key)
                removed += 1
        return removed


def mask_validation_result(result) -> None:
    """Mask, in place, every value from a file in a GX suite validation result: the
    unexpected values, counts and observed values of each expectation's result and the
    text of any exception (DESIGN §5). The rest (suite, kwargs, meta) is tepat's own."""
    for outcome in result.results:
        outcome.result = mask_json(outcome.result or {})
        if outcome.exception_info:
            outcome.exception_info = mask_json(outcome.exception_info)


def _mask_before_storing(store) -> None:
    """Every validation result this project stores is masked first: `ValidationDefinition.run`
    validates and stores in one call, and the stored JSON feeds the Data Docs. The result
    `run` returns is the same object, so the runner reads masked values too."""
    if getattr(store, "_tepat_masks", False):
        return
    store_validation_results = store.store_validation_results

    def store_masked(suite_validation_result, *args, **kwargs):
        mask_validation_result(suite_validation_result)
        return store_validation_results(suite_validation_result, *args, **kwargs)

    store.store_validation_results = store_masked
    store._tepat_masks = True


def _of_suite(name: str, suite: str) -> bool:
    """Whether a GX suite or result name (`<suite>__<batch>[__m<mostly>]`) is of `suite`."""
    return name == suite or name.startswith(f"{suite}__")


def _chunks(con: duckdb.DuckDBPyConnection, query: str, params: list[Any], rows: int):
    reader = con.sql(query, params=params or None).to_arrow_reader(rows)
    produced = False
    for batch in reader:
        produced = True
        yield batch.to_pandas()
    if not produced:
        yield reader.schema.empty_table().to_pandas()


def _examples_from_frame(frame: pd.DataFrame, config: dict[str, Any], column: str) -> list[str]:
    """The values of `column` in the rows that failed: whose checked column is not in its
    set, or outside its bounds; distinct, at most five."""
    kwargs = config["kwargs"]
    checked, allowed = kwargs.get("column"), kwargs.get("value_set")
    low, high = kwargs.get("min_value"), kwargs.get("max_value")
    if column not in frame.columns or checked not in frame.columns:
        return []
    values = frame[checked]
    if allowed is not None:
        failed = ~values.isin(allowed)
    elif low is not None or high is not None:
        failed = pd.Series(False, index=frame.index)
        if low is not None:
            failed |= values < low  # a missing value compares false: it did not fail
        if high is not None:
            failed |= values > high
    else:
        return []
    bad = frame.loc[failed, column].drop_duplicates().head(5)
    return [mask_example(value, column) for value in bad.tolist()]


def _merge(findings: list[Finding], result, template: Finding, examples: list[str]) -> Finding:
    """Fold one chunk's GX result into the running finding for its expectation."""
    found = findings[0] if findings else template
    details = result.result or {}
    for value in examples:
        if len(found.examples) < 5 and value not in found.examples:
            found.examples.append(value)
    found.element_count += int(details.get("element_count") or 0)
    found.unexpected_count += int(details.get("unexpected_count") or 0)
    found.missing_count += int(details.get("missing_count") or 0)
    if "observed_value" in details:
        found.observed = details["observed_value"]
    for value in details.get("partial_unexpected_list") or []:
        if len(found.examples) < 5 and not examples:
            found.examples.append(mask_example(value, found.column))
    if found.mostly is None:
        found.success = found.success and bool(result.success)
    else:
        checked = found.element_count - found.missing_count
        allowed = allowed_bad_rows(checked, found.mostly, found.min_bad_rows)
        found.success = not checked or found.unexpected_count <= allowed
    return found


def allowed_bad_rows(checked: int, mostly: float | None, min_bad_rows: int = 0) -> int:
    """How many of `checked` rows may fail a rule: none without `mostly`; else the share
    `1 - mostly` of them, and always fewer than `min_bad_rows` (a quarantine rule)."""
    if mostly is None:
        return 0
    return max(int(checked * (1 - mostly) + 1e-9), min_bad_rows - 1)


def run_suite(
    suite: Suite,
    warehouse: Path | str,
    project: QualityProject,
    thresholds: dict[str, Any],
    run_name: str,
    chunk_rows: int = CHUNK_ROWS,
    count_in_sql: bool = True,
) -> SuiteOutcome:
    from great_expectations.core.run_identifier import RunIdentifier

    started = time.perf_counter()
    validation = _Validation(
        suite=suite,
        project=project,
        thresholds=thresholds,
        run_id=RunIdentifier(run_name=run_name, run_time=dt.datetime.now(dt.UTC)),
    )
    findings: list[Finding] = []
    # The run's DuckDB memory budget: a batch query such as the registry's duplicate keys
    # (a GROUP BY over every member row) would otherwise take up to 80 % of the machine.
    with warehouse_connection(warehouse, read_only=True) as con:
        for batch_name, batch in suite.batches.items():
            expectations = [e for e in suite.expectations if e["meta"]["batch"] == batch_name]
            if not expectations:
                continue
            query = batch["query"]
            if not batch.get("per_file"):
                running = validation.new_running()
                for frame in _chunks(con, query, [], chunk_rows):
                    validation.validate(batch_name, expectations, None, frame, running)
                findings += validation.finish(running)
            elif all(_countable(e) for e in expectations):
                counted = (
                    validation.per_file_in_sql(con, batch_name, expectations, query)
                    if count_in_sql
                    else None
                )
                findings += counted or validation.per_file_in_chunks(
                    con, batch_name, expectations, query, chunk_rows
                )
            else:
                files = [
                    row[0]
                    for row in con.execute(
                        f"select distinct _source_file from ({query}) order by 1"
                    ).fetchall()
                ]
                sql = f"select * from ({query}) where _source_file = ?"
                for file in files:
                    running = validation.new_running()
                    for frame in _chunks(con, sql, [file], chunk_rows):
                        validation.validate(batch_name, expectations, file, frame, running)
                    findings += validation.finish(running)
    return SuiteOutcome(suite, findings, time.perf_counter() - started, validation.rows_checked)


#: Row rules whose bad rows pandas can count file by file from the chunk GX validated
#: (`_unexpected_rows`), with the keyword arguments that count understands.
_COUNTABLE = {
    "expect_column_values_to_be_in_set": {"column", "value_set", "mostly"},
    "expect_column_values_to_not_be_null": {"column", "mostly"},
    "expect_column_values_to_be_between": {
        "column", "min_value", "max_value", "strict_min", "strict_max", "mostly",
    },
}  # fmt: skip


#: DuckDB types whose values pandas gives GX as numbers (compared with numeric bounds/sets).
_NUMERIC_TYPES = frozenset({
    "TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT",
    "UINTEGER", "UBIGINT", "FLOAT", "DOUBLE",
})  # fmt: skip


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _sql_literal(value: Any, column_type: str) -> str | None:
    """`value` as a SQL literal that compares with a `column_type` column as pandas' `isin`
    and comparisons do, or None (a string against a number, say: pandas finds them unequal,
    DuckDB would cast)."""
    if column_type == "VARCHAR" and isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    if column_type == "BOOLEAN" and isinstance(value, bool):
        return "true" if value else "false"
    if column_type in _NUMERIC_TYPES and isinstance(value, int | float):
        if isinstance(value, bool) or value != value:  # True is 1 to SQL; NaN never matches
            return None
        return repr(value)
    return None


def _rule_sql(config: dict[str, Any], types: dict[str, str]) -> tuple[str, str] | None:
    """A countable rule's (missing, bad) row predicates in SQL, counting as `_unexpected_rows`
    does for GX's pandas engine; None when DuckDB could compare otherwise."""
    kind, kwargs = config["type"], config["kwargs"]
    column_type = types.get(kwargs["column"])
    if column_type is None:
        return None
    column = _quote(kwargs["column"])
    missing = f"{column} is null"
    if column_type in ("FLOAT", "DOUBLE"):
        missing = f"({column} is null or isnan({column}))"  # pandas counts NaN as missing
    if kind == "expect_column_values_to_not_be_null":
        return missing, missing
    if kind == "expect_column_values_to_be_in_set":
        literals = [_sql_literal(value, column_type) for value in kwargs["value_set"]]
        if any(literal is None for literal in literals):
            return None
        outside = f"{column} not in ({', '.join(literals)})" if literals else "true"  # type: ignore[arg-type]
        return missing, f"not ({missing}) and {outside}"
    if kind == "expect_column_values_to_be_between" and column_type in _NUMERIC_TYPES:
        bounds = []
        for key, strict, operator in (
            ("min_value", "strict_min", "<"),
            ("max_value", "strict_max", ">"),
        ):
            value = kwargs.get(key)
            if value is None:
                continue
            literal = _sql_literal(value, column_type)
            if literal is None:
                return None
            bounds.append(f"{column} {operator}{'=' if kwargs.get(strict) else ''} {literal}")
        return missing, f"not ({missing}) and ({' or '.join(bounds) or 'false'})"
    return None


def _rule_names(expectations: list[dict[str, Any]]) -> list[str]:
    """What the per-file record calls each rule in the Data Docs: its column and kind
    ("status in set"), numbered only when two rules would read alike."""
    names = []
    for expectation in expectations:
        kind = expectation["type"].removeprefix("expect_column_values_to_")
        kind = kind.replace("not_be_", "not_").removeprefix("be_")
        names.append(f"{expectation['kwargs'].get('column')} {kind.replace('_', ' ')}")
    return [
        f"{name} ({index + 1})" if names.count(name) > 1 else name
        for index, name in enumerate(names)
    ]


def _countable(expectation: dict[str, Any]) -> bool:
    allowed = _COUNTABLE.get(expectation["type"])
    return allowed is not None and set(expectation["kwargs"]) <= allowed


def _unexpected_rows(frame: pd.DataFrame, config: dict[str, Any]):
    """Per row of `frame`: (unexpected, missing) as GX counts them for a countable rule."""
    kind, kwargs = config["type"], config["kwargs"]
    values = frame[kwargs["column"]]
    missing = values.isna().to_numpy()
    if kind == "expect_column_values_to_not_be_null":
        return missing, np.zeros(len(frame), dtype=bool)
    if kind == "expect_column_values_to_be_in_set":
        in_set = values.isin(kwargs["value_set"]).to_numpy(dtype=bool, na_value=False)
        return ~missing & ~in_set, missing
    low, high = kwargs.get("min_value"), kwargs.get("max_value")
    present = values.where(~missing)
    bad = np.zeros(len(frame), dtype=bool)
    if low is not None:
        below = present <= low if kwargs.get("strict_min") else present < low
        bad |= below.to_numpy(dtype=bool, na_value=False)
    if high is not None:
        above = present >= high if kwargs.get("strict_max") else present > high
        bad |= above.to_numpy(dtype=bool, na_value=False)
    return ~missing & bad, missing


@dataclass
class _Validation:
    """One suite's validation: GX definitions, the running findings and the rows seen."""

    suite: Suite
    project: QualityProject
    thresholds: dict[str, Any]
    run_id: Any
    rows_checked: int = 0

    @staticmethod
    def new_running() -> dict[int, Finding]:
        return {}

    @staticmethod
    def finish(running: dict[int, Finding]) -> list[Finding]:
        return [running[index] for index in sorted(running)]

    def configure(
        self, expectations: list[dict[str, Any]], file: str | None
    ) -> list[dict[str, Any]]:
        """The GX configuration of each expectation: quarantine rules get `mostly` from the
        threshold of the file (or of the table, when `file` is None)."""
        configured = []
        for expectation in expectations:
            config = {k: v for k, v in expectation.items() if k != "meta"}
            config["kwargs"] = dict(expectation["kwargs"])
            if expectation["meta"].get("quarantine_rule"):
                share = threshold_for(self.thresholds, self.suite.table, file)
                config["kwargs"]["mostly"] = round(1 - share, 6)
            config["meta"] = {"why": expectation["meta"].get("why", "")}
            configured.append(config)
        return configured

    def definition(self, batch_name: str, configured: list[dict[str, Any]]):
        """The GX validation definition of a batch and the ids of its expectations, in the
        order of `configured` (GX does not keep the suite's order)."""
        mostly_key = "_".join(
            str(c["kwargs"].get("mostly", "")) for c in configured if "mostly" in c["kwargs"]
        )
        name = f"{self.suite.name}__{batch_name}" + (f"__m{mostly_key}" if mostly_key else "")
        definition = self.project.definition(name, configured)
        if [e.expectation_type for e in definition.suite.expectations] != [
            c["type"] for c in configured
        ]:
            raise RuntimeError(f"{name}: the stored suite does not match {self.suite.path}")
        return definition, [expectation.id for expectation in definition.suite.expectations]

    def template(
        self, batch_name: str, file: str | None, config: dict[str, Any], expectation: dict
    ) -> Finding:
        quarantine_rule = expectation["meta"].get("quarantine_rule")
        return Finding(
            suite=self.suite.name,
            batch=batch_name,
            file=file,
            expectation=config["type"],
            column=config["kwargs"].get("column"),
            success=True,
            why=expectation["meta"].get("why", ""),
            what_to_do=expectation["meta"].get("what_to_do", ""),
            mostly=config["kwargs"].get("mostly"),
            min_bad_rows=int(self.thresholds.get("min_bad_rows", 0)) if quarantine_rule else 0,
        )

    def run_gx(self, definition, ids: list[str], frame: pd.DataFrame, configured) -> list:
        """Validate one chunk; GX's result of each expectation, in the order of `ids`.

        GX gets only the columns the expectations read when each names them (it hashes the
        whole frame it is given); a table-level expectation gets every column."""
        frame = frame.drop(columns="_source_file", errors="ignore")
        columns = _columns_read(configured)
        if columns is not None and set(columns) <= set(frame.columns):
            frame = frame[columns]
        result = definition.run(batch_parameters={"dataframe": frame}, run_id=self.run_id)
        by_id = {r.expectation_config.id: r for r in result.results}
        return [by_id[i] for i in ids]

    def validate(
        self,
        batch_name: str,
        expectations: list[dict[str, Any]],
        file: str | None,
        frame: pd.DataFrame,
        running: dict[int, Finding],
        count_rows: bool = True,
    ) -> None:
        """Validate one chunk of one file (or of a batch that is not per file) with GX and
        fold the results into `running`."""
        configured = self.configure(expectations, file)
        definition, ids = self.definition(batch_name, configured)
        if count_rows:
            self.rows_checked += len(frame)
        outcomes = self.run_gx(definition, ids, frame, configured)
        for index, (config, expectation, outcome) in enumerate(
            zip(configured, expectations, outcomes, strict=True)
        ):
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
                    "; ".join(f"{k}={mask_example(v, k)}" for k, v in row.items())
                    for row in frame.head(5).to_dict("records")
                ]
            template = self.template(batch_name, file, config, expectation)
            running[index] = _merge(
                [running[index]] if index in running else [], outcome, template, examples
            )

    def per_file_in_sql(
        self,
        con: duckdb.DuckDBPyConnection,
        batch_name: str,
        expectations: list[dict[str, Any]],
        query: str,
    ) -> list[Finding] | None:
        """A per-file batch of row rules counted by DuckDB: one aggregate over the batch
        query gives each file's rows and, per rule, its missing and bad rows as GX's pandas
        engine counts them (`_rule_sql`); a few bad rows of a failing file are read back as
        examples. No row reaches pandas, which at 10 M households cost minutes (issue 20).

        GX then validates the counts, one row per file: for each rule, the bad rows are at
        most the rows the rule allows that file (`allowed_bad_rows`, the same rule as
        `_merge`). Returns None when a rule's SQL could compare otherwise than pandas (a
        column or value type it does not handle): the batch then goes through GX in chunks.
        """
        described = con.execute(f"describe select * from ({query})").fetchall()
        types = {row[0]: str(row[1]) for row in described}
        if "_source_file" not in types:
            return None
        configured = self.configure(expectations, None)
        rules = [_rule_sql(config, types) for config in configured]
        if any(rule is None for rule in rules):
            return None
        counts = ", ".join(
            f"count(*) filter (where {missing}), count(*) filter (where {bad})"
            for missing, bad in rules  # type: ignore[misc]
        )
        rows = con.execute(
            f"select _source_file, count(*), {counts} from ({query}) "
            "group by _source_file order by _source_file nulls last"
        ).fetchall()
        names = _rule_names(expectations)
        examples_of: dict[tuple[str | None, int], list[str]] = {}
        for index, (rule, expectation, config) in enumerate(
            zip(rules, expectations, configured, strict=True)
        ):
            failing = {file for file, _, *numbers in rows if numbers[2 * index + 1]}
            if failing and rule is not None:
                shown = expectation["meta"].get("example_column") or config["kwargs"]["column"]
                found = self._examples_in_sql(con, query, shown, rule, failing)
                examples_of.update({(file, index): values for file, values in found.items()})
        findings: list[Finding] = []
        record: list[dict[str, Any]] = []
        for file, element_count, *numbers in rows:
            self.rows_checked += element_count
            for_file = (
                self.configure(expectations, file) if self.thresholds.get("files") else configured
            )
            counted: dict[str, Any] = {"file": file or "", "examples": ""}
            for index, (config, expectation) in enumerate(zip(for_file, expectations, strict=True)):
                missing, bad = numbers[2 * index], numbers[2 * index + 1]
                result = {"element_count": element_count, "unexpected_count": bad}
                if config["type"] != "expect_column_values_to_not_be_null":
                    result["missing_count"] = missing  # GX reports none for this rule
                examples = examples_of.get((file, index), []) if bad else []
                template = self.template(batch_name, file, config, expectation)
                found = _merge([], _FileResult(bad == 0, result), template, examples)
                findings.append(found)
                if found.examples:
                    column = expectation["meta"].get("example_column") or found.column
                    shown = f"{column}: {', '.join(found.examples)}"
                    counted["examples"] = "; ".join(filter(None, [counted["examples"], shown]))
                checked = element_count - (missing if "missing_count" in result else 0)
                counted[f"{names[index]}: bad rows"] = bad
                counted[f"{names[index]}: allowed"] = (
                    allowed_bad_rows(checked, found.mostly, found.min_bad_rows) if checked else bad
                )
            record.append(counted)
        self._record_counts(batch_name, expectations, record)
        return findings

    def _examples_in_sql(
        self,
        con: duckdb.DuckDBPyConnection,
        query: str,
        shown: str,
        rule: tuple[str, str],
        files: set[str | None],
    ) -> dict[str | None, list[str]]:
        """Per file of `files`: the values of the rule's first 100 bad rows there (`shown`:
        the example column, else the checked column), masked; `_merge` keeps the first five
        distinct ones. One scan of the batch per rule, however many files fail it; the bad
        rows stream in file order. (The chunk path showed the distinct values among each
        chunk's first five bad rows: the same examples unless those five repeat a value.)"""
        examples: dict[str | None, list[str]] = {file: [] for file in files}
        short = set(files)
        reader = con.sql(
            f"select _source_file, {_quote(shown)} from ({query}) where ({rule[1]})"
        ).to_arrow_reader(10_000)
        for batch in reader:
            for file, value in zip(*batch.to_pydict().values(), strict=True):
                if file not in short:
                    continue
                # A missing value reads as pandas shows it in a text or number column: nan.
                examples[file].append(mask_example(float("nan") if value is None else value, shown))
                if len(examples[file]) == 100:
                    short.discard(file)
            if not short:
                break
        return examples

    def _record_counts(
        self, batch_name: str, expectations: list[dict[str, Any]], record: list[dict[str, Any]]
    ) -> None:
        """GX validates each file's counts: the bad rows of every rule are at most the rows
        it allows that file. Stored as `<suite>__<batch>__per_file` (the project's history
        and Data Docs), where a failing rule lists its files with their masked examples;
        the findings do not depend on it."""
        if not record:
            return
        names = _rule_names(expectations)
        configured = [
            {
                "type": "expect_column_pair_values_a_to_be_greater_than_b",
                "kwargs": {
                    "column_A": f"{names[index]}: allowed",
                    "column_B": f"{names[index]}: bad rows",
                    "or_equal": True,
                },
                "meta": {
                    "why": f"{expectation['type']} on column "
                    f"'{expectation['kwargs'].get('column')}', counted per file in DuckDB"
                },
            }
            for index, expectation in enumerate(expectations)
        ]
        name = f"{self.suite.name}__{batch_name}__per_file"
        definition = self.project.definition(name, configured)
        definition.run(
            batch_parameters={"dataframe": pd.DataFrame(record)},
            run_id=self.run_id,
            result_format={
                "result_format": "COMPLETE",
                "unexpected_index_column_names": ["file", "examples"],
            },
        )

    def per_file_in_chunks(
        self,
        con: duckdb.DuckDBPyConnection,
        batch_name: str,
        expectations: list[dict[str, Any]],
        query: str,
        chunk_rows: int,
    ) -> list[Finding]:
        """A per-file batch of row rules in one pass over the whole query.

        GX validates each chunk of `chunk_rows` rows, whichever files it holds; pandas then
        counts each file's bad and missing rows in that chunk, so every finding still names
        its file. The counts must add up to GX's own for the chunk; if they do not (a rule
        pandas counts differently), that chunk is validated file by file with GX instead.
        """
        configured = self.configure(expectations, None)
        definition, ids = self.definition(batch_name, configured)
        by_file: dict[str | None, dict[int, Finding]] = {}
        for frame in _chunks(con, query, [], chunk_rows):
            if not len(frame):
                continue
            self.rows_checked += len(frame)
            positions = frame.groupby("_source_file", sort=False, dropna=False).indices
            outcomes = self.run_gx(definition, ids, frame, configured)
            try:
                counted = [_unexpected_rows(frame, config) for config in configured]
            except (TypeError, ValueError):  # values pandas cannot compare: let GX count
                counted = []
            if not counted or not all(
                _adds_up(outcome, unexpected, missing, len(frame))
                for outcome, (unexpected, missing) in zip(outcomes, counted, strict=True)
            ):
                for file, rows in positions.items():
                    file = None if pd.isna(file) else file
                    running = by_file.setdefault(file, {})
                    part = frame.iloc[rows]
                    self.validate(batch_name, expectations, file, part, running, False)
                continue
            for file, rows in positions.items():
                file = None if pd.isna(file) else file
                running = by_file.setdefault(file, {})
                configured_for_file = (
                    self.configure(expectations, file)
                    if self.thresholds.get("files")
                    else configured
                )
                for index, (config, expectation, outcome) in enumerate(
                    zip(configured_for_file, expectations, outcomes, strict=True)
                ):
                    unexpected, missing = counted[index]
                    bad = unexpected[rows]
                    result = _FileResult.of(outcome, len(rows), int(bad.sum()), missing[rows])
                    examples: list[str] = []
                    if result.result["unexpected_count"]:
                        part = frame.iloc[rows[bad][:5]]
                        example_column = expectation["meta"].get("example_column")
                        shown = example_column or config["kwargs"]["column"]
                        examples = [mask_example(value, shown) for value in part[shown].tolist()]
                    template = self.template(batch_name, file, config, expectation)
                    running[index] = _merge(
                        [running[index]] if index in running else [], result, template, examples
                    )
        findings = []
        for file in sorted(by_file, key=lambda f: (f is None, f or "")):
            findings += self.finish(by_file[file])
        return findings


@dataclass
class _FileResult:
    """One file's share of GX's result for a chunk, shaped as GX's result for `_merge`."""

    success: bool
    result: dict[str, Any]

    @classmethod
    def of(cls, outcome, rows: int, unexpected: int, missing) -> _FileResult:
        details = outcome.result or {}
        result = {"element_count": rows, "unexpected_count": unexpected}
        if "missing_count" in details:
            result["missing_count"] = int(missing.sum())
        return cls(success=unexpected == 0, result=result)


def _adds_up(outcome, unexpected, missing, rows: int) -> bool:
    """Whether pandas' counts of a chunk are GX's (and GX's verdict follows from them)."""
    details = outcome.result or {}
    raised = (outcome.exception_info or {}).get("raised_exception")
    if "unexpected_count" not in details or raised:
        return False
    counts = {
        "element_count": rows,
        "unexpected_count": int(unexpected.sum()),
        "missing_count": int(missing.sum()),
    }
    if any(int(details[k] or 0) != v for k, v in counts.items() if k in details):
        return False
    mostly = outcome.expectation_config.kwargs.get("mostly")
    return mostly is not None or bool(outcome.success) == (counts["unexpected_count"] == 0)


def _columns_read(configured: list[dict[str, Any]]) -> list[str] | None:
    """The columns the expectations read, or None when one reads the whole table."""
    columns: list[str] = []
    for config in configured:
        kwargs = config["kwargs"]
        named = [kwargs.get("column"), kwargs.get("column_A"), kwargs.get("column_B")]
        named += list(kwargs.get("column_list") or [])
        named = [c for c in named if c]
        if not named or "row_condition" in kwargs:
            return None
        columns += [c for c in named if c not in columns]
    return columns


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
