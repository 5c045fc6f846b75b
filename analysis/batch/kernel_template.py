"""One process that imports what every kernel imports, once per build, and forks each
worker's kernel from itself.

Each kernel of a build imports the same libraries (IPython's kernel, pandas, matplotlib,
`analysis`): about 0.8 s of CPU, paid again by every kernel, on a machine whose cores
the workers and the input check already share. The template pays it once. A worker asks
it for a kernel (`request_kernel`); the template forks, and the child becomes the kernel,
started as `kernel_launcher` would start it: the same command line, environment and
working directory, with the imports already done.

- The template serves as many kernels as the build has workers, then exits, so that it
  holds no memory while the briefs run. A build that expands a sweep starts it before it
  knows how many workers it needs (a sweep's briefs are known once its tables are
  checked), and tells it then (`expect`). The build stops it at its end, and it exits if
  the build goes (its stdin closes). A kernel asked for after that (one replacing a
  kernel that died) starts the usual way.
- A forked kernel is not its worker's child. The worker watches and signals it through
  a pidfd (`ForkedKernel`), which names that one process for as long as it is held; the
  kernel watches its worker the same way, and ends when its worker ends, as a kernel
  started the usual way does when its parent goes.
- A kernel is forked only for the environment the template imported in (the build's
  environment, and the settings it gives its kernels); asked for any other, the template
  declines and the worker starts its kernel the usual way. Libraries read some of their
  settings from the environment when they are imported.

Linux only (fork, pidfds): elsewhere every kernel starts the usual way.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import warnings
from collections.abc import Callable

from . import kernel_launcher

SOCKET_NAME = "kernels.sock"
# ipykernel sets this at start unless it is set (see IPKernelApp.init_gui_pylab), and
# matplotlib reads it on import: the template sets it before importing, as a kernel
# started the usual way has it set before its first import of matplotlib.
MATPLOTLIB_BACKEND = ("MPLBACKEND", "module://matplotlib_inline.backend_inline")


class TemplateUnavailable(Exception):
    """No kernel from the template: it has gone, or declined. Start one the usual way."""


def supported() -> bool:
    return (sys.platform.startswith("linux") and hasattr(os, "fork")
            and hasattr(os, "pidfd_open") and hasattr(signal, "pidfd_send_signal"))


def when_ended(pidfd: int, then: Callable[[], None], name: str) -> None:
    """Call `then`, in a daemon thread called `name`, once the process that `pidfd`
    names has ended: how a kernel follows its worker, and a worker its build."""

    def watch() -> None:
        select.select([pidfd], [], [])
        then()

    threading.Thread(target=watch, name=name, daemon=True).start()


# --- the worker's side ---------------------------------------------------------------

def request_kernel(address: str, command: list[str], env: dict[str, str], cwd: str,
                   timeout: float, sent=lambda: None) -> int:
    """Ask the template at `address` for a kernel started as `command` would start it
    (in `env` and `cwd`); `sent` is called once the request is on its way. Returns the
    kernel's process id. Raises TemplateUnavailable."""
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
            conn.settimeout(timeout)
            conn.connect(address)
            conn.sendall(json.dumps({"command": command, "env": env, "cwd": cwd}
                                    ).encode() + b"\n")
            sent()
            reply = json.loads(_read_line(conn) or b"{}")
    except (OSError, ValueError) as err:  # gone, refused, timed out, or cut short
        raise TemplateUnavailable(str(err)) from None
    if not isinstance(reply.get("pid"), int):
        raise TemplateUnavailable(str(reply.get("declined", "no answer")))
    return reply["pid"]


def _read_line(conn: socket.socket) -> bytes:
    data = b""
    while not data.endswith(b"\n"):
        chunk = conn.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


class ForkedKernel:
    """A forked kernel, as its worker holds it: the part of `subprocess.Popen` that
    jupyter_client's local provisioner uses (poll, wait, send_signal, terminate, kill),
    through a pidfd, since the kernel is not the worker's child.

    Only a parent learns how its child ended: `returncode` is 0 once the kernel has
    ended, after a shutdown or not."""

    stdin = stdout = stderr = None

    def __init__(self, pid: int):
        self.pid = pid
        self.returncode: int | None = None
        self._pidfd = os.pidfd_open(pid)  # ProcessLookupError if it has already gone

    def poll(self) -> int | None:
        try:
            return self.wait(timeout=0)
        except subprocess.TimeoutExpired:
            return None

    def wait(self, timeout: float | None = None) -> int:
        if self.returncode is None:
            if not select.select([self._pidfd], [], [], timeout)[0]:
                raise subprocess.TimeoutExpired(kernel_launcher.MODULE, timeout)
            self.returncode = 0
            os.close(self._pidfd)
        return self.returncode

    def send_signal(self, signum: int) -> None:
        if self.poll() is None:
            signal.pidfd_send_signal(self._pidfd, signum)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def __del__(self):
        if self.returncode is None:
            with contextlib.suppress(OSError):
                os.close(self._pidfd)


# --- the build's side ----------------------------------------------------------------

class KernelTemplate:
    """The template process, started by the build for its workers, whose kernels start
    in `env`; `count` is how many will ask, or None until `expect` says. `address` is
    what the workers connect to. Use as a context manager."""

    def __init__(self, env: dict[str, str], niceness: int, count: int | None = None):
        # The socket, in a folder that only this user can enter.
        self.folder = tempfile.mkdtemp(prefix="briefs-")
        self.address = os.path.join(self.folder, SOCKET_NAME)
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as listener:
                listener.bind(self.address)
                listener.listen(16)
                # Listening before the template exists: workers that ask early wait in
                # the socket's queue while it imports.
                self.process = subprocess.Popen(
                    [sys.executable, "-m", __name__, str(listener.fileno()),
                     str(count or 0), str(niceness)],
                    pass_fds=(listener.fileno(),), stdin=subprocess.PIPE, env=env,
                    start_new_session=True)  # as kernels are: Ctrl-C is the build's
        except BaseException:
            shutil.rmtree(self.folder, ignore_errors=True)
            raise

    def expect(self, count: int) -> None:
        """Say how many workers will ask: the template exits once it has forked their
        kernels."""
        with contextlib.suppress(OSError):  # it has gone: its workers start kernels anyway
            self.process.stdin.write(f"{count}\n".encode())
            self.process.stdin.flush()

    def close(self) -> None:
        """Stop the template, at the end of a build: no worker will ask any more. (It
        may still be importing, for a build that found nothing to do.)"""
        with contextlib.suppress(OSError):
            self.process.stdin.close()
        self.process.kill()
        self.process.wait()
        shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self) -> KernelTemplate:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


# --- the template itself -------------------------------------------------------------

def _serve(listener: socket.socket, count: int) -> None:
    """Import, then fork a kernel for each request, until `count` have been forked (0:
    until the build says how many on stdin) or the build closes stdin."""
    environ = dict(os.environ)  # what the kernels must ask for: the imports saw this
    if not os.environ.get(MATPLOTLIB_BACKEND[0]):
        os.environ[MATPLOTLIB_BACKEND[0]] = MATPLOTLIB_BACKEND[1]
    kernel_launcher.kernel_app()
    from .in_kernel import warm_up

    warm_up()
    os.environ.clear()
    os.environ.update(environ)
    # Forked kernels are not waited for here: the system reaps them as they end.
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    forked, limit, told = 0, count or None, sys.stdin.fileno()
    while limit is None or forked < limit:
        ready, _, _ = select.select([listener, told], [], [])
        if told in ready:
            line = os.read(told, 64)
            if not line:  # closed: the build needs no more kernels
                return
            limit = int(line)
            continue
        conn, _ = listener.accept()
        with conn:
            try:
                reply = _fork_kernel(conn, environ, listener)
            except (OSError, ValueError, KeyError, TypeError) as err:
                reply = {"declined": f"{type(err).__name__}: {err}"}
            forked += "pid" in reply
            with contextlib.suppress(OSError):
                conn.sendall(json.dumps(reply).encode() + b"\n")


def _fork_kernel(conn: socket.socket, environ: dict[str, str],
                 listener: socket.socket) -> dict:
    request = json.loads(_read_line(conn))
    command, env, cwd = request["command"], request["env"], request["cwd"]
    if command[1:3] != ["-m", kernel_launcher.MODULE]:
        return {"declined": "not a build's kernel"}
    if _kernel_environment(env) != _kernel_environment(environ):
        return {"declined": "another environment than the template imported in"}
    credentials = conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED,
                                  struct.calcsize("3i"))
    worker_pid = struct.unpack("3i", credentials)[0]  # pid, uid, gid of the asking worker
    worker = os.pidfd_open(worker_pid)
    with warnings.catch_warnings():
        # Python 3.12+ warns when a process with threads forks: numpy's OpenBLAS has one,
        # and stops it around a fork itself.
        warnings.simplefilter("ignore", DeprecationWarning)
        pid = os.fork()
    if pid == 0:
        code = 1
        try:
            listener.close()
            conn.close()
            code = _be_kernel(command, env, cwd, worker, worker_pid)
        except BaseException:
            import traceback

            traceback.print_exc()
        finally:
            os._exit(code)
    os.close(worker)
    return {"pid": pid}


def _kernel_environment(env: dict[str, str]) -> dict[str, str]:
    """`env`, less what jupyter_client takes out of a kernel's environment."""
    return {k: v for k, v in env.items() if k != "PYTHONEXECUTABLE"}


def _be_kernel(command: list[str], env: dict[str, str], cwd: str, worker: int,
               worker_pid: int) -> int:
    """In the forked child: become the kernel that `command` would have started."""
    import atexit

    os.setsid()  # its own session, as jupyter_client starts kernels
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)  # the template's stdin is the build's pipe to it
    os.close(null)
    os.chdir(cwd)
    os.environ.clear()
    os.environ.update(env, JPY_PARENT_PID=str(worker_pid))  # as jupyter_client sets it
    sys.argv = [kernel_launcher.__file__, *command[3:]]
    sys.orig_argv = list(command)
    sys.path[0] = cwd  # `python -m` puts its working directory first
    when_ended(worker, lambda: os._exit(1), "worker watch")
    # It watches its worker itself (above): ipykernel's own watch is of the parent
    # process, which here is the template, and goes.
    try:
        kernel_launcher.kernel_app().launch_instance(parent_handle=0)
    except SystemExit as end:  # as the interpreter reads it: None is success
        return 0 if end.code is None else end.code if isinstance(end.code, int) else 1
    finally:
        atexit._run_exitfuncs()
    return 0


def main(argv: list[str]) -> None:
    listen_fd, count, niceness = (int(arg) for arg in argv)
    with contextlib.suppress(OSError):
        os.nice(niceness)
    with socket.socket(fileno=listen_fd) as listener:
        try:
            _serve(listener, count)
        finally:
            # No worker will ask any more (one that does starts its kernel the usual
            # way): the socket's folder goes now, even if the build was killed.
            shutil.rmtree(os.path.dirname(listener.getsockname()), ignore_errors=True)


if __name__ == "__main__":
    main(sys.argv[1:])
