"""A warm kernel: one Jupyter kernel, started once by a worker, with the imports every
brief needs already done, and reset before each brief (see `in_kernel`). papermill runs
each brief on it (its `km` argument), so the notebook is executed exactly as on a
new kernel, without paying for a new interpreter and its imports each time.

Notebooks run through one client that stays connected for the kernel's life; the worker
resets and releases the kernel through a second client of its own.

A kernel that died, hung past its timeout or failed its reset is shut down; the worker
starts another for its next brief.
"""

from __future__ import annotations

import contextlib
import functools
import os
import sys
import time
from collections.abc import Callable

KERNEL_NAME = "python3"
# The kernel's own start-up warnings are noise in a build's output; errors in cells still
# arrive through papermill. Briefs are not the user's IPython session: without history,
# a build writes nothing into its SQLite file (which grew by megabytes per sweep), and
# two kernels do not wait on each other's lock of it.
KERNEL_ARGUMENTS = ["--log-level=CRITICAL", "--HistoryManager.enabled=False"]
START_TIMEOUT = 120  # seconds for a kernel to start and import pandas, matplotlib, analysis
RESET_TIMEOUT = 60

WARM_UP = '__import__("analysis.batch.in_kernel", fromlist=["_"]).warm_up()'
RESET = '__import__("analysis.batch.in_kernel", fromlist=["_"]).reset({cwd!r})'
RELEASE = '__import__("analysis.batch.in_kernel", fromlist=["_"]).release()'


async def _wait_until_ready(client, timeout: float) -> None:
    """Return once the kernel has answered `client` on its shell channel and the answer's
    status messages have reached it on IOPub, so that both channels are connected.

    jupyter_client's own `wait_for_ready` then reads IOPub until it has been silent for
    0.2 s. Waited for twice per kernel (its start-up, its first notebook) and while both
    cores had nothing else to do, that silence was most of a build's idle time. Here the
    wait ends with the `idle` status of the kernel_info request itself; a kernel whose
    IOPub was not connected yet when it sent that status (the subscriber joined late) is
    asked again."""
    from queue import Empty

    deadline = time.monotonic() + timeout
    while True:
        request = client.kernel_info()
        reply = None
        with contextlib.suppress(Empty):
            while reply is None and time.monotonic() < deadline:
                msg = await client.shell_channel.get_msg(timeout=1)
                if msg["parent_header"].get("msg_id") == request:
                    reply = msg
        if reply is not None:
            with contextlib.suppress(Empty):
                while time.monotonic() < deadline:
                    msg = await client.iopub_channel.get_msg(timeout=0.2)
                    if (msg["parent_header"].get("msg_id") == request
                            and msg["msg_type"] == "status"
                            and msg["content"].get("execution_state") == "idle"):
                        client._handle_kernel_info_reply(reply)
                        return
        if not await client._async_is_alive():
            raise RuntimeError("Kernel died before replying to kernel_info")
        if time.monotonic() > deadline:
            raise RuntimeError(f"Kernel didn't respond in {timeout:g} seconds")


def _kernel_manager(template: str = "", launching: Callable[[], None] = lambda: None):
    """A kernel manager whose kernel comes from the build's kernel template at
    `template` when it can (see `kernel_template`), else is started the usual way.
    `launching` is called once the kernel's start is under way."""
    from jupyter_client.asynchronous import AsyncKernelClient
    from jupyter_client.manager import AsyncKernelManager

    from . import kernel_launcher

    class NotebookClient(AsyncKernelClient):
        """The one client that runs notebooks on this kernel, for the kernel's whole life.

        nbclient asks for a new client for every notebook, and waits until it hears the
        kernel on both channels; a new subscriber misses the first messages, so that wait
        costs 0.2 s or more per brief. Connected and heard once, this client then only
        checks that the kernel is still alive."""

        heard = False

        def start_channels(self, *args, **kwargs):
            if not self.channels_running:
                super().start_channels(*args, **kwargs)

        async def wait_for_ready(self, timeout=None):
            if not self.heard:
                await _wait_until_ready(self, START_TIMEOUT if timeout is None else timeout)
                self.heard = True
            elif not await self._async_is_alive():
                raise RuntimeError("Kernel died before replying to kernel_info")

        def stop_channels(self):
            self.heard = False
            super().stop_channels()

    class WarmKernelManager(AsyncKernelManager):
        """Gives nbclient the same client for every notebook (see NotebookClient), and
        takes its kernel from the template when there is one."""

        notebook_client = None

        async def _async_launch_kernel(self, kernel_cmd, **kw):
            # jupyter_client's hook for launching kernels differently: the provisioner
            # (jupyter_client's local one, which pre_start_kernel made) then holds a
            # forked kernel where it would hold the process it started.
            if template:
                from .kernel_template import ForkedKernel, TemplateUnavailable, request_kernel

                try:
                    pid = request_kernel(template, kernel_cmd, kw["env"],
                                         kw.get("cwd") or os.getcwd(),
                                         START_TIMEOUT, sent=launching)
                    kernel = ForkedKernel(pid)
                except (TemplateUnavailable, ProcessLookupError):
                    pass
                else:
                    self.provisioner.process = kernel
                    self.provisioner.pid = self.provisioner.pgid = pid  # its own session
                    self._reconcile_connection_info(self.provisioner.connection_info)
                    return
            await super()._async_launch_kernel(kernel_cmd, **kw)
            launching()

        def client(self, **kwargs):
            if kwargs:
                return super().client(**kwargs)
            if self.notebook_client is None:
                self.notebook_client = super().client(**kwargs)
            return self.notebook_client

    km = WarmKernelManager(kernel_name=KERNEL_NAME)
    km.client_factory = NotebookClient
    # The python3 kernel of this very interpreter (which has the package), started by the
    # build's own launcher (see kernel_launcher).
    km.kernel_spec.argv = [sys.executable, "-m", kernel_launcher.MODULE,
                           "-f", "{connection_file}"]
    return km


class WarmKernel:
    """A started kernel; `km` is what papermill takes to run a notebook on it."""

    def __init__(self, env: dict[str, str], cwd: str,
                 launched: Callable[[], None] = lambda: None, template: str = ""):
        """Start the kernel and wait until it has done its imports. `launched` is called
        as soon as the kernel's start is under way: its process exists, or the kernel
        template at `template` has been asked for it."""
        from jupyter_client.session import Session
        from jupyter_core.utils import run_sync

        self._run = run_sync
        self.km = _kernel_manager(template, functools.cache(launched))  # once, either way
        run_sync(self.km.start_kernel)(extra_arguments=KERNEL_ARGUMENTS, cwd=cwd,
                                       env={**os.environ, **env})
        try:
            # The worker's own client, for warm-up and resets. Its session is its own:
            # clients of one session share one socket identity, and the kernel would send
            # its replies to whichever of them connected last.
            self._control = self.km.client(session=Session(
                key=self.km.session.key, signature_scheme=self.km.session.signature_scheme))
            self._control.start_channels()
            run_sync(_wait_until_ready)(self._control, START_TIMEOUT)
            self._run_silently(WARM_UP, START_TIMEOUT)
        except BaseException:
            self.shutdown()
            raise

    def _run_silently(self, code: str, timeout: float) -> None:
        """Run `code` without a trace in the kernel's history, outputs or counter."""
        reply = self._run(self._control.execute_interactive)(
            code, silent=True, store_history=False, timeout=timeout,
            output_hook=lambda msg: None)
        content = reply["content"]
        if content["status"] != "ok":
            raise RuntimeError(f"{content.get('ename')}: {content.get('evalue')}")

    def reset(self, cwd: str) -> None:
        """Make the kernel ready for the next brief, working in `cwd`."""
        self._run_silently(RESET.format(cwd=cwd), RESET_TIMEOUT)

    def release(self) -> None:
        """Ask the kernel to let go of the brief it has run, without waiting: it does so
        while the worker renders. The next reset waits behind it, and skips its reply."""
        self._control.execute(RELEASE, silent=True, store_history=False)

    def shutdown(self) -> None:
        try:
            for client in (self.km.notebook_client, getattr(self, "_control", None)):
                if client is not None:
                    client.stop_channels()
        finally:
            self._run(self.km.shutdown_kernel)(now=True)
