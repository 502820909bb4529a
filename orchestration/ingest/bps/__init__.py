"""Read BPS poverty statistics in any of the forms of DESIGN §2.1 into one tidy table.

The package, by concern:
- `orchestration.ingest.grid` (outside, not BPS-specific): bytes → text → grid of cells;
- `common`: the tidy SCHEMA, INDICATORS, ranges, BpsFileError, indicator/unit/month/year
  wordings;
- `numbers`: the decimal rule and missing values;
- `forms`: detecting the tidy CSV, the long download and the BPS table, and reading them;
- `webapi`: the BPS Web API JSON response;
- `regions`: region names → Kemendagri codes (aliases, provinces, the national row);
- `reader`: `read_bps_file`, which ties them together and quarantines implausible rows.
"""

from orchestration.ingest.bps.common import INDICATORS, NATIONAL_CODE, SCHEMA, BpsFileError
from orchestration.ingest.bps.numbers import NumberRule
from orchestration.ingest.bps.reader import read_bps_file
from orchestration.ingest.bps.regions import SHIPPED_ALIASES, _load_aliases, name_key

_NumberRule = NumberRule  # the name tests used before the split

#: bumped when the same file reads differently (new columns, national row, quarantine), so
#: the loader reloads BPS files it loaded with an older reader
READER_VERSION = "2"

__all__ = [
    "INDICATORS",
    "NATIONAL_CODE",
    "READER_VERSION",
    "SCHEMA",
    "SHIPPED_ALIASES",
    "BpsFileError",
    "NumberRule",
    "_load_aliases",
    "_NumberRule",
    "name_key",
    "read_bps_file",
]
