"""The demo registry in the layouts local governments hold (DESIGN §2.2).

`generate()` writes the tidy form (`registry/<date>/keluarga.csv`, `anggota.csv`). This
module takes the households of chosen kabupaten/kota out of those files and writes the same
households and people again in another layout, so that a nightly run on the result can be
compared with the tidy form for what the layout carries:

- `write_desil_aggregates`: `registry/<date>/agregat/kodewil_desil.xlsx`, one row per desa,
  households by desil (7–10 as one band), codes split into kdprov/kdkab/kdkec/kddesa
  written as numbers (as Excel keeps them: kdkec 1, not 01), a title block and a total row;
- `write_p3ke_workbooks`: `registry/<date>/p3ke/P3KE_<kode desa>.xlsx`, one workbook per desa
  with a header block, column headers on row 12, data from row 13, a *Keluarga* and an
  *Individu* sheet; only desil 1–4 households and their living members, as P3KE lists them;
- `write_siks_ng_export`: `registry/<date>/siks_ng/<kode_kabkota>/DTKS_<kode_kabkota>.csv`,
  one `;`-separated row per living person, desa by name, and programme flags Y/N that follow
  a fixed demo rule (`siks_ng_flags`, `siks_ng_pbi`).

The generator stays untouched (its output for a seed is pinned byte for byte); everything
here reads its files.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import xlsxwriter

from orchestration.ingest.wilayah import name_of

AGREGAT_FOLDER = "agregat"
P3KE_FOLDER = "p3ke"
AGREGAT_BANDS = ("DESIL 1", "DESIL 2", "DESIL 3", "DESIL 4", "DESIL 5", "DESIL 6", "DESIL 7-10")
P3KE_DESIL = (1, 2, 3, 4)
P3KE_HEADER_ROW = 12  # data from row 13

KELUARGA_SHEET_COLUMNS = (
    "No", "ID Keluarga P3KE", "Kode Kemendagri", "Provinsi", "Kabupaten/Kota", "Kecamatan",
    "Desa/Kelurahan", "Desil Kesejahteraan", "Nama Kepala Keluarga", "NIK", "No KK",
    "Padan Dukcapil", "Alamat", "Jumlah Anggota Keluarga", "Penerima BPNT", "Penerima PKH",
    "Penerima BPUM", "Penerima BST", "Penerima Prakerja", "Penerima Sembako",
)  # fmt: skip
INDIVIDU_SHEET_COLUMNS = (
    "No", "ID Keluarga P3KE", "ID Individu", "Provinsi", "Kabupaten/Kota", "Kecamatan",
    "Desa/Kelurahan", "Desil Kesejahteraan", "Nama", "NIK", "Padan Dukcapil", "Jenis Kelamin",
    "Hubungan dengan Kepala Keluarga", "Tanggal Lahir", "Status Kawin", "Pekerjaan",
    "Pendidikan",
)  # fmt: skip
HUBUNGAN = {
    "1": "Kepala Keluarga", "2": "Istri/Suami", "3": "Anak", "4": "Menantu", "5": "Cucu",
    "6": "Orang Tua/Mertua", "7": "Famili Lain", "8": "Lainnya",
}  # fmt: skip
JENIS_KELAMIN = {"1": "Laki-laki", "2": "Perempuan"}


@dataclass
class Converted:
    """What was moved out of the tidy files, per snapshot date: the households (and their
    members) of the converted kabupaten/kota, as the tidy files had them (all text)."""

    keluarga: dict[str, pd.DataFrame]
    anggota: dict[str, pd.DataFrame]


def _read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def take_out(raw_dir: Path, kode_kabkota: str) -> Converted:
    """Remove the households of `kode_kabkota` (and their members) from every tidy snapshot
    under `raw_dir/registry/`, rewriting keluarga.csv/anggota.csv; return what was removed."""
    taken = Converted({}, {})
    for folder in sorted((raw_dir / "registry").iterdir()):
        keluarga_path, anggota_path = folder / "keluarga.csv", folder / "anggota.csv"
        keluarga, anggota = _read(keluarga_path), _read(anggota_path)
        inside = keluarga["kode_wilayah"].str.replace(".", "").str.startswith(kode_kabkota)
        ids = set(keluarga.loc[inside, "id_keluarga"])
        members = anggota["id_keluarga"].isin(ids)
        taken.keluarga[folder.name] = keluarga[inside].reset_index(drop=True)
        taken.anggota[folder.name] = anggota[members].reset_index(drop=True)
        keluarga[~inside].to_csv(keluarga_path, index=False)
        anggota[~members].to_csv(anggota_path, index=False)
    return taken


def desil_counts(keluarga: pd.DataFrame) -> pd.DataFrame:
    """Households per desa and aggregate column (DESIL 1 … 6, DESIL 7-10, DESIL NULL)."""
    desil = pd.to_numeric(keluarga["desil"].replace("", None), errors="coerce")
    band = desil.map(lambda d: "DESIL NULL" if pd.isna(d) else _band(int(d)))
    counts = pd.crosstab(keluarga["kode_wilayah"], band)
    for column in (*AGREGAT_BANDS, "DESIL NULL"):
        if column not in counts:
            counts[column] = 0
    counts = counts[[*AGREGAT_BANDS, "DESIL NULL"]].sort_index()
    counts["TOTAL"] = counts.sum(axis=1)
    return counts


def _band(desil: int) -> str:
    return "DESIL 7-10" if desil >= 7 else f"DESIL {desil}"


def write_desil_aggregates(folder: Path, keluarga: pd.DataFrame) -> Path:
    """`folder/agregat/kodewil_desil.xlsx` for the households of one snapshot."""
    counts = desil_counts(keluarga)
    path = folder / AGREGAT_FOLDER / "kodewil_desil.xlsx"
    path.parent.mkdir(parents=True, exist_ok=True)
    header = ["NMKAB", "NMKEC", "NMDESA", "kdprov", "kdkab", "kdkec", "kddesa", *counts.columns]
    with xlsxwriter.Workbook(path) as book:
        sheet = book.add_worksheet("desil_desa")
        bold = book.add_format({"bold": True})
        sheet.write(0, 0, "JUMLAH KELUARGA MENURUT DESIL PER DESA/KELURAHAN", bold)
        sheet.write(1, 0, f"Sumber: DTSEN, keadaan {folder.name}")
        sheet.write_row(3, 0, header, bold)
        row = 4
        for code, values in counts.iterrows():
            names = [name_of(code[:4]), name_of(code[:6]), name_of(code)]
            parts = [int(code[:2]), int(code[2:4]), int(code[4:6]), int(code[6:])]
            sheet.write_row(row, 0, [n.upper() for n in names] + parts + values.tolist())
            row += 1
        sheet.write_row(row, 0, ["JUMLAH", None, None, None, None, None, None])
        sheet.write_row(row, 7, counts.sum().tolist(), bold)
    return path


def write_p3ke_workbooks(folder: Path, keluarga: pd.DataFrame, anggota: pd.DataFrame) -> list[Path]:
    """One P3KE workbook per desa under `folder/p3ke/`: desil 1–4 households and their
    living members (P3KE lists neither richer households nor the dead or moved)."""
    desil = pd.to_numeric(keluarga["desil"].replace("", None), errors="coerce")
    households = keluarga[desil.isin(P3KE_DESIL)]
    living = anggota[anggota["status"] == "hidup"]
    living = living[living["id_keluarga"].isin(set(households["id_keluarga"]))]
    paths = []
    for code, rows in households.groupby("kode_wilayah", sort=True):
        members = living[living["id_keluarga"].isin(set(rows["id_keluarga"]))]
        path = folder / P3KE_FOLDER / f"P3KE_{code}.xlsx"
        path.parent.mkdir(parents=True, exist_ok=True)
        _p3ke_workbook(path, folder.name, code, rows, members)
        paths.append(path)
    return paths


def _dotted(code: str) -> str:
    return f"{code[:2]}.{code[2:4]}.{code[4:6]}.{code[6:]}"


def _p3ke_workbook(
    path: Path, snapshot: str, code: str, keluarga: pd.DataFrame, anggota: pd.DataFrame
) -> None:
    region = [name_of(code[:2]), name_of(code[:4]), name_of(code[:6]), name_of(code)]
    heads = anggota[anggota["hubungan"] == "1"].drop_duplicates("id_keluarga")
    head = heads.set_index("id_keluarga")
    desil_of = dict(zip(keluarga["id_keluarga"], keluarga["desil"], strict=True))
    with xlsxwriter.Workbook(path) as book:
        bold = book.add_format({"bold": True})
        text = book.add_format({"num_format": "@"})
        for title, columns in (
            ("Keluarga", KELUARGA_SHEET_COLUMNS),
            ("Individu", INDIVIDU_SHEET_COLUMNS),
        ):
            sheet = book.add_worksheet(title)
            sheet.write(0, 0, f"DATA P3KE - {title.upper()}", bold)
            sheet.write(1, 0, "Pensasaran Percepatan Penghapusan Kemiskinan Ekstrem")
            for offset, (label, value) in enumerate(
                zip(
                    ("Provinsi", "Kabupaten/Kota", "Kecamatan", "Desa/Kelurahan"),
                    region,
                    strict=True,
                )
            ):
                sheet.write_row(3 + offset, 0, [label, f": {value}"])
            sheet.write_row(8, 0, ["Tanggal Cetak", f": {snapshot}"])
            sheet.write(9, 0, "RAHASIA - hanya untuk verifikasi dan validasi")
            sheet.write_row(P3KE_HEADER_ROW - 1, 0, columns, bold)
        keluarga_sheet = book.get_worksheet_by_name("Keluarga")
        for i, row in enumerate(keluarga.itertuples(index=False)):
            who = head.loc[row.id_keluarga] if row.id_keluarga in head.index else None
            values = [
                i + 1, row.id_keluarga, _dotted(code), *region, int(row.desil),
                None if who is None else who["nama"],
                None if who is None else who["nik"],
                row.no_kk, "Padan", f"RT 00{i % 5 + 1} RW 00{i % 3 + 1}",
                int(row.jumlah_anggota) if row.jumlah_anggota else None,
                "Ya" if i % 3 == 0 else "Tidak", "Ya" if i % 4 == 0 else "Tidak",
                "Tidak", "Tidak", "Tidak", "Ya" if i % 3 == 0 else "Tidak",
            ]  # fmt: skip
            _write_row(keluarga_sheet, P3KE_HEADER_ROW + i, values, text, (9, 10))
        individu_sheet = book.get_worksheet_by_name("Individu")
        for i, row in enumerate(anggota.itertuples(index=False)):
            values = [
                i + 1, row.id_keluarga, f"{row.id_keluarga}-{i + 1:02d}", *region,
                int(desil_of[row.id_keluarga]), row.nama, row.nik, "Padan",
                JENIS_KELAMIN.get(row.jenis_kelamin, row.jenis_kelamin),
                HUBUNGAN.get(row.hubungan, row.hubungan), row.tanggal_lahir,
                "Kawin" if row.hubungan in ("1", "2") else "Belum Kawin", "Lainnya", "SD/Sederajat",
            ]  # fmt: skip
            _write_row(individu_sheet, P3KE_HEADER_ROW + i, values, text, (9,))


def _write_row(sheet, row: int, values: list, text, text_columns: tuple[int, ...]) -> None:
    """NIK and KK numbers as text cells (as the P3KE export keeps them)."""
    for column, value in enumerate(values):
        if value is None or value == "":
            continue
        if column in text_columns:
            sheet.write_string(row, column, str(value), text)
        else:
            sheet.write(row, column, value)


SIKS_NG_FOLDER = "siks_ng"
SIKS_NG_COLUMNS = (
    "No", "IDDTKS", "Provinsi", "Kabupaten_Kota", "Kecamatan", "Desa_Kelurahan", "Nomor KK",
    "NIK", "Nama", "Hub_Keluarga", "Jenis_Kelamin", "Tgl_Lahir", "Keterangan_padan", "Desil",
    "Bansos_Pkh", "Bansos_Bpnt", "Pbi_Jkn",
)  # fmt: skip
SIKS_NG_HUBUNGAN = {**HUBUNGAN, "2": "Istri"}


def _number(identifier: str) -> int:
    digits = "".join(ch for ch in identifier if ch.isdigit())
    return int(digits) if digits else 0


def siks_ng_flags(desil: str, id_keluarga: str) -> tuple[bool, bool]:
    """The demo's (PKH, BPNT) flags of a household: most eligible households, and a few
    that are not (desil 6–7, so that inclusion errors show)."""
    d, n = (int(desil) if desil else 0), _number(id_keluarga)
    pkh = (1 <= d <= 4 and n % 2 == 0) or (d in (6, 7) and n % 7 == 0)
    bpnt = 1 <= d <= 5 and n % 3 != 0
    return pkh, bpnt


def siks_ng_pbi(desil: str, nik: str) -> bool:
    """The demo's PBI-JK flag of a person (an individu programme)."""
    d, day = (int(desil) if desil else 0), _number(nik[6:8])  # the NIK's day of birth
    return 1 <= d <= 5 and day % 2 == 0


def write_siks_ng_export(
    folder: Path, kode_kabkota: str, keluarga: pd.DataFrame, anggota: pd.DataFrame
) -> Path:
    """`folder/siks_ng/<kode_kabkota>/DTKS_<kode_kabkota>.csv`: one `;`-separated row per
    living person (DTKS drops the deceased), desa by NAME (upper case, as exported)."""
    path = folder / SIKS_NG_FOLDER / kode_kabkota / f"DTKS_{kode_kabkota}.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    households = keluarga.set_index("id_keluarga")
    living = anggota[anggota["status"] == "hidup"]
    living = living[living["id_keluarga"].isin(households.index)]
    rows = []
    for i, person in enumerate(living.itertuples(index=False)):
        household = households.loc[person.id_keluarga]
        code = household["kode_wilayah"].replace(".", "")
        pkh, bpnt = siks_ng_flags(household["desil"], person.id_keluarga)
        rows.append(
            [
                i + 1, person.id_keluarga, name_of(code[:2]).upper(), name_of(code[:4]).upper(),
                name_of(code[:6]).upper(), name_of(code).upper(), household["no_kk"],
                person.nik, person.nama, SIKS_NG_HUBUNGAN.get(person.hubungan, "Lainnya"),
                JENIS_KELAMIN.get(person.jenis_kelamin, ""), person.tanggal_lahir, "Padan",
                household["desil"], "Y" if pkh else "N", "Y" if bpnt else "N",
                "Y" if siks_ng_pbi(household["desil"], person.nik) else "N",
            ]
        )  # fmt: skip
    frame = pd.DataFrame(rows, columns=list(SIKS_NG_COLUMNS))
    frame.to_csv(path, sep=";", index=False)
    return path


def convert(
    raw_dir: Path,
    *,
    agregat: str | None = None,
    p3ke: str | None = None,
    siks_ng: str | None = None,
) -> dict:
    """Rewrite the demo registry under `raw_dir` so that kabupaten/kota `agregat` is known
    only by desa aggregates, `p3ke` only by P3KE workbooks and `siks_ng` only by SIKS-NG
    exports (every snapshot). Returns what was taken out of the tidy files, by layout."""
    result = {}
    if agregat:
        taken = take_out(raw_dir, agregat)
        for snapshot, keluarga in taken.keluarga.items():
            write_desil_aggregates(raw_dir / "registry" / snapshot, keluarga)
        result["agregat"] = taken
    if p3ke:
        taken = take_out(raw_dir, p3ke)
        for snapshot, keluarga in taken.keluarga.items():
            folder = raw_dir / "registry" / snapshot
            write_p3ke_workbooks(folder, keluarga, taken.anggota[snapshot])
        result["p3ke"] = taken
    if siks_ng:
        taken = take_out(raw_dir, siks_ng)
        for snapshot, keluarga in taken.keluarga.items():
            folder = raw_dir / "registry" / snapshot
            write_siks_ng_export(folder, siks_ng, keluarga, taken.anggota[snapshot])
        result["siks_ng"] = taken
    return result
