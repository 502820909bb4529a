"""A real Apache Spark standalone cluster on 127.0.0.1, started from the pyspark package.

The nightly job runs on Spark either in-process (`local[*]`) or against a standalone
master (`spark://host:port`, issue 19). To test the second for real, and to let someone try
"Scaling out" on one machine, `standalone_cluster` starts one master and N workers — the
same `spark-class org.apache.spark.deploy.master.Master` / `…worker.Worker` daemons a
data centre runs — and stops them again, however the `with` block ends.

Why it is built the way it is:
- **Spark comes from pyspark.** The pip package ships `bin/spark-class` and `jars/`, so no
  separate Spark download is needed; `$SPARK_HOME` wins when set, as it does for the
  driver pyspark starts, so driver and cluster always run the same jars.
- **Loopback only, free ports only.** Every daemon binds 127.0.0.1 on ports picked free
  at start (never 7077/8080: tests run in parallel, and a second CI may run on the same
  host). `spark.port.maxRetries=0`: if another process takes a port in the moment between
  picking and binding, Spark would otherwise bind the next port up without a word and the
  master URL would be wrong; instead the daemon fails and the cluster is started again on
  new ports. The master's REST submission server (port 6066 by default) is turned off.
- **Nothing in the current directory.** Logs (`<work_dir>/logs/`, one file per daemon),
  the workers' application directories and an empty Spark conf directory (so no
  `spark-env.sh` or `spark-defaults.conf` of the machine leaks in) all live in `work_dir`.
- **No JVM left behind.** Each daemon is its own process group (`start_new_session`); the
  executors a worker launches join its group. Stopping sends SIGTERM to the workers' groups,
  then the master's, waits a few seconds, then SIGKILLs what is left, and checks that no
  process of those groups is alive. Where util-linux `setpriv` exists, the daemons also
  get SIGTERM when the Python process dies without cleaning up (`kill -9`, a CI timeout
  that SIGTERMs pytest): the kernel's parent-death signal. That signal follows the thread
  that started the cluster, so start it from the thread that also uses it.

Small by default: this is for tests and a first try on a laptop, not for a night of 95 M
families (bench/README.md says what that needs).

    with standalone_cluster(work_dir=tmp_path, workers=2) as cluster:
        spark = SparkSession.builder.config(map=cluster.driver_conf()).getOrCreate()

`python -m orchestration.spark_cluster` starts one and waits for Ctrl-C.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import importlib.util
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

HOST = "127.0.0.1"

MASTER_CLASS = "org.apache.spark.deploy.master.Master"
WORKER_CLASS = "org.apache.spark.deploy.worker.Worker"

#: Seconds a daemon gets to stop after SIGTERM before it is killed.
STOP_GRACE_SECONDS = 10.0

#: Attempts at starting the cluster when a picked port was taken before Spark bound it.
_START_ATTEMPTS = 3

#: Lines of each daemon's log quoted in an error.
_LOG_TAIL_LINES = 25

#: What a daemon's log says when its port was taken (`spark.port.maxRetries=0`).
_BIND_FAILURES = ("BindException", "Address already in use", "could not bind")

#: Spark settings of every daemon (written to its `--properties-file`).
_DAEMON_CONF = {
    # fail instead of silently binding the next port up (see the module docstring)
    "spark.port.maxRetries": "0",
    # the REST submission server would listen on 6066, the same port for every cluster
    "spark.master.rest.enabled": "false",
}


class ClusterError(RuntimeError):
    """The cluster could not be started (or stopped); the message says why in plain words."""


@dataclasses.dataclass
class _Daemon:
    name: str  # "master", "worker-1", …
    process: subprocess.Popen
    log: Path
    log_offset: int  # where this start's output begins (a retry appends to the same log)

    @property
    def pid(self) -> int:
        return self.process.pid

    def output(self) -> str:
        """What this daemon wrote to its log since it was started."""
        try:
            with open(self.log, "rb") as f:
                f.seek(self.log_offset)
                return f.read().decode(errors="replace")
        except OSError:
            return ""


@dataclasses.dataclass(frozen=True)
class Cluster:
    """A running standalone cluster: where to reach it and where its logs are."""

    master_url: str  # spark://127.0.0.1:PORT
    web_ui_url: str  # http://127.0.0.1:PORT (the master's; /json/ is its status)
    workers: int
    cores_per_worker: int
    memory_per_worker: str
    log_dir: Path
    work_dir: Path
    #: process ids of the daemons, the master first (each leads its own process group)
    pids: tuple[int, ...] = ()
    #: every port the daemons listen on (master, master UI, each worker and worker UI)
    ports: tuple[int, ...] = ()

    def status(self) -> dict:
        """The master's status (`/json/`): workers, cores, memory, running applications."""
        return _master_status(self.web_ui_url)

    def driver_conf(self, executor_memory: str = "512m") -> dict[str, str]:
        """What a driver on this machine needs to use the cluster: the master URL, the
        driver reachable on loopback (executors connect back to it), every worker's cores
        and a small executor each, and no first job before all executors are there (else
        early tasks run on whichever executor registered first).

        Such an application holds every core until it stops (standalone mode gives cores
        first come, first served): a second session, in another process, waits for it.
        `executor_memory` must fit in `memory_per_worker`, or no executor starts."""
        return {
            "spark.master": self.master_url,
            "spark.driver.host": HOST,
            "spark.driver.bindAddress": HOST,
            "spark.executor.memory": executor_memory,
            "spark.executor.cores": str(self.cores_per_worker),
            "spark.cores.max": str(self.workers * self.cores_per_worker),
            "spark.scheduler.minRegisteredResourcesRatio": "1.0",
            "spark.scheduler.maxRegisteredResourcesWaitingTime": "60s",
            "spark.pyspark.python": sys.executable,
        }


def spark_home() -> Path:
    """The Spark distribution the driver uses too: `$SPARK_HOME`, else the pyspark package."""
    if os.environ.get("SPARK_HOME"):
        home = Path(os.environ["SPARK_HOME"])
    else:
        spec = importlib.util.find_spec("pyspark")
        if spec is None or spec.origin is None:
            raise ClusterError(
                "pyspark is not installed; install the Spark extra: pip install -e '.[spark]'"
            )
        home = Path(spec.origin).parent
    if not (home / "bin" / "spark-class").is_file() or not (home / "jars").is_dir():
        raise ClusterError(
            f"{home} is not a Spark distribution (no bin/spark-class or jars/); "
            "unset SPARK_HOME or point it at a Spark 4 directory"
        )
    return home


def java_command() -> str:
    """The `java` spark-class will run: `$JAVA_HOME/bin/java`, else the one on PATH."""
    if os.environ.get("JAVA_HOME"):
        java = Path(os.environ["JAVA_HOME"]) / "bin" / "java"
        if java.is_file():
            return str(java)
        raise ClusterError(f"JAVA_HOME is {os.environ['JAVA_HOME']}, but it has no bin/java")
    java = shutil.which("java")
    if java is None:
        raise ClusterError("Spark needs Java 17: no `java` on PATH and JAVA_HOME is not set")
    return java


def free_ports(count: int) -> list[int]:
    """`count` different ports free on 127.0.0.1 right now (the kernel picks them)."""
    sockets = []
    try:
        for _ in range(count):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind((HOST, 0))
            sockets.append(s)
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def port_is_free(port: int) -> bool:
    """Whether a server could listen on 127.0.0.1:`port` now. With SO_REUSEADDR, as Spark's
    servers bind: connections of a stopped server still in TIME_WAIT do not count."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((HOST, port))
        except OSError:
            return False
        return True


def process_group_members(pgid: int) -> list[int]:
    """The live (not zombie) processes of process group `pgid`, from /proc (Linux). A
    zombie is still in its group, and in a container nobody may reap the executors a killed
    worker leaves behind, so the kernel's `killpg(pgid, 0)` is not the answer."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # "pid (comm) state ppid pgrp …"; comm may hold spaces and parentheses
        fields = stat[stat.rfind(")") + 2 :].split()
        if len(fields) > 2 and int(fields[2]) == pgid and fields[0] not in ("Z", "X"):
            members.append(int(entry.name))
    return sorted(members)


def process_group_alive(pgid: int) -> bool:
    """Whether any live process is in process group `pgid`."""
    if Path("/proc").is_dir():
        return bool(process_group_members(pgid))
    try:  # not Linux: the kernel's answer, zombies included
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@contextlib.contextmanager
def standalone_cluster(
    *,
    work_dir: Path,
    workers: int = 2,
    cores_per_worker: int = 1,
    memory_per_worker: str = "1g",
    daemon_memory: str = "256m",
    timeout: float = 120.0,
) -> Iterator[Cluster]:
    """A standalone master and `workers` workers on 127.0.0.1, alive inside the block.

    Waits until the master reports all workers ALIVE (else `ClusterError` after `timeout`
    seconds, quoting the end of each daemon's log). On leaving the block — normally, by an
    exception or by Ctrl-C — stops the workers, then the master, and leaves no JVM behind.
    `memory_per_worker` is what executors on a worker may take in all; `daemon_memory` is
    the heap of each master/worker JVM itself."""
    if workers < 1 or cores_per_worker < 1:
        raise ValueError("a cluster needs at least one worker with at least one core")
    home = spark_home()
    java = java_command()
    work_dir = Path(work_dir).resolve()
    log_dir = work_dir / "logs"
    for d in (log_dir, work_dir / "conf", work_dir / "worker", work_dir / "pids"):
        d.mkdir(parents=True, exist_ok=True)
    env = _daemon_env(home, java, work_dir, daemon_memory)

    daemons: list[_Daemon] = []
    try:
        for attempt in range(1, _START_ATTEMPTS + 1):
            daemons, cluster, failure = _start(
                home,
                env,
                work_dir,
                log_dir,
                workers,
                cores_per_worker,
                memory_per_worker,
                time.monotonic() + timeout,
            )
            if failure is None:
                break
            _stop(daemons)
            if not (failure.port_taken and attempt < _START_ATTEMPTS):
                raise ClusterError(failure.message)
            daemons = []
        yield cluster
    finally:
        _stop(daemons)


@dataclasses.dataclass(frozen=True)
class _Failure:
    message: str
    port_taken: bool


def _daemon_env(home: Path, java: str, work_dir: Path, daemon_memory: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        SPARK_HOME=str(home),
        SPARK_CONF_DIR=str(work_dir / "conf"),
        SPARK_LOG_DIR=str(work_dir / "logs"),
        SPARK_WORKER_DIR=str(work_dir / "worker"),
        SPARK_PID_DIR=str(work_dir / "pids"),
        SPARK_LOCAL_IP=HOST,
        SPARK_LOCAL_HOSTNAME=HOST,
        SPARK_DAEMON_MEMORY=daemon_memory,
        PYSPARK_PYTHON=sys.executable,
    )
    if "JAVA_HOME" not in env:
        env["JAVA_HOME"] = str(Path(java).resolve().parent.parent)
    return env


def _start(
    home: Path,
    env: dict[str, str],
    work_dir: Path,
    log_dir: Path,
    workers: int,
    cores: int,
    memory: str,
    deadline: float,
) -> tuple[list[_Daemon], Cluster, _Failure | None]:
    """The master first, and the workers once it is ALIVE: a worker that finds no master
    retries only after 5–15 s, which would double the start time."""
    ports = free_ports(2 + 2 * workers)
    master_port, master_ui = ports[0], ports[1]
    master_url = f"spark://{HOST}:{master_port}"
    spark_class = str(home / "bin" / "spark-class")
    properties = work_dir / "conf" / "daemon.properties"
    properties.write_text("".join(f"{k}={v}\n" for k, v in _DAEMON_CONF.items()))
    common = ["--host", HOST, "--properties-file", str(properties)]

    cluster = Cluster(
        master_url=master_url,
        web_ui_url=f"http://{HOST}:{master_ui}",
        workers=workers,
        cores_per_worker=cores,
        memory_per_worker=memory,
        log_dir=log_dir,
        work_dir=work_dir,
        ports=tuple(ports),
    )
    daemons: list[_Daemon] = []
    try:
        daemons.append(
            _spawn(
                "master",
                [spark_class, MASTER_CLASS, *common]
                + ["--port", str(master_port), "--webui-port", str(master_ui)],
                env,
                work_dir,
                log_dir,
            )
        )
        failure = _wait_until_ready(cluster, daemons, deadline, alive_workers=0)
        if failure is None:
            for i in range(workers):
                port, ui = ports[2 + 2 * i], ports[3 + 2 * i]
                daemons.append(
                    _spawn(
                        f"worker-{i + 1}",
                        [spark_class, WORKER_CLASS, *common]
                        + ["--port", str(port), "--webui-port", str(ui)]
                        + ["--cores", str(cores), "--memory", memory]
                        + ["--work-dir", str(work_dir / "worker"), master_url],
                        env,
                        work_dir,
                        log_dir,
                    )
                )
            failure = _wait_until_ready(cluster, daemons, deadline, alive_workers=workers)
    except BaseException:
        _stop(daemons)
        raise
    cluster = dataclasses.replace(cluster, pids=tuple(d.pid for d in daemons))
    return daemons, cluster, failure


def _spawn(
    name: str,
    command: list[str],
    env: dict[str, str],
    cwd: Path,
    log_dir: Path,
) -> _Daemon:
    log = log_dir / f"{name}.log"
    process, offset = spawn_in_own_group(command, env, cwd, log)
    return _Daemon(name=name, process=process, log=log, log_offset=offset)


def spawn_in_own_group(
    command: list[str], env: dict[str, str], cwd: Path, log: Path
) -> tuple[subprocess.Popen, int]:
    """A JVM daemon (cluster or Thrift Server) in a process group of its own, its output
    appended to `log`; returns the process and where its output starts in the log."""
    setpriv = shutil.which("setpriv")
    if setpriv:  # the daemon gets SIGTERM if this process dies without stopping it
        command = [setpriv, "--pdeathsig", "TERM", "--", *command]
    with open(log, "ab") as out:
        offset = out.tell()
        process = subprocess.Popen(
            command,
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return process, offset


def _master_status(web_ui_url: str) -> dict:
    with urllib.request.urlopen(f"{web_ui_url}/json/", timeout=5) as response:
        return json.load(response)


def _wait_until_ready(
    cluster: Cluster, daemons: list[_Daemon], deadline: float, alive_workers: int
) -> _Failure | None:
    """None once the master is ALIVE with `alive_workers` workers ALIVE; else why not."""
    status: dict = {}
    while True:
        dead = [d for d in daemons if d.process.poll() is not None]
        if dead:
            names = ", ".join(f"{d.name} (exit code {d.process.returncode})" for d in dead)
            logs = "".join(_log_tail(d) for d in dead)
            return _Failure(
                f"The Spark cluster did not start: {names} stopped right away.\n{logs}",
                port_taken=any(s in d.output() for d in dead for s in _BIND_FAILURES),
            )
        with contextlib.suppress(OSError, ValueError):
            status = _master_status(cluster.web_ui_url)
            if status.get("status") == "ALIVE" and status.get("aliveworkers") == alive_workers:
                return None
        if time.monotonic() > deadline:
            seen = (
                f"the master is {status.get('status')} and reports "
                f"{status.get('aliveworkers', 0)} of {alive_workers} workers alive"
                if status
                else "the master's web UI never answered"
            )
            logs = "".join(_log_tail(d) for d in daemons)
            return _Failure(
                f"The Spark cluster was not ready in time: {seen} "
                f"({cluster.web_ui_url}/json/). Logs in {cluster.log_dir}.\n{logs}",
                port_taken=False,
            )
        time.sleep(0.25)


def _log_tail(daemon: _Daemon) -> str:
    lines = daemon.output().splitlines()[-_LOG_TAIL_LINES:]
    body = "\n".join(f"  {line}" for line in lines) or "  (empty)"
    return f"--- end of {daemon.log.name} ---\n{body}\n"


def _stop(daemons: list[_Daemon]) -> None:
    """Workers first (their executors with them), then the master; SIGKILL after the grace
    time. A second Ctrl-C while stopping skips the waiting, not the killing."""
    workers = [d for d in daemons if d.name != "master"]
    masters = [d for d in daemons if d.name == "master"]
    try:
        for group in (workers, masters):
            for d in group:
                signal_group(d.pid, signal.SIGTERM)
            deadline = time.monotonic() + STOP_GRACE_SECONDS
            for d in group:
                wait_group(d.process, deadline)
    finally:
        for d in daemons:
            signal_group(d.pid, signal.SIGKILL)
        for d in daemons:
            wait_group(d.process, time.monotonic() + STOP_GRACE_SECONDS)
    left = [d.name for d in daemons if process_group_alive(d.pid)]
    if left:
        raise ClusterError(f"Spark processes still running after SIGKILL: {', '.join(left)}")


def signal_group(pgid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


def wait_group(process: subprocess.Popen, deadline: float) -> None:
    """Until the process has exited (reaped) and nothing else of its group is alive."""
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=max(0.0, deadline - time.monotonic()))
    while process_group_alive(process.pid) and time.monotonic() < deadline:
        time.sleep(0.1)


def main(argv: list[str] | None = None) -> int:
    """Start a cluster, print where it is, wait for Ctrl-C."""
    parser = argparse.ArgumentParser(
        prog="python -m orchestration.spark_cluster",
        description="A Spark standalone cluster on 127.0.0.1 until Ctrl-C.",
    )
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--cores-per-worker", type=int, default=1)
    parser.add_argument("--memory-per-worker", default="1g")
    parser.add_argument("--work-dir", type=Path, help="logs and worker files (default: a temp dir)")
    args = parser.parse_args(argv)
    work_dir = args.work_dir or Path(tempfile.mkdtemp(prefix="tepat-spark-"))
    started = time.monotonic()
    try:
        with standalone_cluster(
            work_dir=work_dir,
            workers=args.workers,
            cores_per_worker=args.cores_per_worker,
            memory_per_worker=args.memory_per_worker,
        ) as cluster:
            print(f"Spark master: {cluster.master_url}", flush=True)
            print(f"Web UI:       {cluster.web_ui_url}", flush=True)
            print(f"Logs:         {cluster.log_dir}", flush=True)
            print(
                f"{cluster.workers} workers ready in {time.monotonic() - started:.1f} s. "
                "Ctrl-C stops the cluster.",
                flush=True,
            )
            while True:
                time.sleep(3600)
    except KeyboardInterrupt:
        print("Spark cluster stopped.")
        return 0
    except ClusterError as error:
        print(error, file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
