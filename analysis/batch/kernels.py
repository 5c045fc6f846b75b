"""A warm kernel: one Jupyter kernel, started once by a worker, with the imports every
brief needs already done, and reset before each brief (see `in_kernel`). papermill runs
each brief on it (its `km` argument), so the notebook is executed exactly as on a new
kernel, without paying for a new interpreter and its imports each time.

Only jupyter_client's public interface is used: a kernel manager whose `client()` gives
the same client for every notebook, and a client whose `wait_for_ready` waits for the
kernel once. The worker resets and releases the kernel through a second client of its
own. A kernel that died, hung past its timeout or failed its reset is shut down; the
worker starts another for its next brief.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Callable

KERNEL_NAME = "python3"
# The kernel's own start-up warnings are noise in a build's output; errors in cells still
# arrive through papermill. Briefs are not the user's IPython session: without history,
# a build writes nothing into its SQLite file (which grew by megabytes per sweep), and
# two kernels do not wait on each other's lock of it.
KERNEL_ARGUMENTS = ["--log-level=CRITICAL", "--HistoryManager.enabled=False"]
START_TIMEOUT = 120  # seconds for a kernel to start and import pandas, matplotlib, analysis
RESET_TIMEOUT = 60
KILL_TIMEOUT = 5  # seconds for a killed kernel's process to be gone

WARM_UP = '__import__("analysis.batch.in_kernel", fromlist=["_"]).warm_up()'
RESET = '__import__("analysis.batch.in_kernel", fromlist=["_"]).reset({cwd!r})'
RELEASE = '__import__("analysis.batch.in_kernel", fromlist=["_"]).release()'


def _kernel_manager():
    from jupyter_client.asynchronous import AsyncKernelClient
    from jupyter_client.manager import AsyncKernelManager

    class NotebookClient(AsyncKernelClient):
        """The one client that runs notebooks on this kernel, for the kernel's whole life.

        nbclient asks for a new client for every notebook, and waits until it hears the
        kernel on both channels; a new subscriber misses the first messages, so that wait
        costs a fraction of a second per brief. Connected and heard once, this client then
        only checks that the kernel is still alive."""

        heard = False

        def start_channels(self, *args, **kwargs):
            if not self.channels_running:
                super().start_channels(*args, **kwargs)

        async def wait_for_ready(self, timeout=None):
            if not self.heard:
                await super().wait_for_ready(START_TIMEOUT if timeout is None else timeout)
                self.heard = True
            elif not await self.is_alive():
                raise RuntimeError("Kernel died before replying to kernel_info")

        def stop_channels(self):
            self.heard = False
            super().stop_channels()

    class WarmKernelManager(AsyncKernelManager):
        """Gives nbclient the same client for every notebook (see NotebookClient)."""

        notebook_client = None

        def client(self, **kwargs):
            if kwargs:
                return super().client(**kwargs)
            if self.notebook_client is None:
                self.notebook_client = super().client()
            return self.notebook_client

    km = WarmKernelManager(kernel_name=KERNEL_NAME, client_factory=NotebookClient)
    # IPython's kernel in this very interpreter (which has the package), whatever kernel
    # the user's Jupyter has installed under the same name.
    km.kernel_spec.argv = [sys.executable, "-m", "ipykernel_launcher",
                           "-f", "{connection_file}"]
    return km


class WarmKernel:
    """A started kernel; `km` is what papermill takes to run a notebook on it."""

    def __init__(self, env: dict[str, str], cwd: str,
                 launched: Callable[[WarmKernel], None] = lambda kernel: None):
        """Start the kernel and wait until it has done its imports. `launched` is given
        this kernel as soon as its process exists (and can be killed)."""
        import asyncio

        from jupyter_client.session import Session
        from jupyter_core.utils import run_sync

        self._run = run_sync
        self.km = _kernel_manager()
        run_sync(self.km.start_kernel)(extra_arguments=KERNEL_ARGUMENTS, cwd=cwd,
                                       env={**os.environ, **env})
        launched(self)
        try:
            # The worker's own client, for warm-up and resets. Its session is its own:
            # clients of one session share one socket identity, and the kernel would send
            # its replies to whichever of them connected last.
            self._control = self.km.client(session=Session(
                key=self.km.session.key, signature_scheme=self.km.session.signature_scheme))
            self._control.start_channels()
            notebooks = self.km.client()
            notebooks.start_channels()

            async def both_ready():
                # Each waits for the kernel to be heard, and then for a short silence:
                # together, that wait is paid once.
                await asyncio.gather(self._control.wait_for_ready(START_TIMEOUT),
                                     notebooks.wait_for_ready(START_TIMEOUT))

            run_sync(both_ready)()
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

    def kill(self) -> None:
        """End the kernel's process now, from anywhere, a signal handler included: no
        message to the kernel and no event loop, only its process (jupyter_client's
        local provisioner keeps it as `process`, a Popen) and its connection file."""
        process = getattr(self.km.provisioner, "process", None)
        if process is not None:
            process.kill()
            # With a timeout, Popen's wait never blocks on the lock that a poll of the
            # interrupted thread may hold.
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=KILL_TIMEOUT)
        self.km.cleanup_connection_file()

    def shutdown(self) -> None:
        try:
            for client in (self.km.notebook_client, getattr(self, "_control", None)):
                if client is not None:
                    client.stop_channels()
        finally:
            self._run(self.km.shutdown_kernel)(now=True)
