"""The brief's table of the attacks behind its numbers (`listing.attack_lines`), as an
escaped HTML fragment: the most recent lines when there are more than a reader can use,
with a sentence saying where the rest are."""

from __future__ import annotations

import pandas as pd

from .. import config
from .fragments import Fragment, table
from .text import esc


def attack_table(lines: pd.DataFrame, shown: int = config.ATTACK_LIST_SHOWN,
                 file_name: str = config.ATTACK_LIST_FILE) -> Fragment:
    """Every line when there are `shown` or fewer, else the last `shown` (the most
    recent) and a note naming the file beside the brief that holds them all."""
    total = len(lines)
    if not total:
        return Fragment('<section class="attack-list"><p>No attack in the data can fall in '
                        "the window.</p></section>", text="attacks counted: none")
    cut = total > shown
    listed = lines.iloc[-shown:] if cut else lines
    plural = "s" if total != 1 else ""
    caption = (f"The {total} distinct attack{plural} possibly in the window, earliest first"
               if not cut else
               f"The {shown} most recent of the {total} distinct attacks possibly in the "
               "window, earliest first")
    rest = total - shown
    note = (f'<p class="attack-list-rest">The {rest} earlier attack{"s" if rest != 1 else ""}'
            f' {"is" if rest == 1 else "are"} not listed here: {esc(file_name)}, beside this '
            f"brief, lists all {total} with the same columns.</p>") if cut else ""
    body = table(listed, caption + "; sources numbered as in the list of sources").html
    return Fragment(f'<section class="attack-list">{note}{body}</section>',
                    text=f"attacks counted: {total}")
