"""The categories of roster rows: what `rosters` injects and `truth` counts.

Disjoint by construction (a unit appears in at most one category per roster, except
duplicates, which repeat base units):

1. base — a coverage sample of the eligible units E (a living member's NIK, head first);
2. ineligible — units outside E (desil above the range or not ranked; wrong age);
3. deceased — a deceased person of an eligible-desil household not otherwise listed;
4. no_kk_only (keluarga) — fabricated NIK + the no_kk of an eligible household whose
   no_kk is not shared;
5. not_in_registry — fabricated NIK and no_kk, a real desa of the region;
6. duplicates — extra rows for base units;
7. invalid_nik, 8. excel_mangled (xlsx), 9. unknown_region — quarantine candidates,
   excluded from every recipient count.
"""

CAT_BASE = 1
CAT_INELIGIBLE = 2
CAT_DECEASED = 3
CAT_NO_KK_ONLY = 4
CAT_NOT_IN_REGISTRY = 5
CAT_DUPLICATE = 6
CAT_INVALID_NIK = 7
CAT_EXCEL_MANGLED = 8
CAT_UNKNOWN_REGION = 9
_QUARANTINED = (CAT_INVALID_NIK, CAT_EXCEL_MANGLED, CAT_UNKNOWN_REGION)
