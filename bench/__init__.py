"""`make bench`: the nightly job against a hand-written SQL reference (issue 7)."""
