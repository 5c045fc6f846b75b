"""The kernel template: a build's kernels are forked from one process that has done their
imports, and a brief cannot tell such a kernel from one started the usual way. The
template goes once it has forked its kernels; a forked kernel goes with its worker."""

import json
import os
import signal
import subprocess
import sys
import textwrap

import pytest
from conftest import inject, log_kernels, snapshot

from analysis.batch import kernel_launcher, kernel_template
from analysis.batch.kernel_template import (
    ForkedKernel,
    KernelTemplate,
    TemplateUnavailable,
    request_kernel,
)
from analysis.batch.kernels import WarmKernel

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not kernel_template.supported(), reason="Linux only")]

# What a notebook could see of how its kernel was started. Paths of the connection file
# differ between any two kernels, and are left out.
PROBE = textwrap.dedent("""
    import gc, json, os, signal, sys
    import matplotlib
    from IPython import get_ipython
    shell = get_ipython()
    print(json.dumps({
        "argv": [sys.argv[0], *sys.argv[3:]],
        "orig_argv": [*sys.orig_argv[:3], *sys.orig_argv[5:]],
        "path": sys.path,
        "cwd": os.getcwd(),
        "environ": dict(os.environ),
        "own session": os.getsid(0) == os.getpid(),
        "stdin": os.read(0, 10).decode(),
        "SIGCHLD": str(signal.getsignal(signal.SIGCHLD)),
        "backend": matplotlib.get_backend(),
        "debugger": sys.modules.get("debugpy", "absent") is None,
        "history": shell.history_manager.enabled,
        "stdout": type(sys.stdout).__name__,
        "frozen": gc.get_freeze_count() > 0,
        "niceness": os.nice(0),
    }, sort_keys=True))
""")


def probe(kernel: WarmKernel) -> dict:
    printed = []

    def hook(msg):
        if msg["msg_type"] == "stream":
            printed.append(msg["content"]["text"])

    kernel._run(kernel._control.execute_interactive)(PROBE, output_hook=hook, timeout=60)
    return json.loads("".join(printed))


def template_for_two() -> KernelTemplate:
    """A template for two kernels, in this process's environment as it is now. (Made in
    the test itself: pytest changes the environment between a fixture and its test.)"""
    return KernelTemplate(dict(os.environ), 0, count=2)


def test_a_forked_kernel_cannot_be_told_from_one_started_the_usual_way(tmp_path,
                                                                       monkeypatch):
    # Set by pandera as it is imported, unless they are set: in this process they are;
    # in a build's workers, started before the build imports pandera, they are not.
    monkeypatch.delenv("SPARK_LOCAL_IP", raising=False)
    monkeypatch.delenv("PYARROW_IGNORE_TIMEZONE", raising=False)
    (tmp_path / "nb").mkdir()
    with template_for_two() as template:
        usual = WarmKernel({}, str(tmp_path / "nb"))
        try:
            forked = WarmKernel({}, str(tmp_path / "nb"), template=template.address)
            try:
                assert isinstance(forked.km.provisioner.process, ForkedKernel)
                assert not isinstance(usual.km.provisioner.process, ForkedKernel)
                assert probe(forked) == probe(usual)
            finally:
                forked.shutdown()
        finally:
            usual.shutdown()


@pytest.mark.parametrize("told", ["at its start", "later"])
def test_the_template_goes_once_it_has_forked_its_kernels(tmp_path, told):
    """It holds no memory while the briefs run; a kernel asked for later (one replacing
    a kernel that died) starts the usual way. A build that expands a sweep starts it
    before it knows how many workers there will be, and tells it later."""
    with KernelTemplate(dict(os.environ), 0, count=1 if told == "at its start" else None
                        ) as template:
        if told == "later":
            template.expect(1)
        kernel = WarmKernel({}, str(tmp_path), template=template.address)
        try:
            assert isinstance(kernel.km.provisioner.process, ForkedKernel)
            template.process.wait(timeout=60)
            assert not os.path.exists(template.folder)  # its socket, with it
            replacement = WarmKernel({}, str(tmp_path), template=template.address)
            try:
                assert not isinstance(replacement.km.provisioner.process, ForkedKernel)
            finally:
                replacement.shutdown()
        finally:
            kernel.shutdown()


def test_the_template_goes_when_the_build_needs_no_more_kernels():
    template = template_for_two()
    template.close()
    assert template.process.returncode is not None
    with pytest.raises(TemplateUnavailable):
        request_kernel(template.address, [sys.executable, "-m", kernel_launcher.MODULE],
                       dict(os.environ), "/", timeout=10)


def test_a_kernel_in_another_environment_starts_the_usual_way(tmp_path):
    """Libraries read settings from the environment as they are imported: the template
    forks only kernels of the environment it imported in."""
    with template_for_two() as template:
        kernel = WarmKernel({"IRAQ_BRIEFS_MAX_ROWS": "12"}, str(tmp_path),
                            template=template.address)
        try:
            assert not isinstance(kernel.km.provisioner.process, ForkedKernel)
            kernel._run_silently("from analysis import config; assert config.MAX_ROWS == 12",
                                 10)
        finally:
            kernel.shutdown()


ASK_THEN_WAIT = textwrap.dedent("""
    import json, os, sys, time
    from analysis.batch.kernel_launcher import MODULE
    from analysis.batch.kernel_template import request_kernel
    from jupyter_client.connect import write_connection_file
    connection, _ = write_connection_file(sys.argv[2])
    pid = request_kernel(sys.argv[1], [sys.executable, "-m", MODULE, "-f", connection],
                         json.loads(sys.argv[3]), os.getcwd(), timeout=60)
    print(pid, flush=True)
    time.sleep(600)
""")


def test_a_forked_kernel_ends_with_its_worker(tmp_path):
    """As a kernel started the usual way ends with its parent: a worker killed outright
    leaves no kernel behind."""
    env = dict(os.environ)
    with KernelTemplate(env, 0, count=2) as template:
        worker = subprocess.Popen([sys.executable, "-c", ASK_THEN_WAIT, template.address,
                                   str(tmp_path / "kernel.json"), json.dumps(env)],
                                  stdout=subprocess.PIPE, text=True)
        try:
            kernel = ForkedKernel(int(worker.stdout.readline()))
            assert kernel.poll() is None
        finally:
            worker.kill()
            worker.wait()
        assert kernel.wait(timeout=60) == 0


def test_a_forked_kernel_is_signalled_and_waited_for_like_a_child():
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    kernel = ForkedKernel(child.pid)
    assert kernel.poll() is None
    with pytest.raises(subprocess.TimeoutExpired):
        kernel.wait(timeout=0.01)
    kernel.kill()
    assert kernel.wait(timeout=60) == 0
    assert kernel.poll() == 0
    kernel.send_signal(signal.SIGTERM)  # ended: nothing to signal, and no error
    assert child.wait() == -signal.SIGKILL


def test_a_build_forks_its_kernels_and_gives_the_bytes_of_usual_kernels(tmp_path):
    """The default build (two workers) forks both kernels from its template, started
    before the sweep is expanded; its briefs are the bytes that kernels started the
    usual way give."""
    from test_sweeps import build, planned, user_folder

    briefs_toml = user_folder(tmp_path)
    names = [job.name for job in planned(briefs_toml)][:2]  # a brief and a swept one
    only = [arg for name in names for arg in ("--only", name)]
    log = tmp_path / "kernels.log"
    logged = log_kernels(log)
    built = build(briefs_toml, *only, env=inject(tmp_path, logged))
    assert built.returncode == 0, built.stderr
    assert log.read_text().splitlines() == ["forked", "forked"]

    log.unlink()
    without_template = logged + (
        "if sys.orig_argv[1:3] == ['-m', 'analysis']:  # the build itself\n"
        "    from analysis.batch import kernel_template\n"
        "    kernel_template.supported = lambda: False\n")
    built = build(briefs_toml, *only, "--out", "usual", env=inject(tmp_path, without_template))
    assert built.returncode == 0, built.stderr
    assert log.read_text().splitlines() == ["started", "started"]
    for name in names:
        assert snapshot(tmp_path / "out" / name) == snapshot(tmp_path / "usual" / name)
