"""The pseudonym secret: HMAC-SHA256 keys for personal identifiers outside the restricted layer.

Where a per-person key must leave the restricted layer (the audit trail records whose NIKs
each export held), it is `pseudonym(nik)`: a keyed hash that nobody without the secret can
reverse or recompute from a list of NIKs. The secret is never in the repository:

1. `TEPAT_PSEUDONYM_KEY` (the secret itself, at least 32 characters), else
2. the key file `TEPAT_PSEUDONYM_KEY_FILE`, default `$XDG_CONFIG_HOME/tepat/pseudonym.key`
   (`~/.config/tepat/pseudonym.key`), created on first use with 32 random bytes, mode 0600.

The key is never printed or logged. Losing it only means old pseudonyms can no longer be
matched to a NIK; keep a copy where the deployment keeps its other secrets.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets as _random
import stat
import sys
from collections.abc import Mapping
from pathlib import Path

KEY_ENV = "TEPAT_PSEUDONYM_KEY"
KEY_FILE_ENV = "TEPAT_PSEUDONYM_KEY_FILE"
MIN_KEY_CHARS = 32


class PseudonymKeyError(RuntimeError):
    """The secret is missing, too short, or its file is readable by others."""


def key_file(environ: Mapping[str, str] | None = None) -> Path:
    env = os.environ if environ is None else environ
    if env.get(KEY_FILE_ENV):
        return Path(env[KEY_FILE_ENV]).expanduser().absolute()
    config = Path(env.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return (config / "tepat" / "pseudonym.key").absolute()


def _inside_repository(path: Path) -> bool:
    from orchestration.paths import PROJECT_ROOT

    return path == PROJECT_ROOT or PROJECT_ROOT in path.resolve().parents


def ensure_pseudonym_key(environ: Mapping[str, str] | None = None) -> Path | None:
    """Create the key file on first use (mode 0600); None when the environment holds the key.

    Says where the key was created (never the key itself), on stderr, the one time it is.
    """
    env = os.environ if environ is None else environ
    if env.get(KEY_ENV):
        return None
    path = key_file(env)
    if path.exists():
        return path
    if _inside_repository(path):
        raise PseudonymKeyError(
            f"The pseudonym key file {path} would be inside the repository; "
            f"point {KEY_FILE_ENV} outside it."
        )
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(_random.token_hex(32) + "\n")
    print(f"Created the pseudonym key {path} (mode 600; keep a copy, never share it).",
          file=sys.stderr)  # fmt: skip
    return path


def pseudonym_key(environ: Mapping[str, str] | None = None) -> bytes:
    """The secret as bytes, from the environment or the key file (created when missing)."""
    env = os.environ if environ is None else environ
    value = env.get(KEY_ENV)
    if value is None:
        path = ensure_pseudonym_key(env)
        assert path is not None
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            raise PseudonymKeyError(
                f"The pseudonym key file {path} is readable by others (mode {mode:o}): "
                f"run `chmod 600 {path}`."
            )
        value = path.read_text().strip()
    if len(value) < MIN_KEY_CHARS:
        raise PseudonymKeyError(
            f"The pseudonym key is shorter than {MIN_KEY_CHARS} characters: set a longer "
            f"{KEY_ENV}, or remove it to use the key file {key_file(env)}."
        )
    return value.encode()


def pseudonym(value: str, key: bytes) -> str:
    """HMAC-SHA256 of one identifier (e.g. a NIK), as 64 hex characters."""
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()
