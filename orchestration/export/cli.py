"""`tepat export`: planners' workbooks and CSV files, from the published marts only."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console
from rich.markup import escape

from orchestration.paths import Paths

export_app = typer.Typer(add_completion=False, no_args_is_help=True, help=__doc__)
console = Console()
errors = Console(stderr=True)


class Format(StrEnum):
    xlsx = "xlsx"
    csv = "csv"


class Tingkat(StrEnum):
    kabkota = "kabkota"
    kecamatan = "kecamatan"
    desa = "desa"


WilayahOption = Annotated[
    list[str],
    typer.Option(
        "--wilayah",
        "-w",
        help="Kemendagri code: 5371; several (-w 5371 -w 6107, or 5371,6107); or a province "
        "(53: the province and each of its kabupaten/kota).",
    ),
]
OutOption = Annotated[
    Path | None,
    typer.Option("--out", "-o", help="File to write (default: data/exports/<name>)."),
]
FormatOption = Annotated[
    Format | None,
    typer.Option("--format", "-f", help="xlsx or csv (default: from --out, else xlsx)."),
]


def check_out(out: Path | None, fmt: Format | None) -> Format:
    """The format to write: --format, else the suffix of --out, else xlsx. An --out whose
    suffix is not .xlsx or .csv, or contradicts --format, is an error (DESIGN §3.2): a
    workbook named `.pdf` would not open."""
    from orchestration.export.common import ExportError

    if out is None:
        return fmt or Format.xlsx
    suffix = out.suffix.lower().lstrip(".")
    supported = " or ".join(f".{f.value}" for f in Format)
    if suffix not in Format._value2member_map_:
        got = f"ends in .{out.suffix.lstrip('.')}" if suffix else "has no extension"
        raise ExportError(
            f"--out {out} {got}: this export writes only {supported} files (an Excel "
            f"workbook or a CSV table). Give a file name ending in {supported}, e.g. "
            f"--out {out.with_suffix('.xlsx')}."
        )
    if fmt is not None and suffix != fmt.value:
        raise ExportError(
            f"--out {out} ends in .{suffix} but --format is {fmt.value}: give a file name "
            f"ending in .{fmt.value}, or leave --format out."
        )
    return Format(suffix)


def output_path(
    exports_dir: Path, out: Path | None, fmt: Format | None, stem: str
) -> tuple[Path, Format]:
    """Where to write and in which format (`check_out`); without --out,
    data/exports/<stem>.<format>."""
    fmt = check_out(out, fmt)
    return (out or exports_dir / f"{stem}.{fmt.value}"), fmt


def fail(error: Exception | str) -> NoReturn:
    errors.print(
        f"[bold red]Export failed:[/] {escape(str(error))}", soft_wrap=True, highlight=False
    )
    raise typer.Exit(code=2)


def wrote(path: Path, sheets: list[str], warnings: list[str]) -> None:
    detail = f" (sheets: {', '.join(sheets)})" if sheets else ""
    console.print(f"Wrote {path}{detail}", soft_wrap=True, highlight=False, markup=False)
    for warning in warnings:
        console.print(f"Note: {warning}", soft_wrap=True, highlight=False, markup=False)


@export_app.command("rpjmd")
def rpjmd(
    wilayah: WilayahOption,
    tahun: Annotated[
        int | None,
        typer.Option(
            "--tahun",
            help="Evaluation year: its Kategori Capaian and Status are shown (default: the "
            "latest year with BPS data). Every year of the plan is always shown.",
        ),
    ] = None,
    out: OutOption = None,
    fmt: FormatOption = None,
) -> None:
    """RPJMD/RPD evaluation table (Permendagri 86/2017 style) with a chart sheet."""
    from orchestration.export.common import ExportError, normalise_codes
    from orchestration.export.rpjmd import load_rpjmd, write_rpjmd_csv, write_rpjmd_xlsx

    paths = Paths.from_env()
    try:
        check_out(out, fmt)
        codes = normalise_codes(wilayah)
        report = load_rpjmd(paths.marts_dir, codes, tahun)
        path, fmt = output_path(
            paths.exports_dir, out, fmt, f"rpjmd_{'-'.join(codes)}_{report.tahun}"
        )
        if fmt is Format.csv:
            write_rpjmd_csv(report, path)
            sheets: list[str] = []
        else:
            sheets = write_rpjmd_xlsx(report, path)
    except ExportError as error:
        fail(error)
    except OSError as error:
        fail(f"cannot write the file: {error}")
    wrote(
        path,
        sheets,
        [f"Evaluation year (Kategori Capaian, Status): {report.tahun}.", *report.warnings],
    )


@export_app.command("cakupan")
def cakupan(
    wilayah: WilayahOption,
    tahun: Annotated[int, typer.Option("--tahun", help="Year of the rosters.")],
    tingkat: Annotated[
        Tingkat | None,
        typer.Option(
            "--tingkat",
            help="Also list the areas at this level (kecamatan or desa) under each region's "
            "total; a province is listed by kabupaten/kota by default.",
        ),
    ] = None,
    tahap: Annotated[
        int | None,
        typer.Option("--tahap", help="Only this period: 1–4 (quarters) or 0 (whole year)."),
    ] = None,
    out: OutOption = None,
    fmt: FormatOption = None,
) -> None:
    """Programme coverage table for a TKPK meeting (coverage, targeting errors, budget)."""
    from orchestration.export.cakupan import load_cakupan, write_cakupan_csv, write_cakupan_xlsx
    from orchestration.export.common import ExportError, normalise_codes

    paths = Paths.from_env()
    level = tingkat.value if tingkat else None
    try:
        check_out(out, fmt)
        codes = normalise_codes(wilayah)
        report = load_cakupan(paths.marts_dir, codes, tahun, level, tahap)
        stem = f"cakupan_{'-'.join(codes)}_{tahun}_{report.tingkat}"
        if tahap is not None:
            stem += f"_tahap{tahap}"
        path, fmt = output_path(paths.exports_dir, out, fmt, stem)
        if fmt is Format.csv:
            write_cakupan_csv(report, path)
            sheets: list[str] = []
        else:
            sheets = write_cakupan_xlsx(report, path)
    except ExportError as error:
        fail(error)
    except OSError as error:
        fail(f"cannot write the file: {error}")
    count = len(report.rows)
    wrote(path, sheets, [f"{count} row{'' if count == 1 else 's'}.", *report.warnings])
