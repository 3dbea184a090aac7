"""One self-contained HTML report of a run folder, for a planner to open or pass on.

The building blocks of the page; `forecast.report.report_sections.build_report` puts a
run folder's sections together with them, and `write_report` writes the page atomically
(`forecast.atomic.write_atomically`). The page needs nothing else: the CSS
is inline, every chart is a PNG embedded as a ``data:`` URI, and there is no script,
web font or link to fetch. Text read from a file (a scenario's name or description, a
note, a source) is always HTML-escaped: the building blocks here escape every value
that is not already `Markup` made by them.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Iterable, Sequence
from pathlib import Path

from forecast.atomic import write_atomically

REPORT_FILE = "report.html"
CSS = """
body { font-family: "Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC",
  "DejaVu Sans", sans-serif; margin: 0 auto; max-width: 1080px; padding: 1.5em 2em 3em; color: #1d2433;
  line-height: 1.55; background: #fff; }
h1 { font-size: 1.6em; margin: 0.2em 0; }
h2 { font-size: 1.25em; border-bottom: 2px solid #d6dbe4; padding-bottom: 0.2em; margin-top: 1.8em; }
h3 { font-size: 1.05em; margin-top: 1.2em; }
p.made, p.note, figcaption { color: #5a6272; font-size: 0.9em; }
p.question { font-size: 1.15em; background: #f3f6fb; padding: 0.7em 1em; border-left: 4px solid #3a6ea5; }
table { border-collapse: collapse; margin: 0.6em 0; font-size: 0.9em; max-width: 100%; }
td.wrap { overflow-wrap: anywhere; min-width: 12em; }
th, td { border: 1px solid #d6dbe4; padding: 0.3em 0.6em; text-align: left; vertical-align: top; }
th { background: #f3f6fb; white-space: nowrap; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 0.3em 1.2em; }
dt { font-weight: bold; }
dd { margin: 0; }
figure { margin: 1em 0; }
figure img { max-width: 100%; height: auto; border: 1px solid #eef0f4; }
.light { display: inline-block; padding: 0.1em 0.6em; border-radius: 1em; font-weight: bold; white-space: nowrap; }
.on_track { background: #d8f0dc; color: #1e6b2e; }
.at_risk { background: #fdf0c8; color: #7a5a00; }
.off_track { background: #f9d6d5; color: #9b1c1c; }
.no_light { background: #eceef2; color: #5a6272; }
.warning { color: #9b1c1c; }
code { background: #f3f6fb; padding: 0 0.25em; }
"""


class Markup(str):
    """Text that is already HTML (made by this module); everything else is escaped."""


def esc(value) -> Markup:
    """`value` as HTML: escaped, unless it is `Markup`."""
    if isinstance(value, Markup):
        return value
    return Markup(html.escape("" if value is None else str(value), quote=True))


def tag(name: str, *children, cls: str | None = None) -> Markup:
    """``<name class=cls>children</name>``, each child escaped unless `Markup`."""
    attribute = f' class="{esc(cls)}"' if cls else ""
    return Markup(f"<{name}{attribute}>{''.join(esc(c) for c in children)}</{name}>")


def join(parts: Iterable) -> Markup:
    return Markup("".join(esc(p) for p in parts))


def table(headers: Sequence, rows: Iterable[Sequence], numeric: Iterable[int] = (), wrap: Iterable[int] = ()) -> Markup:
    """A table; cells in the `numeric` columns are right-aligned, those in `wrap` may break inside long words
    (links, file names)."""
    classes = {**dict.fromkeys(wrap, "wrap"), **dict.fromkeys(numeric, "num")}
    head = tag("tr", join(tag("th", h) for h in headers))
    body = join(tag("tr", join(tag("td", c, cls=classes.get(i)) for i, c in enumerate(row))) for row in rows)
    return tag("table", tag("thead", head), tag("tbody", body))


def image(png: bytes, alt: str, caption: str | None = None) -> Markup:
    """A PNG embedded as a data URI, in a figure with an optional caption."""
    source = "data:image/png;base64," + base64.b64encode(png).decode("ascii")
    img = Markup(f'<img src="{source}" alt="{esc(alt)}">')
    return tag("figure", img, tag("figcaption", caption) if caption else "")


def section(anchor: str, title: str, *body) -> Markup:
    return Markup(f'<section id="{esc(anchor)}">{tag("h2", title)}{join(body)}</section>')


def definitions(pairs: Iterable[tuple]) -> Markup:
    return tag("dl", join(join((tag("dt", k), tag("dd", v))) for k, v in pairs))


def page(title: str, body: Iterable, lang: str) -> str:
    """The whole document: no script, no external resource."""
    language = "zh-CN" if lang == "zh" else "en"
    return (
        f'<!DOCTYPE html>\n<html lang="{language}">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{esc(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n{join(body)}\n</body>\n</html>\n"
    )


def write_report(path: Path, text: str) -> Path:
    """Write the page to `path` through a temporary file renamed into place: the whole report or none."""
    return write_atomically(Path(path), lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))
