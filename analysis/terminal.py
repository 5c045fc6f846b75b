"""How a build is shown to the person who ran it: on a terminal, one progress bar over
the briefs once there are more than a few, with each failure printed above it as it
happens; elsewhere (CI, a pipe, a log), one line per brief and no bar. And, on request,
the seconds each brief spent in each stage. Only the command line uses this module.
"""

from __future__ import annotations

import re
import sys

# Up to this many briefs, a line per brief reads better than a bar.
BAR_ABOVE = 3
STAGE_WORDS = {"starting": "starting", "starting the kernel": "kernel",
               "sent to the cluster": "sent", "executing the notebook": "notebook",
               "rendering HTML": "HTML", "rendering PDF": "PDF"}


class BuildDisplay:
    """The build's `report` callback (see `batch.pipeline.Report`), and `close()` when the
    build is over."""

    def __init__(self, on_terminal: bool | None = None):
        self.on_terminal = sys.stderr.isatty() if on_terminal is None else on_terminal
        self.bar = None
        self.running: dict[str, str] = {}

    def __call__(self, kind: str, message: str) -> None:
        if kind == "planned":
            self._start(int(message))
        elif kind == "stage":
            self._stage(message)
        elif kind in ("built", "error"):
            self._finished(kind, message)
        elif kind == "warning":
            self._print(f"warning: {message}", sys.stderr)
        else:
            self._print(message, sys.stdout)

    def _start(self, count: int) -> None:
        if self.on_terminal and count > BAR_ABOVE:
            from tqdm import tqdm

            self.bar = tqdm(total=count, unit="brief", file=sys.stderr, dynamic_ncols=True,
                            bar_format="{l_bar}{bar}| {n_fmt}/{total_fmt} "
                                       "[{elapsed}<{remaining}] {postfix}")

    def _stage(self, message: str) -> None:
        name, _, stage = message.partition(": ")
        self.running[name] = STAGE_WORDS.get(stage, stage)
        if self.bar is not None:
            self.bar.set_postfix_str(", ".join(f"{n} ({s})" for n, s in self.running.items()))
        elif self.on_terminal:
            print(f"  {message}", file=sys.stderr, flush=True)

    def _finished(self, kind: str, message: str) -> None:
        named = re.match(r"built (\S+)|brief '([^']+)'", message)
        self.running.pop(next((n for n in named.groups() if n), "") if named else "", None)
        if kind == "error":
            self._print(f"error: {message}", sys.stderr)
        else:
            self._print(message, sys.stdout)
        if self.bar is not None:
            self.bar.update(1)

    def _print(self, line: str, stream) -> None:
        if self.bar is not None:
            self.bar.write(line, file=stream)
        else:
            print(line, file=stream, flush=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def timings_table(timings: dict[str, dict[str, float]]) -> str:
    """Seconds per stage for each brief that ran, and the total over briefs. Totals add
    up the hundredths shown, so that every row and column adds up as printed."""
    stages = list(dict.fromkeys(stage for t in timings.values() for stage in t))
    heads = ["brief", *(STAGE_WORDS.get(s, s) for s in stages), "total"]
    shown = {name: [round(t.get(s, 0.0), 2) for s in stages] for name, t in timings.items()}
    rows = [[name, *seconds, sum(seconds)] for name, seconds in sorted(shown.items())]
    rows.append(["all briefs", *(sum(r[i + 1] for r in rows) for i in range(len(stages))),
                 sum(r[-1] for r in rows)])
    width = max(len(heads[0]), *(len(r[0]) for r in rows))
    lines = [heads[0].ljust(width) + "".join(f"{h:>10}" for h in heads[1:])]
    lines += [r[0].ljust(width) + "".join(f"{v:>10.2f}" for v in r[1:]) for r in rows]
    return "\n".join(["seconds per stage (starting: until a worker and its warm kernel are "
                      "ready; kernel: a kernel started again)", *lines])
