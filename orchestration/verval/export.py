"""The verval workbook: per kelurahan, the households to visit, why, and room for the result.

Reads `restricted.verval_kasus` from the warehouse, read-only. This is the one command that
reads the warehouse rather than the published marts, because the marts deliberately hold
no personal data and a field team needs names to knock on doors (docs/privacy.md).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from orchestration.ingest import wilayah

#: Sheet columns: (header, source column, width). Field-team columns are empty.
COLUMNS: tuple[tuple[str, str | None, int], ...] = (
    ("No", None, 5),
    ("Prioritas", "prioritas", 9),
    ("Alasan", "alasan", 34),
    ("Program", "kode_program", 14),
    ("Tahap", "tahap", 10),
    ("ID Keluarga", "id_keluarga", 14),
    ("No. KK", "no_kk", 19),
    ("NIK Kepala Keluarga", "nik_kepala_keluarga", 19),
    ("Nama Kepala Keluarga", "nama_kepala_keluarga", 24),
    ("NIK Terkait", "nik_terkait", 19),
    ("Nama Terkait", "nama_terkait", 24),
    ("Desil", "desil", 6),
    ("Tanggal Pemutakhiran", "tanggal_pemutakhiran", 13),
    ("Keterangan", "keterangan", 48),
    ("Hasil Kunjungan", None, 26),
    ("Tanggal Kunjungan", None, 13),
    ("Petugas", None, 20),
    ("Catatan Petugas", None, 30),
)
HASIL_KUNJUNGAN = (
    "Sesuai data",
    "Tidak sesuai - perlu perbaikan data",
    "Tidak ditemukan",
    "Pindah",
    "Meninggal",
    "Menolak dikunjungi",
)
NO_KELURAHAN = "Tanpa kelurahan"
CONFIDENTIAL = (
    "RAHASIA - memuat data pribadi (UU No. 27 Tahun 2022 tentang Pelindungan Data Pribadi). "
    "Hanya untuk verifikasi dan validasi lapangan sesuai keperluan yang tercatat; jangan "
    "disalin, dibagikan, atau dicetak tanpa izin. Hapus setelah hasil kunjungan dimasukkan."
)


class VervalError(RuntimeError):
    """A plain-words reason the export cannot be made (exit code 2)."""


@dataclass(frozen=True)
class Region:
    kode: str  # code prefix of the households to list
    label: str  # "Kota Kupang › Kec. Oebobo"


def resolve_region(wilayah_kode: str, kecamatan: str | None, kelurahan: str | None) -> Region:
    """The region from a kabupaten/kota (or province) code and optional kecamatan/kelurahan
    codes or names (case-insensitive, within their parent)."""
    code = wilayah.plain_code(wilayah_kode)
    name = wilayah.name_of(code)
    if len(code) not in (2, 4) or name is None:
        raise VervalError(
            f"--wilayah {wilayah_kode}: not a Kemendagri province or kabupaten/kota code."
        )
    label = name
    if kecamatan:
        code, sub = _child(code, kecamatan, 6, "--kecamatan")
        label += f" › Kec. {sub}"
    if kelurahan:
        parents = [code] if len(code) == 6 else [k for k, _ in wilayah.children(code)]
        if len(code) == 2:
            parents = [k for p in parents for k, _ in wilayah.children(p)]
        found = None
        for parent in parents:
            try:
                found = _child(parent, kelurahan, 10, "--kelurahan")
                break
            except VervalError:
                continue
        if found is None:
            raise VervalError(f"--kelurahan {kelurahan}: no such kelurahan/desa in {label}.")
        code, sub = found
        label += f" › {sub}"
    return Region(code, label)


def _child(parent: str, value: str, length: int, option: str) -> tuple[str, str]:
    children = wilayah.children(parent)
    digits = wilayah.plain_code(value)
    for code, name in children:
        if code == digits or name.casefold() == value.strip().casefold():
            return code, name
    if len(digits) == length and wilayah.name_of(digits):
        raise VervalError(f"{option} {value} is not within {wilayah.name_of(parent)} ({parent}).")
    raise VervalError(
        f"{option} {value}: no such region within {wilayah.name_of(parent)} ({parent})."
    )


def read_cases(warehouse: Path, region: Region, tahun: int | None) -> tuple[pd.DataFrame, int]:
    """The cases of the region and year (default: the latest year), read-only."""
    import duckdb

    if not warehouse.exists():
        raise VervalError(f"No warehouse at {warehouse} yet: run `make run` first.")
    try:
        con = duckdb.connect(str(warehouse), read_only=True)
    except duckdb.Error as error:
        if "lock" in str(error).lower():
            raise VervalError(
                "The warehouse is being written by a running job (the nightly refresh, or "
                "another tepat command); the verval list reads it, so try again when the "
                "job has finished."
            ) from None
        raise
    with con:
        try:
            years = [r[0] for r in con.execute(
                "select distinct tahun from restricted.verval_kasus order by 1"
            ).fetchall()]  # fmt: skip
        except duckdb.CatalogException:
            raise VervalError(
                "The warehouse has no verval list yet (restricted.verval_kasus): run "
                "`make run` first."
            ) from None
        if not years:
            raise VervalError("The verval list is empty: no roster data has been loaded yet.")
        year = years[-1] if tahun is None else tahun
        if year not in years:
            raise VervalError(
                f"--tahun {tahun}: no roster data for that year (years: "
                f"{', '.join(map(str, years))})."
            )
        cases = con.execute(
            "select * from restricted.verval_kasus where tahun = ? and kode_wilayah like ? "
            "order by kode_wilayah, prioritas, id_keluarga nulls last, kunci_kasus, kode_program",
            [year, region.kode + "%"],
        ).df()
        reasons = con.execute(
            "select kode_alasan, prioritas, alasan, uraian from referensi.verval_alasan "
            "order by prioritas"
        ).df()
        rules = con.execute(
            "select kode_aturan, min(desil_min) as desil_min, max(desil_max) as desil_max, "
            "min(uraian) as uraian, "
            "string_agg(kolom || ' = ' || nilai, '; ' order by kolom, nilai) as syarat "
            "from referensi.verval_aturan_aset group by 1 order by 1"
        ).df()
    cases.attrs["reasons"] = reasons
    cases.attrs["rules"] = rules
    return cases, year


def people_in(cases: pd.DataFrame) -> set[str]:
    """Every NIK the workbook shows (heads of household and the people of each case)."""
    niks: set[str] = set(cases["nik_kepala_keluarga"].dropna())
    for value in cases["nik_terkait"].dropna():
        niks.update(part.strip() for part in value.split(",") if part.strip())
    return niks


def kelurahan_groups(cases: pd.DataFrame) -> list[tuple[str | None, pd.DataFrame]]:
    """(10-digit code or None for cases placed coarser, cases) per kelurahan, by code."""
    placed = cases["kode_wilayah"].str.len() == 10
    groups = [(code, frame) for code, frame in cases[placed].groupby("kode_wilayah", sort=True)]
    if (~placed).any():
        groups.append((None, cases[~placed]))
    return groups


def sorted_for_visit(frame: pd.DataFrame) -> pd.DataFrame:
    """By priority, then household (its cases together), then programme."""
    return frame.sort_values(
        ["prioritas", "id_keluarga", "kunci_kasus", "kode_program"], na_position="last"
    ).reset_index(drop=True)


@dataclass(frozen=True)
class ExportInfo:
    id_ekspor: str
    region: Region
    tahun: int
    keperluan: str
    pengguna: str
    dibuat: dt.datetime


def write_workbook(path: Path, cases: pd.DataFrame, info: ExportInfo) -> list[str]:
    """Write the workbook; returns its sheet names."""
    from orchestration.export.layout import new_workbook

    workbook = new_workbook(path, remove_timezone=True)
    try:
        base = {"border": 1, "valign": "top"}
        head = {**base, "bold": True, "text_wrap": True}
        fmt = {
            "title": workbook.add_format({"bold": True, "font_size": 13}),
            "warn": workbook.add_format(
                {"bold": True, "font_color": "#9C0006", "bg_color": "#FFC7CE", "text_wrap": True}
            ),
            "head": workbook.add_format({**head, "bg_color": "#DDEBF7"}),
            "field": workbook.add_format({**head, "bg_color": "#FFF2CC"}),
            "cell": workbook.add_format({**base, "text_wrap": True}),
            "text": workbook.add_format({**base, "num_format": "@"}),
            "date": workbook.add_format({**base, "num_format": "yyyy-mm-dd"}),
            "input": workbook.add_format({**base, "bg_color": "#FFFBEA"}),
            "input_date": workbook.add_format(
                {**base, "bg_color": "#FFFBEA", "num_format": "yyyy-mm-dd"}
            ),
            "bold": workbook.add_format({"bold": True}),
            "wrap": workbook.add_format({"text_wrap": True, "valign": "top"}),
        }
        sheets = [_guide_sheet(workbook, fmt, cases, info)]
        sheets.append(_summary_sheet(workbook, fmt, cases, info))
        used: set[str] = set(sheets)
        for code, frame in kelurahan_groups(cases):
            sheets.append(
                _kelurahan_sheet(workbook, fmt, code, sorted_for_visit(frame), info, used)
            )
    finally:
        workbook.close()
    return sheets


def _header(sheet, fmt, title: str, info: ExportInfo) -> int:
    sheet.write(0, 0, title, fmt["title"])
    sheet.merge_range(1, 0, 1, 10, CONFIDENTIAL, fmt["warn"])
    sheet.set_row(1, 45)
    sheet.write(2, 0, f"Wilayah: {info.region.label}. Tahun data: {info.tahun}. "
                      f"Dibuat {info.dibuat:%Y-%m-%d %H:%M} UTC oleh {info.pengguna}. "
                      f"Keperluan: {info.keperluan}. ID ekspor: {info.id_ekspor}.")  # fmt: skip
    return 4


def _print_a4_landscape(sheet) -> None:
    """Printed on A4 landscape, one page wide, like the kelurahan sheets."""
    sheet.set_landscape()
    sheet.set_paper(9)
    sheet.fit_to_pages(1, 0)


def _guide_sheet(workbook, fmt, cases: pd.DataFrame, info: ExportInfo) -> str:
    sheet = workbook.add_worksheet("Petunjuk")
    _print_a4_landscape(sheet)
    row = _header(sheet, fmt, "Daftar Verifikasi dan Validasi (Verval) Lapangan", info)
    sheet.set_column(0, 0, 22)
    sheet.set_column(1, 1, 12)
    sheet.set_column(2, 2, 40)
    sheet.set_column(3, 3, 90)
    lines = (
        "Setiap lembar kelurahan/desa memuat keluarga yang perlu dikunjungi, diurutkan menurut "
        "prioritas (1 = kunjungi lebih dulu). Satu keluarga dapat muncul lebih dari sekali bila "
        "ada beberapa alasan atau beberapa program.",
        "Isi kolom berwarna kuning (Hasil Kunjungan, Tanggal Kunjungan, Petugas, Catatan "
        "Petugas) untuk setiap baris setelah kunjungan.",
        "Kolom lain berasal dari DTSEN dan daftar penerima OPD; jangan diubah. Bila data di "
        "lapangan berbeda, tulis di Catatan Petugas.",
    )
    for line in lines:
        sheet.merge_range(row, 0, row, 3, line, fmt["wrap"])
        sheet.set_row(row, 30)
        row += 1
    row += 1
    sheet.write(row, 0, "Alasan kunjungan", fmt["bold"])
    row += 1
    for col, head in enumerate(("Kode", "Prioritas", "Alasan", "Aturan")):
        sheet.write(row, col, head, fmt["head"])
    for item in cases.attrs["reasons"].itertuples():
        row += 1
        values = (item.kode_alasan, item.prioritas, item.alasan, item.uraian)
        for col, value in enumerate(values):
            sheet.write(row, col, value, fmt["cell"])
    row += 2
    sheet.write(row, 0, "Aturan aset tidak sesuai desil", fmt["bold"])
    row += 1
    for col, head in enumerate(
        ("Kode aturan", "Desil", "Uraian", "Syarat (semua kolom harus terpenuhi)")
    ):
        sheet.write(row, col, head, fmt["head"])
    for item in cases.attrs["rules"].itertuples():
        row += 1
        values = (item.kode_aturan, f"{item.desil_min}–{item.desil_max}", item.uraian, item.syarat)
        for col, value in enumerate(values):
            sheet.write(row, col, value, fmt["cell"])
    return "Petunjuk"


def _summary_sheet(workbook, fmt, cases: pd.DataFrame, info: ExportInfo) -> str:
    sheet = workbook.add_worksheet("Ringkasan")
    _print_a4_landscape(sheet)
    row = _header(
        sheet, fmt, "Ringkasan per kelurahan/desa (jumlah keluarga/NIK yang dikunjungi)", info
    )
    reasons = cases.attrs["reasons"]
    heads = ["Kode wilayah", "Kelurahan/desa", *reasons["alasan"], "Jumlah keluarga/NIK berbeda"]
    sheet.set_column(0, 0, 13)
    sheet.set_column(1, 1, 26)
    sheet.set_column(2, len(heads) - 1, 16)
    for col, head in enumerate(heads):
        sheet.write(row, col, head, fmt["head"])
    sheet.set_row(row, 45)
    for code, frame in kelurahan_groups(cases):
        row += 1
        sheet.write_string(row, 0, code or "", fmt["text"])
        sheet.write(row, 1, wilayah.name_of(code) if code else NO_KELURAHAN, fmt["cell"])
        for col, reason in enumerate(reasons["kode_alasan"], start=2):
            units = frame.loc[frame["kode_alasan"] == reason, "kunci_kasus"].nunique()
            sheet.write_number(row, col, units, fmt["cell"])
        sheet.write_number(row, len(heads) - 1, frame["kunci_kasus"].nunique(), fmt["cell"])
    return "Ringkasan"


def _sheet_name(code: str | None, used: set[str]) -> str:
    base = (wilayah.name_of(code) or code) if code else NO_KELURAHAN
    for bad in "[]:*?/\\":
        base = base.replace(bad, " ")
    name = base[:31]
    n = 2
    while name in used:
        suffix = f" ({n})"
        name = base[: 31 - len(suffix)] + suffix
        n += 1
    used.add(name)
    return name


def _kelurahan_sheet(workbook, fmt, code: str | None, frame: pd.DataFrame, info: ExportInfo,
                     used: set[str]) -> str:  # fmt: skip
    name = _sheet_name(code, used)
    sheet = workbook.add_worksheet(name)
    if code:
        kecamatan = wilayah.name_of(code[:6]) or code[:6]
        title = f"Kelurahan/Desa {wilayah.name_of(code)} ({code}), Kecamatan {kecamatan}"
    else:
        title = "NIK penerima tanpa kelurahan/desa (daftar penerima hanya menyebut kabupaten/kota)"
    row = _header(sheet, fmt, f"Daftar Verval - {title}", info)
    first = row
    for col, (head, source, width) in enumerate(COLUMNS):
        sheet.write(row, col, head, fmt["field"] if source is None and col else fmt["head"])
        sheet.set_column(col, col, width)
    sheet.set_row(row, 30)
    for index, item in enumerate(frame.to_dict("records"), start=1):
        row += 1
        for col, (head, source, _) in enumerate(COLUMNS):
            if source is None:
                if col == 0:
                    sheet.write_number(row, col, index, fmt["cell"])
                elif head == "Tanggal Kunjungan":
                    sheet.write_blank(row, col, None, fmt["input_date"])
                else:
                    sheet.write_blank(row, col, None, fmt["input"])
                continue
            value = item.get(source)
            if value is None or (not isinstance(value, str) and pd.isna(value)):
                sheet.write_blank(row, col, None, fmt["cell"])
            elif source == "tanggal_pemutakhiran":
                sheet.write_datetime(row, col, pd.Timestamp(value).to_pydatetime(), fmt["date"])
            elif source in ("prioritas", "desil"):
                sheet.write_number(row, col, int(value), fmt["cell"])
            else:
                # NIK and KK numbers stay text: Excel would cut a 16-digit number.
                sheet.write_string(
                    row,
                    col,
                    str(value),
                    fmt["text"] if "nik" in source or source == "no_kk" else fmt["cell"],
                )
    last = row
    headers = [head for head, _, _ in COLUMNS]
    if last > first:
        hasil = headers.index("Hasil Kunjungan")
        sheet.data_validation(first + 1, hasil, last, hasil, {
            "validate": "list", "source": list(HASIL_KUNJUNGAN), "error_type": "information",
            "input_title": "Hasil kunjungan", "input_message": "Pilih, atau tulis sendiri.",
        })  # fmt: skip
        tanggal = headers.index("Tanggal Kunjungan")
        sheet.data_validation(first + 1, tanggal, last, tanggal, {
            "validate": "date", "criteria": ">=", "value": dt.date(info.tahun, 1, 1),
            "error_message": "Tulis tanggal kunjungan (tttt-bb-hh).",
        })  # fmt: skip
    sheet.autofilter(first, 0, max(last, first), len(COLUMNS) - 1)
    sheet.freeze_panes(first + 1, 3)
    sheet.set_landscape()
    sheet.set_paper(9)  # A4
    sheet.fit_to_pages(1, 0)
    sheet.repeat_rows(first)
    sheet.set_footer("&LRAHASIA - data pribadi&RHalaman &P dari &N")
    return name
