"""A real standalone Spark cluster on 127.0.0.1 (orchestration/spark_cluster.py): a job run
against it really runs on its two workers, and the cluster leaves nothing behind, also
when the code inside the `with` block fails."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from orchestration.spark_cluster import (
    Cluster,
    ClusterError,
    port_is_free,
    process_group_alive,
    process_group_members,
    standalone_cluster,
)

pytestmark = pytest.mark.spark

pyspark_sql = pytest.importorskip("pyspark.sql")


def _executors(cluster: Cluster) -> dict[int, list[int]]:
    """Executor JVMs by worker pid: a worker launches its executors into its own process
    group, so they are what a local session can never show."""
    found = {}
    for worker_pid in cluster.pids[1:]:
        found[worker_pid] = [
            pid
            for pid in process_group_members(worker_pid)
            if b"CoarseGrainedExecutorBackend" in Path(f"/proc/{pid}/cmdline").read_bytes()
        ]
    return found


def _session(cluster: Cluster):
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    assert active is None, f"a Spark session is already open in this process: {active}"
    return (
        SparkSession.builder.appName("tepat-cluster-test")
        .config(map=cluster.driver_conf(executor_memory="512m"))
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.ui.showConsoleProgress", "false")
        .getOrCreate()
    )


def _assert_gone(cluster: Cluster) -> None:
    alive = [pid for pid in cluster.pids if process_group_alive(pid)]
    assert alive == [], f"Spark daemons (or their executors) still running: {alive}"
    taken = [port for port in cluster.ports if not port_is_free(port)]
    assert taken == [], f"ports still in use after the cluster stopped: {taken}"


def test_a_job_runs_on_both_workers(tmp_path: Path) -> None:
    from pyspark.sql import functions as F

    started = time.monotonic()
    with standalone_cluster(work_dir=tmp_path, workers=2, memory_per_worker="768m") as cluster:
        ready = time.monotonic()
        assert cluster.master_url.startswith("spark://127.0.0.1:")
        assert ":7077" not in cluster.master_url and ":8080" not in cluster.web_ui_url
        status = cluster.status()
        assert (status["status"], status["aliveworkers"], status["cores"]) == ("ALIVE", 2, 2)

        spark = _session(cluster)
        try:
            sc = spark.sparkContext
            assert sc.master == cluster.master_url
            buckets = (
                spark.range(1_000_000, numPartitions=8)
                .groupBy((F.col("id") % 10).alias("bucket"))
                .agg(F.count("*").alias("n"), F.sum("id").alias("total"))
                .orderBy("bucket")
                .collect()
            )
            # bucket b holds b, b+10, …, b+999_990: 100_000 numbers summing to
            # 10 * (0 + 1 + … + 99_999) + 100_000 * b
            assert [(r.bucket, r.n, r.total) for r in buckets] == [
                (b, 100_000, 49_999_500_000 + 100_000 * b) for b in range(10)
            ]

            # the driver knows three block managers: itself and one executor per worker
            executor_hosts = sc._jsc.sc().getExecutorMemoryStatus().size()
            assert executor_hosts == 3
            # the master granted the application one core on each worker
            status = cluster.status()
            (app,) = status["activeapps"]
            assert (app["name"], app["cores"], app["state"]) == ("tepat-cluster-test", 2, "RUNNING")
            assert sorted(w["coresused"] for w in status["workers"]) == [1, 1]
            assert sorted(w["memoryused"] for w in status["workers"]) == [512, 512]
            # each worker runs an executor JVM of its own, and each of them ran tasks
            executors = _executors(cluster)
            assert [len(pids) for pids in executors.values()] == [1, 1], executors
            stderr_logs = sorted((tmp_path / "worker" / app["id"]).glob("*/stderr"))
            assert len(stderr_logs) == 2
            for log in stderr_logs:
                assert "Finished task" in log.read_text(), f"{log} ran no task"
        finally:
            spark.stop()
        stopping = time.monotonic()
    stopped = time.monotonic()
    _assert_gone(cluster)
    assert not any(process_group_alive(pid) for pids in executors.values() for pid in pids)
    print(
        f"cluster start {ready - started:.1f} s, job {stopping - ready:.1f} s, "
        f"stop {stopped - stopping:.1f} s"
    )


def test_a_failing_block_leaves_no_process_and_no_port(tmp_path: Path) -> None:
    """An exception inside the block (a failing test) stops the cluster: no daemon and no
    port is left. Ctrl-C (KeyboardInterrupt) takes the same way out: see the command's test."""
    seen: list[Cluster] = []
    with (
        pytest.raises(RuntimeError, match="the test failed"),
        standalone_cluster(work_dir=tmp_path, workers=2, memory_per_worker="512m") as cluster,
    ):
        seen.append(cluster)
        assert len(cluster.pids) == 3
        assert all(process_group_alive(pid) for pid in cluster.pids)
        assert not any(port_is_free(port) for port in cluster.ports)
        raise RuntimeError("the test failed")
    (cluster,) = seen
    _assert_gone(cluster)
    # the daemons' logs stay, for whoever has to find out why a test failed
    assert sorted(p.name for p in cluster.log_dir.iterdir()) == [
        "master.log",
        "worker-1.log",
        "worker-2.log",
    ]


def test_a_worker_that_cannot_start_is_reported_with_its_log(tmp_path: Path) -> None:
    """A worker refusing its settings fails the start at once, in words, with the end of
    its log, and the master started before it is stopped again."""
    with (
        pytest.raises(ClusterError) as raised,
        standalone_cluster(work_dir=tmp_path, workers=1, memory_per_worker="lots"),
    ):
        pytest.fail("a cluster with a worker of 'lots' of memory started")
    message = str(raised.value)
    assert message.startswith("The Spark cluster did not start: worker-1 (exit code 1)")
    assert "--- end of worker-1.log ---" in message
    # Spark's own words: its usage, which says how memory is written
    assert "--memory MEM     Amount of memory to use (e.g. 1000M, 2G)" in message
    master_pid = int(
        (tmp_path / "logs" / "master.log").read_text().split("process name: ")[1].split("@")[0]
    )
    assert not process_group_alive(master_pid)


def test_a_port_taken_before_spark_binds_it_is_not_used(tmp_path: Path, monkeypatch) -> None:
    """Another program may take a port between the moment it is picked and the moment the
    master binds it. Spark would then bind the next port up without a word, and the master
    URL would be wrong; instead that start fails and the cluster starts again on new ports."""
    from orchestration import spark_cluster

    picked: list[list[int]] = []

    def first_master_port_taken(count: int) -> list[int]:
        ports = free_ports(count)
        if not picked:
            ports[0] = taken
        picked.append(ports)
        return ports

    free_ports = spark_cluster.free_ports
    monkeypatch.setattr(spark_cluster, "free_ports", first_master_port_taken)
    with socket.create_server(("127.0.0.1", 0)) as squatter:
        taken = squatter.getsockname()[1]
        with standalone_cluster(work_dir=tmp_path, workers=1, memory_per_worker="512m") as cluster:
            assert len(picked) == 2
            assert cluster.master_url == f"spark://127.0.0.1:{picked[1][0]}"
            assert cluster.status()["url"] == cluster.master_url
            assert cluster.status()["aliveworkers"] == 1
    master_log = (tmp_path / "logs" / "master.log").read_text()
    assert f"Service 'sparkMaster' failed after 0 retries (starting from {taken})" in master_log
    assert f"Successfully started service 'sparkMaster' on port {taken + 1}." not in master_log
    _assert_gone(cluster)


def _processes_using(work_dir: Path) -> list[int]:
    """Processes whose command line names `work_dir` (the daemons' and executors' JVMs)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if str(work_dir).encode() in (entry / "cmdline").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL], ids=["ctrl-c", "kill-9"])
def test_the_command_stops_its_cluster_when_it_is_stopped(tmp_path: Path, sig) -> None:
    """`python -m orchestration.spark_cluster` (README, "Scaling out") runs until Ctrl-C;
    and killed outright (`kill -9`, a CI timeout), its JVMs still go: the kernel sends them
    SIGTERM when their parent dies (setpriv --pdeathsig)."""
    if sig == signal.SIGKILL and not Path("/usr/bin/setpriv").exists():
        pytest.skip("no setpriv here: a killed parent leaves the JVMs running")
    work_dir = tmp_path / "cluster"
    command = subprocess.Popen(
        [sys.executable, "-m", "orchestration.spark_cluster", "--work-dir", str(work_dir)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        lines = []
        while not lines or "Ctrl-C stops the cluster." not in lines[-1]:
            line = command.stdout.readline()
            assert line, "the command ended before the cluster was ready:\n" + "".join(lines)
            lines.append(line)
        assert lines[0].startswith("Spark master: spark://127.0.0.1:")
        jvms = [pid for pid in _processes_using(work_dir) if pid != command.pid]
        assert len(jvms) == 3  # master and two workers
        command.send_signal(sig)
        output = command.communicate(timeout=30)[0]
    finally:
        command.kill()
    if sig == signal.SIGINT:
        assert command.returncode == 0
        assert output == "Spark cluster stopped.\n"
    deadline = time.monotonic() + 20
    while _processes_using(work_dir) and time.monotonic() < deadline:
        time.sleep(0.2)
    left = _processes_using(work_dir)
    for pid in left:  # a failing test must not leave JVMs behind either
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    assert left == [], "the cluster's JVMs outlived the command"
