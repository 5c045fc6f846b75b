"""A warm kernel: one Jupyter kernel, started once by a worker, with the imports every
brief needs already done, and reset before each brief (see `in_kernel`). papermill runs
each brief on it (its `km` argument), so the notebook is executed exactly as on a
new kernel, without paying for a new interpreter and its imports each time.

A kernel that died, hung past its timeout or failed its reset is shut down; the worker
starts another for its next brief.
"""

from __future__ import annotations

import os

KERNEL_NAME = "python3"
# The kernel's own start-up warnings are noise in a build's output; errors in cells still
# arrive through papermill.
KERNEL_ARGUMENTS = ["--log-level=CRITICAL"]
START_TIMEOUT = 120  # seconds for a kernel to start and import pandas, matplotlib, analysis
RESET_TIMEOUT = 60

WARM_UP = '__import__("analysis.build.in_kernel", fromlist=["_"]).warm_up()'
RESET = '__import__("analysis.build.in_kernel", fromlist=["_"]).reset({cwd!r})'


def _kernel_manager():
    from jupyter_client.manager import AsyncKernelManager

    class TrackedKernelManager(AsyncKernelManager):
        """Remembers the clients it made. nbclient makes one for each notebook it runs,
        and leaves it open when the kernel is not its own: the next reset closes it."""

        def client(self, **kwargs):
            kc = super().client(**kwargs)
            self.clients.append(kc)
            return kc

    km = TrackedKernelManager(kernel_name=KERNEL_NAME)
    km.clients = []
    return km


class WarmKernel:
    """A started kernel; `km` is what papermill takes to run a notebook on it."""

    def __init__(self, env: dict[str, str], cwd: str):
        from jupyter_client.session import Session
        from jupyter_core.utils import run_sync

        self._run = run_sync
        self.km = _kernel_manager()
        run_sync(self.km.start_kernel)(extra_arguments=KERNEL_ARGUMENTS, cwd=cwd,
                                       env={**os.environ, **env})
        try:
            # The worker's own client, for warm-up and resets. Its session is its own:
            # clients of one session share one socket identity, and the kernel would send
            # its replies to whichever of them connected last.
            self._control = self.km.client(session=Session(
                key=self.km.session.key, signature_scheme=self.km.session.signature_scheme))
            self.km.clients.remove(self._control)
            self._control.start_channels()
            run_sync(self._control.wait_for_ready)(timeout=START_TIMEOUT)
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

    def _close_clients(self) -> None:
        while self.km.clients:
            self.km.clients.pop().stop_channels()

    def reset(self, cwd: str) -> None:
        """Make the kernel ready for the next brief, working in `cwd`."""
        self._close_clients()
        self._run_silently(RESET.format(cwd=cwd), RESET_TIMEOUT)

    def shutdown(self) -> None:
        try:
            self._close_clients()
            if getattr(self, "_control", None) is not None:
                self._control.stop_channels()
        finally:
            self._run(self.km.shutdown_kernel)(now=True)
