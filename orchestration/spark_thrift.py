"""A real Spark Thrift Server on 127.0.0.1, started from the pyspark package (issue 19).

`TEPAT_SPARK_METHOD=thrift` sends the night's SQL to a Spark Thrift Server instead of
running Spark in the dbt process. `thrift_server` starts one — the same
`org.apache.spark.sql.hive.thriftserver.HiveThriftServer2` that `sbin/start-thriftserver.sh`
runs, from `jars/spark-hive-thriftserver_*.jar` of the pip install — and stops it again,
however the `with` block ends.

How tepat needs the server started (README "Scaling out"):
- **Catalog in memory** (`spark.sql.catalogImplementation=in-memory`): the default, Hive's
  embedded Derby metastore, cuts a view's SQL at 32,700 characters, and the staging views
  are longer. The catalog lives as long as the server: a night's tables replace the last
  night's (profiles.yml and macros/engine.sql say how).
- **Static settings on the server's command line**: master, memory, warehouse folder and
  catalog are fixed when the server starts; a dbt session cannot change them.
- **The data folder at the same path**: the server reads the raw tables tepat hands over
  and writes the night's tables into `data/spark/builds/<run>/`, where DuckDB reads them.

Like orchestration/spark_cluster.py: loopback only, a free port, logs and the server's own
files in `work_dir`, an empty Spark conf folder (nothing of the machine leaks in), its own
process group (SIGTERM, then SIGKILL; no JVM left), and `setpriv --pdeathsig` where it
exists, so the server also dies with the Python process that started it.

    with thrift_server(work_dir=tmp_path) as server:
        os.environ |= server.environment()   # TEPAT_SPARK_METHOD, _HOST, _PORT

`python -m orchestration.spark_thrift` starts one and waits for Ctrl-C.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from orchestration.spark_cluster import (
    HOST,
    ClusterError,
    free_ports,
    java_command,
    process_group_alive,
    signal_group,
    spark_home,
    spawn_in_own_group,
    wait_group,
)

SERVER_CLASS = "org.apache.spark.sql.hive.thriftserver.HiveThriftServer2"

#: Seconds the server gets to stop after SIGTERM before it is killed.
STOP_GRACE_SECONDS = 10.0

#: Attempts at starting when the picked port was taken before the server bound it.
_START_ATTEMPTS = 3

_LOG_TAIL_LINES = 25


class ThriftServerError(ClusterError):
    """The server could not be started (or stopped); the message says why in plain words."""


@dataclasses.dataclass(frozen=True)
class ThriftServer:
    host: str
    port: int
    pid: int  # leads its own process group
    log: Path
    warehouse: Path  # spark.sql.warehouse.dir: only the catalog's empty schema folders

    def environment(self) -> dict[str, str]:
        """What `tepat run --engine spark` needs to send its SQL here."""
        return {
            "TEPAT_SPARK_METHOD": "thrift",
            "TEPAT_SPARK_HOST": self.host,
            "TEPAT_SPARK_PORT": str(self.port),
        }

    def sql(self, statement: str) -> list[tuple]:
        """Run one statement in a session of its own (PyHive, as dbt-spark connects)."""
        from pyhive import hive

        with (
            contextlib.closing(hive.connect(host=self.host, port=self.port)) as con,
            contextlib.closing(con.cursor()) as cursor,
        ):
            cursor.execute(statement)
            return cursor.fetchall() if cursor.description else []


def server_conf(work_dir: Path, master: str, driver_memory: str) -> dict[str, str]:
    """The server's static Spark settings (see the module docstring)."""
    return {
        "spark.master": master,
        "spark.app.name": "tepat-thrift",
        "spark.driver.memory": driver_memory,
        "spark.driver.host": HOST,
        "spark.driver.bindAddress": HOST,
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
        "spark.sql.catalogImplementation": "in-memory",
        "spark.sql.warehouse.dir": str(work_dir / "warehouse"),
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.shuffle.partitions": "8",
        # Hive's per-session folders (scratch, resources, operation logs) default to the
        # JVM's temp folder: keep them in work_dir. Each session creates its own subfolder
        # there (a fixed folder for all would make concurrent sessions fail to open).
        "spark.driver.extraJavaOptions": f"-Djava.io.tmpdir={work_dir / 'tmp'}",
        "spark.hadoop.hive.exec.scratchdir": str(work_dir / "scratch"),
    }


@contextlib.contextmanager
def thrift_server(
    *,
    work_dir: Path,
    master: str = "local[2]",
    driver_memory: str = "1g",
    timeout: float = 120.0,
) -> Iterator[ThriftServer]:
    """A Spark Thrift Server on 127.0.0.1 (a free port), alive inside the block.

    Waits until it answers `select 1` (else `ThriftServerError` after `timeout` seconds,
    quoting the end of its log). On leaving the block stops it and leaves no JVM behind."""
    home = spark_home()
    java = java_command()
    work_dir = Path(work_dir).resolve()
    for folder in ("conf", "logs", "warehouse", "tmp"):
        (work_dir / folder).mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    env.update(
        SPARK_HOME=str(home),
        SPARK_CONF_DIR=str(work_dir / "conf"),
        SPARK_LOG_DIR=str(work_dir / "logs"),
        SPARK_LOCAL_IP=HOST,
        SPARK_LOCAL_HOSTNAME=HOST,
        PYSPARK_PYTHON=sys.executable,
    )
    env.setdefault("JAVA_HOME", str(Path(java).resolve().parent.parent))
    log = work_dir / "logs" / "thrift-server.log"

    process: subprocess.Popen | None = None
    try:
        for attempt in range(1, _START_ATTEMPTS + 1):
            port = free_ports(1)[0]
            command = [str(home / "bin" / "spark-submit"), "--class", SERVER_CLASS]
            for key, value in server_conf(work_dir, master, driver_memory).items():
                command += ["--conf", f"{key}={value}"]
            command += [
                "spark-internal",
                "--hiveconf",
                f"hive.server2.thrift.port={port}",
                "--hiveconf",
                f"hive.server2.thrift.bind.host={HOST}",
            ]
            process, offset = spawn_in_own_group(command, env, work_dir, log)
            server = ThriftServer(HOST, port, process.pid, log, work_dir / "warehouse")
            failure = _wait_until_ready(server, process, offset, time.monotonic() + timeout)
            if failure is None:
                break
            _stop(process)
            process = None
            taken = "Address already in use" in failure or "BindException" in failure
            if not (taken and attempt < _START_ATTEMPTS):
                raise ThriftServerError(failure)
        yield server
    finally:
        if process is not None:
            _stop(process)


def _output(log: Path, offset: int) -> str:
    try:
        with open(log, "rb") as f:
            f.seek(offset)
            return f.read().decode(errors="replace")
    except OSError:
        return ""


def _tail(log: Path, offset: int) -> str:
    lines = _output(log, offset).splitlines()[-_LOG_TAIL_LINES:]
    body = "\n".join(f"  {line}" for line in lines) or "  (empty)"
    return f"--- end of {log} ---\n{body}\n"


def _wait_until_ready(
    server: ThriftServer, process: subprocess.Popen, offset: int, deadline: float
) -> str | None:
    """None once the server answers `select 1`; else why not, in plain words."""
    while True:
        if process.poll() is not None:
            return (
                f"The Spark Thrift Server did not start: it stopped right away (exit code "
                f"{process.returncode}).\n{_tail(server.log, offset)}"
            )
        with contextlib.suppress(OSError):
            with socket.create_connection((server.host, server.port), timeout=1):
                pass
            with contextlib.suppress(Exception):  # listening, but not serving yet
                if server.sql("select 1") == [(1,)]:
                    return None
        if time.monotonic() > deadline:
            return (
                f"The Spark Thrift Server did not answer on {server.host}:{server.port} in "
                f"time.\n{_tail(server.log, offset)}"
            )
        time.sleep(0.5)


def _stop(process: subprocess.Popen) -> None:
    """SIGTERM to the server's group, SIGKILL after the grace time; then check."""
    try:
        signal_group(process.pid, signal.SIGTERM)
        wait_group(process, time.monotonic() + STOP_GRACE_SECONDS)
    finally:
        signal_group(process.pid, signal.SIGKILL)
        wait_group(process, time.monotonic() + STOP_GRACE_SECONDS)
    if process_group_alive(process.pid):
        raise ThriftServerError(
            f"The Spark Thrift Server (process group {process.pid}) still runs after SIGKILL"
        )


def main(argv: list[str] | None = None) -> int:
    """Start a server, print how to use it, wait for Ctrl-C."""
    parser = argparse.ArgumentParser(
        prog="python -m orchestration.spark_thrift",
        description="A Spark Thrift Server on 127.0.0.1 until Ctrl-C.",
    )
    parser.add_argument("--master", default="local[2]", help="local[N] or spark://host:port")
    parser.add_argument("--driver-memory", default="1g")
    parser.add_argument("--work-dir", type=Path, help="logs and catalog folders (default: temp)")
    args = parser.parse_args(argv)
    work_dir = args.work_dir or Path(tempfile.mkdtemp(prefix="tepat-thrift-"))
    started = time.monotonic()
    try:
        with thrift_server(
            work_dir=work_dir, master=args.master, driver_memory=args.driver_memory
        ) as server:
            print(f"Spark Thrift Server on {server.host}:{server.port}", flush=True)
            print(f"Log: {server.log}", flush=True)
            variables = " ".join(f"{k}={v}" for k, v in server.environment().items())
            print(f"Ready in {time.monotonic() - started:.1f} s. Run a night on it:", flush=True)
            print(f"  {variables} .venv/bin/tepat run --engine spark", flush=True)
            print("Ctrl-C stops the server.", flush=True)
            while True:
                time.sleep(3600)
    except KeyboardInterrupt:
        print("Spark Thrift Server stopped.")
        return 0
    except ClusterError as error:
        print(error, file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
