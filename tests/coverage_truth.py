"""Which ground-truth field of a roster each mart_program_coverage column must equal.

Shared by the end-to-end tests of the marts and the test of the bench's hand-written
reference, which compute the same numbers.
"""

# column ← ground-truth field, per roster (programme × kabupaten/kota × tahap)
COVERAGE_TRUTH = {
    "sasaran_layak": "sasaran_layak",
    "penerima": "penerima",
    "penerima_layak": "penerima_layak",
    "penerima_tidak_layak": "penerima_tidak_layak",
    "penerima_tidak_padan": "not_in_registry",
    "penerima_meninggal": "deceased_recipients",
    "baris_ganda": "duplicate_rows",
    "nilai_bantuan": "nilai_bantuan_valid_rows",
}
