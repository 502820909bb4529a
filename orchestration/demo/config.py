"""What a demo generation is asked for, and the fixed facts it is built around.

The year and its four quarterly snapshots, the nine demo regions, where the real reference
figures are, and the two knobs a caller turns: `ErrorRates` (how often each data error is
injected) and `Volume` (people per household, roster rows per household; `VOLUMES` by name).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path

YEAR = 2025
SNAPSHOTS: tuple[date, ...] = (
    date(2025, 3, 31),
    date(2025, 6, 30),
    date(2025, 9, 30),
    date(2025, 12, 31),
)
#: The nine demo regions (Kemendagri codes), in the order of the reference README.
REGION_CODES: tuple[str, ...] = (
    "5371",
    "5301",
    "5302",
    "5312",
    "5317",
    "5311",
    "6474",
    "6107",
    "6402",
)
#: Every roster of this region arrives as .xlsx (as does every local KPG_* roster).
XLSX_REGION = "5312"
#: National P0, March 2025 (BPS): the anchor of the national desil scale.
NATIONAL_P0 = 8.47
STALE_MONTHS = 24
MIN_HOUSEHOLDS_PER_REGION = 20
#: Registry NIK and no_kk serials stay below this; fabricated ones use 9000–9999, so a
#: fabricated number can never collide with a registry one.
FABRICATED_SERIAL_MIN = 9000
_EARLIEST_BIRTH = date(1926, 1, 2)  # two-digit NIK years ≤ 25 read as 20xx: nobody older
REFERENCE_DIR = Path(__file__).resolve().parent / "reference"
BPS_REFERENCE = REFERENCE_DIR / "bps_seed_regions.csv"


@dataclass(frozen=True)
class ErrorRates:
    """Rates of every injected error; the defaults are realistic for DTSEN-era rosters.

    Roster rates (ineligible … unknown_region) are relative to the number of base recipient
    rows of each roster (drawn binomially); registry rates are shares of the households of
    the first snapshot (exact counts).
    """

    ineligible: float = 0.06  # recipients added from outside the eligible set
    not_in_registry: float = 0.02  # valid-looking NIKs absent from every snapshot
    no_kk_only: float = 0.01  # keluarga programmes: NIK unknown, no_kk matches a household
    deceased: float = 0.01
    duplicate: float = 0.02
    excel_mangled: float = 0.03  # .xlsx files only
    #: base recipients of .xlsx rosters whose NIK is a number cell but recoverable (their
    #: 15 leading digits are theirs alone, and the name is there)
    excel_recoverable: float = 0.03
    invalid_nik: float = 0.01
    unknown_region: float = 0.005
    asset_contradiction: float = 0.005  # share of households
    shared_no_kk: float = 0.002  # share of households whose no_kk is shared with another
    stale: float = 0.15  # share of households last updated > 24 months before snapshot 1

    def __post_init__(self) -> None:
        for name, value in asdict(self).items():
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"ErrorRates.{name} must be within [0, 1], got {value}")


@dataclass(frozen=True)
class Volume:
    """How many people a household holds and how many rows the rosters list.

    The default is the demo's realistic volume: ≈ 3.3 people per household (national mean
    size by desil) and every programme at its real coverage, ≈ 10.7 roster rows per household
    (eleven programmes, most of them quarterly; PBI-JK alone ≈ 6.5). `BENCH_VOLUME` is the
    shape issue 7 sizes its benchmark by: ≈ 2.5 people and ≈ 1.2 roster rows per household.

    `household_size` is added to every household's mean size (negative: smaller);
    `coverage` multiplies each programme's coverage (the share of eligible units drawn as
    base recipients); every roster error stays at its rate of the base rows.
    """

    household_size: float = 0.0
    coverage: float = 1.0

    def __post_init__(self) -> None:
        if not -2.5 <= self.household_size <= 3.0:
            raise ValueError(
                f"Volume.household_size must be within [-2.5, 3], got {self.household_size}"
            )
        if not 0.0 < self.coverage <= 1.0:
            raise ValueError(f"Volume.coverage must be within (0, 1], got {self.coverage}")


#: Issue 7's benchmark shape: ≈ 2.5 people and ≈ 1.2 roster rows per household.
BENCH_VOLUME = Volume(household_size=-0.8, coverage=0.13)
#: The volumes by name (`make bench --volume`).
VOLUMES: dict[str, Volume] = {"bench": BENCH_VOLUME, "demo": Volume()}
