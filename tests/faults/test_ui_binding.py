"""Who may see what: `tepat dev` (make dev) serves the Dagster UI on 127.0.0.1 only.

The UI has no login; started for real, its socket must listen on the loopback address, not on
every interface (DESIGN §5, README "Dagster UI").
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.faults


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def listening_addresses(port: int) -> set[str]:
    """Local addresses with a socket in LISTEN on `port`, from /proc/net/tcp and tcp6."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        if not Path(table).exists():
            continue
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.split(":")
            if state != "0A" or int(hex_port, 16) != port:
                continue
            if len(address) == 8:
                found.add(socket.inet_ntop(socket.AF_INET, bytes.fromhex(address)[::-1]))
            else:
                raw = b"".join(bytes.fromhex(address[i : i + 8])[::-1] for i in range(0, 32, 8))
                found.add(socket.inet_ntop(socket.AF_INET6, raw))
    return found


def test_make_dev_serves_the_ui_on_this_machine_only(tepat_env, tmp_path):
    port = free_port()
    env = {**os.environ, "TEPAT_UI_PORT": str(port)}
    env.pop("TEPAT_UI_HOST", None)
    tepat = Path(sys.executable).parent / "tepat"
    log = (tmp_path / "dev.log").open("w")
    process = subprocess.Popen(
        [str(tepat), "dev"], env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/server_info", timeout=5):
                    break
            except OSError:
                assert process.poll() is None, (tmp_path / "dev.log").read_text()[-3000:]
                assert time.monotonic() < deadline, "the Dagster UI did not come up in 3 min"
                time.sleep(1)
        assert listening_addresses(port) == {"127.0.0.1"}
        # `tepat dev` runs `dg dev`: no "`dagster dev` is superseded" warning (issue 17).
        assert "superseded" not in (tmp_path / "dev.log").read_text().lower()
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        log.close()
