"""The programme table of the demo: four national programmes and seven Kota Kupang OPD ones.

Eligibility follows what is used nationally (Kepmensos 79/HUK/2025: PKH desil 1–4,
Sembako/BPNT desil 1–5, PBI-JK desil 1–5; PIP for school-age children 6–21 of poor
households). Amounts per distribution are realistic orders of magnitude, not official tariffs.
The Kota Kupang programmes are plausible OPD activities with small coverage, funded by the
APBD; they exist only in 5371.

This module is pure data plus the `referensi/program.csv` table built from it.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

KOTA_KUPANG = "5371"


@dataclass(frozen=True)
class Programme:
    """One programme as the demo uses it.

    `quarterly` programmes have one roster per tahap (1–4); the others one whole-year roster
    (tahap empty, period end 31 December). `coverage` is the range the share of eligible
    units drawn as base recipients is picked from, once per programme × kabupaten/kota.
    `nilai` is the amount per row (Rp); PIP pays by school level instead (`PIP_NILAI`).
    """

    kode: str
    nama: str
    kode_opd: str
    nama_opd: str
    sumber_dana: str
    unit: str  # keluarga | individu
    desil_min: int
    desil_max: int
    usia_min: int | None
    usia_max: int | None
    quarterly: bool
    nilai: int
    coverage: tuple[float, float]
    local_region: str | None = None  # None: rostered in every demo region

    @property
    def is_keluarga(self) -> bool:
        return self.unit == "keluarga"

    @property
    def has_age_range(self) -> bool:
        return self.usia_min is not None or self.usia_max is not None

    @property
    def age_bounds(self) -> tuple[int, int]:
        """(min, max) completed years; open ends become 0 / 200."""
        lo = 0 if self.usia_min is None else self.usia_min
        hi = 200 if self.usia_max is None else self.usia_max
        return lo, hi


#: PIP per school level, by age on the period's last day: SD 6–12, SMP 13–15, SMA/SMK 16–21.
PIP_NILAI: tuple[tuple[int, int, int], ...] = (
    (6, 12, 450_000),
    (13, 15, 750_000),
    (16, 21, 1_800_000),
)

_KEMENSOS = ("KEMENSOS", "Kementerian Sosial")

PROGRAMMES: tuple[Programme, ...] = (
    Programme(
        "PKH", "Program Keluarga Harapan", *_KEMENSOS, "APBN", "keluarga", 1, 4,
        None, None, True, 750_000, (0.65, 0.85),
    ),
    Programme(
        "BPNT", "Bantuan Pangan Non Tunai (Program Sembako)", *_KEMENSOS, "APBN", "keluarga",
        1, 5, None, None, True, 600_000, (0.60, 0.80),
    ),
    Programme(
        "PBI_JK", "Penerima Bantuan Iuran Jaminan Kesehatan", "KEMENKES",
        "Kementerian Kesehatan", "APBN", "individu", 1, 5, None, None, True, 126_000,
        (0.70, 0.85),
    ),
    Programme(
        "PIP", "Program Indonesia Pintar", "KEMENDIKDASMEN",
        "Kementerian Pendidikan Dasar dan Menengah", "APBN", "individu", 1, 4, 6, 21, False,
        0, (0.60, 0.80),
    ),
    Programme(
        "KPG_RTLH", "Rehabilitasi Rumah Tidak Layak Huni", "DISPERKIM",
        "Dinas Perumahan dan Kawasan Permukiman Kota Kupang", "APBD", "keluarga", 1, 3,
        None, None, False, 20_000_000, (0.03, 0.06), KOTA_KUPANG,
    ),
    Programme(
        "KPG_PERMAKANAN_LANSIA", "Permakanan Lanjut Usia", "DINSOS", "Dinas Sosial Kota Kupang",
        "APBD", "individu", 1, 4, 60, None, True, 1_350_000, (0.08, 0.15), KOTA_KUPANG,
    ),
    Programme(
        "KPG_PMT_BALITA", "Pemberian Makanan Tambahan Balita", "DINKES",
        "Dinas Kesehatan Kota Kupang", "APBD", "individu", 1, 5, 0, 4, True, 450_000,
        (0.08, 0.15), KOTA_KUPANG,
    ),
    Programme(
        "KPG_PELATIHAN_KERJA", "Pelatihan Kerja Berbasis Kompetensi", "DISNAKER",
        "Dinas Tenaga Kerja Kota Kupang", "APBD", "individu", 1, 5, 18, 45, False, 2_500_000,
        (0.03, 0.05), KOTA_KUPANG,
    ),
    Programme(
        "KPG_BIBIT_TANI", "Bantuan Bibit dan Sarana Produksi Pertanian", "DISTAN",
        "Dinas Pertanian Kota Kupang", "APBD", "keluarga", 1, 4, None, None, False, 1_500_000,
        (0.04, 0.10), KOTA_KUPANG,
    ),
    Programme(
        "KPG_MODAL_UMKM", "Bantuan Modal Usaha Mikro", "DISPERINDAG",
        "Dinas Perindustrian dan Perdagangan Kota Kupang", "APBD", "keluarga", 1, 5, None,
        None, False, 5_000_000, (0.03, 0.08), KOTA_KUPANG,
    ),
    Programme(
        "KPG_DANA_BERGULIR", "Dana Bergulir Pemberdayaan Ekonomi Masyarakat Kelurahan", "KEL",
        "Kelurahan se-Kota Kupang (dana bergulir PEMK)", "APBD", "keluarga", 1, 5, None, None,
        False, 3_000_000, (0.03, 0.08), KOTA_KUPANG,
    ),
)  # fmt: skip


def program_table() -> pa.Table:
    """`referensi/program.csv` (DESIGN §2.4); usia_min/usia_max empty when open."""
    return pa.table(
        {
            "kode_program": [p.kode for p in PROGRAMMES],
            "nama_program": [p.nama for p in PROGRAMMES],
            "kode_opd": [p.kode_opd for p in PROGRAMMES],
            "nama_opd": [p.nama_opd for p in PROGRAMMES],
            "sumber_dana": [p.sumber_dana for p in PROGRAMMES],
            "unit_sasaran": [p.unit for p in PROGRAMMES],
            "desil_min": pa.array([p.desil_min for p in PROGRAMMES], pa.int8()),
            "desil_max": pa.array([p.desil_max for p in PROGRAMMES], pa.int8()),
            "usia_min": pa.array([p.usia_min for p in PROGRAMMES], pa.int16()),
            "usia_max": pa.array([p.usia_max for p in PROGRAMMES], pa.int16()),
        }
    )
