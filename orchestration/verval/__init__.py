"""Verval (field verification) lists: the one place tepat hands out personal data.

`tepat verval` writes, for one region, the households a field team should visit and why
(restricted.verval_kasus), into data/exports/restricted/ with owner-only permissions, and
only with a stated purpose; every export is recorded in an append-only audit trail that
`tepat audit` lists. See docs/privacy.md.

Nothing here runs at import: `register(app)` adds the commands to the tepat CLI, and
`ensure_pseudonym_key()` creates the pseudonym secret on first use.
"""

from __future__ import annotations

from orchestration.verval.secrets import ensure_pseudonym_key


def register(app) -> None:
    """Add `tepat verval` and `tepat audit` to the main typer app."""
    from orchestration.verval.cli import audit, verval

    app.command("verval")(verval)
    app.command("audit")(audit)


__all__ = ["ensure_pseudonym_key", "register"]
