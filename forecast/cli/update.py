"""`forecast update`: a bureau's new figures merged into the working history, checked, and the runs refitted.

The working history is a file the user owns (``--into``, default
``forecast-data/history.csv`` in the current folder); the first update starts it from
the bundled history, and the installed package is never modified. Later commands use it
with ``--data forecast-data/history.csv``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from forecast.cli.common import (
    DEFAULT_CACHE,
    CacheOption,
    EncodingOption,
    LangOption,
    RegionsOption,
    TerminalReporter,
    VerboseOption,
    _override_sampler,
    _save_log,
    _trend_settings,
    _words,
    app,
    posterior_cache,
    reported_errors,
)
from forecast.errors import InputError
from forecast.terminal import quiet

DEFAULT_HISTORY = Path("forecast-data") / "history.csv"


@app.command()
@quiet
def update(
    data: Annotated[Path, typer.Option("--data", help="The new figures (CSV or Excel, the columns of --data files).")],
    into: Annotated[
        Path, typer.Option("--into", help="The working history to merge them into (started from the bundled one).")
    ] = DEFAULT_HISTORY,
    encoding: EncodingOption = None,
    regions: RegionsOption = None,
    out_root: Annotated[
        Path, typer.Option("--out-root", help="Folder of past runs whose probabilities to refit and compare.")
    ] = Path("out"),
    draws: Annotated[
        int | None,
        typer.Option(
            min=50,
            help="Draws per chain of the fits that check the new figures (default 1000); the refits "
            "use each run's own.",
        ),
    ] = None,
    tune: Annotated[
        int | None, typer.Option(min=50, help="Tuning steps per chain of those fits (default 1000).")
    ] = None,
    seed: Annotated[int | None, typer.Option(help="Seed of those fits (default: a fixed seed).")] = None,
    cache: CacheOption = DEFAULT_CACHE,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Check the new figures only: write nothing, refit nothing.")
    ] = False,
    lang: LangOption = None,
    verbose: VerboseOption = False,
) -> None:
    """Add new figures to the working history: list revisions, flag unexpected jumps, refit and show how each
    target's P(met) moved since its scenario's last run."""
    from forecast.evaluation.backtest import DEFAULT_SEED
    from forecast.evaluation.update import check_new_figures
    from forecast.inputs.bundle import load_inputs
    from forecast.inputs.tables import infer_regions, read_history
    from forecast.inputs.updates import merge_history
    from forecast.report.update import format_checks, format_merge, write_history

    with reported_errors():
        old = load_inputs(into if into.exists() else None, regions=regions)
        new, notes = read_history(data, old.indicators, encoding)
        region_table, inferred = infer_regions(new, old.regions, str(data))
    for line in [*notes, *inferred]:
        typer.secho(f"note: {line}", fg=typer.colors.YELLOW, err=True)
    words = _words(old, lang, sorted(set(new["region"])) or ["china"])
    merge = merge_history(old.history, new)
    typer.echo(format_merge(merge, str(data), words))
    if not merge.changed:
        typer.echo(words.text("nothing_new", path=into))
        return
    checks = check_new_figures(
        old.history,
        merge.of("new"),
        regions=region_table,
        indicators=old.indicators,
        settings=_trend_settings(draws, tune),
        seed=DEFAULT_SEED if seed is None else seed,
        cache=posterior_cache(cache),
        reporter=TerminalReporter(words),
    )
    typer.echo("\n" + format_checks(checks, words))
    if dry_run:
        typer.echo(words.text("dry_run"))
        return
    write_history(into, merge.history)
    typer.echo(words.text("history_written", path=into, n=len(merge.history)))
    with reported_errors():
        updated = load_inputs(into, regions=regions)
    _refit_last_runs(out_root, updated, old.hashes["data"], cache, words)
    _save_log(into.parent)


def _refit_last_runs(out_root: Path, inputs, old_hash: str, cache: Path, words) -> None:
    """For each scenario with a past run under `out_root`: refit on the updated history and print the moves."""
    from forecast.evaluation.update import scenario_moves
    from forecast.inputs.runs import last_runs
    from forecast.report.labels import scenario_names
    from forecast.report.update import format_moves

    found = last_runs(out_root)
    if not found:
        typer.echo("\n" + words.text("no_past_runs", root=out_root))
    for run in found:
        try:
            spec, targets, spec_hash = _scenario_of(run, inputs)
        except InputError as exc:
            reason = "; ".join(str(p) for p in exc.problems)
            typer.echo("\n" + words.text("run_skipped", scenario=run.scenario, reason=reason))
            continue
        moves, _ = scenario_moves(
            spec,
            targets,
            run.probabilities,
            inputs.history,
            inputs.regions,
            inputs.indicators,
            cache=posterior_cache(cache),
            reporter=TerminalReporter(words),
        )
        notes = [words.text("other_data", old=run.data_sha256[:12])] if run.data_sha256 != old_hash else []
        notes += [words.text("scenario_changed")] if spec_hash != run.scenario_sha256 else []
        date = run.created_utc.replace("T", " ").replace("+00:00", " UTC") or "-"
        title = words.scenario(scenario_names(spec, inputs))
        heading = words.text("moves_heading", scenario=title, folder=run.folder, date=date)
        typer.echo("\n" + format_moves(moves, heading, words, targets, notes))


def _scenario_of(run, inputs):
    """The scenario a past run was called with (its recorded command line, parsed as `forecast run` parses it),
    checked against the updated inputs, with the run's --draws/--tune."""
    from forecast.cli.common import _checked_scenario
    from forecast.errors import Problem

    params = _run_arguments(run.command)
    if params.get("scenario") is None:
        raise InputError(
            [Problem(str(run.folder), "manifest.json", "the run's command names no scenario", "run it again")]
        )
    spec, targets, spec_hash = _checked_scenario(Path(params["scenario"]), inputs)
    return _override_sampler(spec, params.get("draws"), params.get("tune")), targets, spec_hash


def _run_arguments(command: tuple[str, ...]) -> dict:
    """`forecast run`'s parameters from a recorded command line (``forecast run SCENARIO --draws 200 ...``), parsed
    by the run command itself (leniently: what it cannot read is left at its default)."""
    if len(command) < 3 or command[1] != "run":
        return {}
    run_command = typer.main.get_command(app).commands["run"]
    return run_command.make_context("run", list(command[2:]), resilient_parsing=True).params
