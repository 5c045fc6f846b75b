"""Starts a build's kernel: IPython's kernel, as `python -m ipykernel_launcher` starts it,
less its debugger.

ipykernel imports debugpy as it starts, to offer a debugger to a front end: about 0.07 s
of CPU in every kernel. No front end ever attaches to a build's kernel, so it starts
without debugpy, and its kernel_info offers no debugger. A kernel the user opens in
Jupyter is started by Jupyter, and keeps its debugger.
"""

import sys

MODULE = "analysis.batch.kernel_launcher"  # this module: `python -m MODULE` starts a kernel


def kernel_app():
    """IPython's kernel application, imported without its debugger."""
    sys.modules.setdefault("debugpy", None)  # imports of it fail: ipykernel goes without
    from ipykernel.kernelapp import IPKernelApp

    return IPKernelApp


if __name__ == "__main__":
    kernel_app().launch_instance()
