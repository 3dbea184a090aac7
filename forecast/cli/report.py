"""The report command: one self-contained HTML page from a run folder (`forecast report RUN_DIR`), also written
at the end of run, compare and explain with ``--report``."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Annotated

import typer

from forecast.cli.common import LangOption, app, reported_errors
from forecast.errors import InputError, Problem

ReportOption = Annotated[
    bool,
    typer.Option("--report", help="Also write report.html in the output folder (see forecast report)."),
]


@app.command("report")
def report_command(
    run_dir: Annotated[
        Path, typer.Argument(help="A folder written by forecast run, compare, explain, backtest or calibrate.")
    ],
    lang: LangOption = None,
    out: Annotated[Path | None, typer.Option("--out", help="The HTML file (default: RUN_DIR/report.html).")] = None,
    include: Annotated[
        list[Path] | None,
        typer.Option("--with", help="Another output folder to add (a backtest, compare or explain); repeatable."),
    ] = None,
) -> None:
    """Write one self-contained HTML report of a run folder: the question, traffic lights, charts, diagnostics."""
    with reported_errors():
        path, words = _write(run_dir, lang.value if lang else None, out, include or ())
    typer.echo(words.text("wrote_report", path=path))


def write_folder_report(folder: Path, lang: str | None = None) -> Path:
    """Read the folder (and its sub-folders), build the page in `lang` (default: Chinese for a region in China)
    and write it atomically to the folder's report.html."""
    return _write(folder, lang)[0]


def _write(folder: Path, lang: str | None = None, out: Path | None = None, include: Iterable[Path] = ()):
    """The report written (to `out`, default the folder's report.html) and the labels it was worded with."""
    from forecast.inputs.run_folder import read_run_folder
    from forecast.report.html import REPORT_FILE, write_report
    from forecast.report.report_sections import build_report

    target = Path(out) if out is not None else Path(folder) / REPORT_FILE
    if target.is_dir():
        raise InputError([Problem(str(target), "--out", "is a folder", "give the path of the HTML file to write")])
    run = read_run_folder(Path(folder), [Path(p) for p in include])
    words = _labels(run, lang)
    return write_report(target, build_report(run, words)), words


def _labels(run, lang: str | None):
    """Words from the bundled tables (the manifest's own names are laid over them by the report)."""
    from forecast.inputs.catalogue import load_targets
    from forecast.inputs.factors import load_factor_names
    from forecast.inputs.tables import load_indicators, load_regions
    from forecast.report.labels import default_language, make_labels

    indicators, regions = load_indicators(), load_regions()
    shown = run.question.get("region") or str(run.main.manifest.get("region") or "")
    chosen = lang or default_language([shown] if shown else [], regions)
    catalogue = load_targets(indicators=indicators, regions=regions)
    return make_labels(chosen, indicators, regions, catalogue, load_factor_names())
