"""`build --scheduler`: the briefs built on a real Dask cluster (a `dask scheduler` and
two `dask worker` processes started here) are the same bytes as a local build's, and a
build without the option never imports Dask."""

import importlib
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import copy_dataset, snapshot

from analysis import config
from analysis.cli import main


def importable(module: str) -> bool:
    try:
        importlib.import_module(module)
    except ImportError:
        return False
    return True


# Dask takes its locks through locket, which needs fcntl, or msvcrt on Windows: the
# portable run (`make test-portable`) has neither, as no real system has.
pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not (importable("fcntl") or importable("msvcrt")),
                                 reason="Dask needs fcntl, or msvcrt on Windows")]
DASK = Path(sys.executable).with_name("dask")


@pytest.fixture(scope="module")
def scheduler(tmp_path_factory):
    """A scheduler and two single-threaded worker processes; yields its address."""
    from distributed import Client

    folder = tmp_path_factory.mktemp("cluster")
    address_file = folder / "scheduler.json"
    common = ["--no-dashboard"]
    processes = [subprocess.Popen([str(DASK), "scheduler", "--port", "0", "--scheduler-file",
                                   str(address_file), *common], cwd=folder,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
    try:
        deadline = time.monotonic() + 60
        while not address_file.is_file():
            assert time.monotonic() < deadline, "the scheduler did not start"
            time.sleep(0.2)
        processes.append(subprocess.Popen(
            [str(DASK), "worker", "--scheduler-file", str(address_file), "--nworkers", "2",
             "--nthreads", "1", "--memory-limit", "0", *common], cwd=folder,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        with Client(scheduler_file=str(address_file), timeout="60s") as client:
            client.wait_for_workers(2, timeout=120)
            yield client.scheduler.address
    finally:
        for process in reversed(processes):
            process.terminate()
        for process in processes:
            process.wait(timeout=60)


def build(root: Path, out: str, *extra: str) -> subprocess.CompletedProcess:
    """A build of the briefs on a copy of the article's data, in a fresh interpreter that
    then says whether any Dask module was imported."""
    data = root / "data"
    arguments = ["build", "--out", str(root / out), "--briefs", str(config.BRIEFS_TOML),
                 "--data", str(data / "attacks.csv"),
                 "--claims", str(data / "claims.csv"),
                 "--context", str(data / "context_events.csv"),
                 "--sources", str(data / "sources.csv"), *extra]
    code = ("import sys\n"
            "from analysis.cli import main\n"
            f"status = main({arguments!r})\n"
            "dask = sorted({m.split('.')[0] for m in sys.modules} & {'dask', 'distributed'})\n"
            "print('dask modules:', dask)\n"
            "sys.exit(status)\n")
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=900, cwd=root)


def test_a_cluster_build_gives_the_bytes_of_a_local_build(scheduler, tmp_path):
    from distributed import Client

    copy_dataset(tmp_path)
    local = build(tmp_path, "local")
    assert local.returncode == 0, local.stderr
    assert "dask modules: []" in local.stdout
    on_cluster = build(tmp_path, "cluster", "--scheduler", scheduler)
    assert on_cluster.returncode == 0, on_cluster.stderr
    briefs = sorted(p.name for p in (tmp_path / "local").iterdir() if p.is_dir())
    assert len(briefs) == 3
    for name in briefs:
        local_files = snapshot(tmp_path / "local" / name)
        assert snapshot(tmp_path / "cluster" / name) == local_files, name
        assert f"{name}.pdf" in local_files and "counts.csv" in local_files
    with Client(scheduler, timeout="30s") as client:
        prefixes = client.run_on_scheduler(
            lambda dask_scheduler: sorted(map(str, dask_scheduler.task_prefixes)))
    assert any(prefix.startswith("build-brief") for prefix in prefixes), prefixes
    staging = [p for p in (tmp_path / "cluster").iterdir() if p.is_dir() and p.name[0] == "."]
    assert staging == []


def test_a_scheduler_that_does_not_answer_exits_2(monkeypatch, capsys, tmp_path):
    from analysis.batch import cluster

    monkeypatch.setattr(cluster, "CONNECT_TIMEOUT", "1s")
    assert main(["build", "--scheduler", "tcp://127.0.0.1:9", "--out",
                 str(tmp_path / "out"), "--force"]) == 2
    assert "--scheduler: 'tcp://127.0.0.1:9': no Dask scheduler answers there" in \
        capsys.readouterr().err
    assert not os.path.exists(tmp_path / "out" / "since-2019")
