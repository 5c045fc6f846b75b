"""`python -m analysis` runs the command-line interface."""

from .cli import main

# Guarded: a worker process started by `spawn` imports this module again, as its own
# main module, and must not run a second command.
if __name__ == "__main__":
    raise SystemExit(main())
