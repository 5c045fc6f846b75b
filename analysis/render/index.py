"""The index page of a build's output folder: one card per brief, with its title, window,
key numbers, a thumbnail of its frequency chart and links to its HTML, PDF, counts and
summary. It is read from the briefs' summary.json files alone, so it can be rebuilt after
any brief changes without rerunning a notebook, and it is byte-identical for the same
folder, so a rebuild that changed nothing shows no difference.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from urllib.parse import quote

from .. import config
from ..dates import long_day
from ..files import write_atomic
from .text import count_range, esc, style_hash

INDEX_FILE = config.INDEX_FILE

STYLE = """
:root { --ink: #1d1d1d; --muted: #595959; --rule: #d6d6d6; --accent: #8c2d19;
  --panel: #f5f3f0; }
html { color: var(--ink); background: #fff; font: 16px/1.5 "DejaVu Sans", "Helvetica Neue",
  Helvetica, Arial, sans-serif; }
body { margin: 0; }
main { max-width: 72rem; margin: 0 auto; padding: 2rem 1.5rem 3rem; }
h1 { margin: 0 0 0.3rem; border-bottom: 3px solid var(--accent); padding-bottom: 0.3rem; }
a { color: var(--accent); }
.lead, .meta, .note { color: var(--muted); }
.briefs { list-style: none; padding: 0; display: grid; gap: 1.2rem;
  grid-template-columns: repeat(auto-fill, minmax(20rem, 1fr)); }
.brief { border: 1px solid var(--rule); border-top: 3px solid var(--accent);
  padding: 0.8rem 1rem; break-inside: avoid; page-break-inside: avoid; }
.brief h2 { font-size: 1.15rem; margin: 0 0 0.3rem; line-height: 1.3; }
.brief img { display: block; width: 100%; height: auto; margin: 0.5rem 0;
  border: 1px solid var(--rule); }
.meta, .note { font-size: 0.88rem; margin: 0 0 0.4rem; }
dl { display: grid; grid-template-columns: auto 1fr; gap: 0.1rem 0.8rem; margin: 0.5rem 0;
  padding: 0.5rem 0.7rem; background: var(--panel); font-size: 0.92rem; }
dt { color: var(--muted); }
dd { margin: 0; font-weight: 700; font-variant-numeric: tabular-nums; }
.links { margin: 0.5rem 0 0; font-size: 0.92rem; }
@media print { main { max-width: none; padding: 0; }
  .briefs { grid-template-columns: repeat(2, 1fr); } a { color: var(--ink); } }
"""

# Static page, opened from disk or any web server: nothing may run, nothing may be fetched
# from elsewhere but the briefs' thumbnails, and the only style is the one above, named by
# its hash: a <style> element or style attribute from a brief's title applies nowhere.
CSP = (f"default-src 'none'; img-src 'self' data:; style-src {style_hash(STYLE)}; "
       "base-uri 'none'; form-action 'none'")


def _href(*parts: str) -> str:
    return esc(quote("/".join(parts)))


def _summary(path: Path) -> dict | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _filters(filters, name: str) -> str:
    """What a brief is limited to, each value beside the brief's name (a sweep names a
    brief by a hash where a value has no ASCII letters). Values are isolated (<bdi>) so
    right-to-left text keeps its order among the rest."""
    if not isinstance(filters, dict) or not filters:
        return ""
    parts = []
    for key, values in sorted(filters.items()):
        values = values if isinstance(values, list) else [values]
        parts.append(f"{esc(str(key).replace('_', ' '))}: "
                     + ", ".join(f"<bdi>{esc(v)}</bdi>" for v in values))
    return (f'<p class="meta">Limited to {"; ".join(parts)} '
            f'(brief <code>{esc(name)}</code>)</p>')


def _details(s: dict, name: str = "") -> tuple[str, str]:
    """The card's middle (window, filters, key numbers) and the chart's alt text.
    Raises KeyError, TypeError or ValueError on a summary that lacks what it needs."""
    window = f"{long_day(s['window_start'])} – {long_day(s['window_end'])}"
    rate, days = s.get("rate_per_week_expected"), s.get("covered_days")
    no_rate = rate is None or math.isnan(float(rate))
    numbers = [("Expected attacks", f"{float(s['attacks_expected']):.1f}"),
               ("Certain – possible", count_range(s["attacks_min"], s["attacks_max"])),
               ("Exactly dated", str(int(s["attacks_exact"]))),
               ("Per week (expected)", "no rate" if no_rate else f"{float(rate):.2f}")]
    if days is not None:  # the rate is over covered days only, which may be few
        numbers.append(("Days covered", str(int(days))))
    rows = "".join(f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in numbers)
    middle = (f'<p class="meta">Window: {esc(window)}<br>As of {esc(long_day(s["window_end"]))}'
              f"</p>{_filters(s.get('filters'), name)}<dl>{rows}</dl>")
    alt = f"Chart of attacks per {s.get('freq') or 'period'}, {window}"
    return middle, alt


def _card(out_dir: Path, name: str) -> str:
    folder = out_dir / name
    summary = _summary(folder / "summary.json")
    title = str((summary or {}).get("title") or name)
    try:
        middle, alt = _details(summary, name) if summary is not None else (None, None)
    except (KeyError, TypeError, ValueError):
        middle, alt = None, None
    if middle is None:  # a broken summary must not hide the brief's files
        middle, alt = '<p class="note">summary unreadable</p>', "Chart of attacks"
    page = f"{name}.html"
    heading = (f'<a href="{_href(name, page)}">{esc(title)}</a>'
               if (folder / page).is_file() else esc(title))
    thumb = ""
    if (folder / "figures" / "frequency.png").is_file():
        thumb = (f'<img src="{_href(name, "figures", "frequency.png")}" '
                 f'alt="{esc(f"{alt}, from {title}")}">')
    files = [(f"{name}.html", "HTML"), (f"{name}.pdf", "PDF"), ("counts.csv", "counts (CSV)"),
             ("summary.json", "summary (JSON)")]
    links = " · ".join(f'<a href="{_href(name, f)}">{label}</a>'
                       for f, label in files if (folder / f).is_file())
    return (f'<li class="brief"><h2>{heading}</h2>{middle}{thumb}'
            f'<p class="links">{links}</p></li>')


def brief_names(out_dir: Path) -> list[str]:
    """The briefs in `out_dir`: folders with a summary.json, hidden ones left out."""
    return sorted(p.name for p in Path(out_dir).iterdir()
                  if not p.name.startswith(".") and (p / "summary.json").is_file())


def index_html(out_dir: Path) -> bytes:
    """The index page of `out_dir`, as UTF-8 bytes."""
    names = brief_names(out_dir)
    if names:
        count = "1 brief" if len(names) == 1 else f"{len(names)} briefs"
        body = (f'<p class="lead">{count}, each with its data and summary.</p>'
                f'<ul class="briefs">{"".join(_card(Path(out_dir), n) for n in names)}</ul>')
    else:
        body = '<p class="lead">No briefs have been built yet.</p>'
    page = ("<!DOCTYPE html>\n"
            '<html lang="en"><head><meta charset="utf-8">\n'
            f'<meta http-equiv="Content-Security-Policy" content="{CSP}">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>Attack frequency briefs</title>\n<style>{STYLE}</style></head>\n"
            f"<body><main><h1>Attack frequency briefs</h1>\n{body}\n</main></body></html>\n")
    return page.encode("utf-8")


def write_index(out_dir: Path) -> Path:
    """Write `out_dir/index.html` whole or not at all; returns its path."""
    path = Path(out_dir) / INDEX_FILE
    write_atomic(path, index_html(out_dir))
    return path
