"""Shared pieces of the commands: the Typer app, options, the terminal reporter, error handling and
scenario loading (one home for each)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Literal

import typer

from forecast.errors import InputError
from forecast.inputs.bundle import Inputs, load_inputs
from forecast.inputs.bundled import resolve_scenario
from forecast.terminal import captured_text

app = typer.Typer(
    no_args_is_help=True,
    add_completion=False,
    help="How likely are a plan's targets to be met? Forecasts from Bayesian trend models.",
)


RefitOption = Annotated[
    bool, typer.Option("--refit", help="Fit the trend models again instead of reusing saved posteriors.")
]


DrawsOverride = Annotated[int | None, typer.Option(min=50, help="Override the scenario's posterior draws per chain.")]


TuneOverride = Annotated[int | None, typer.Option(min=50, help="Override the scenario's tuning steps per chain.")]


CacheOption = Annotated[Path, typer.Option("--cache", envvar="PLAN_FORECAST_CACHE", help="Folder of saved posteriors.")]


DEFAULT_CACHE = Path(".forecast-cache")


WorkersOption = Annotated[
    int | None,
    typer.Option(
        min=1,
        envvar="FORECAST_WORKERS",
        help="Processes for trend fits (default: every core) and ladder ensembles (default: up to 4 cores for 20 "
        "runs or more); the numbers do not depend on it.",
    ),
]


BatchSizeOption = Annotated[
    int | None,
    typer.Option(
        min=1,
        help="Ladder runs stepped together by the array engine (default: about 250,000 agents a batch); memory "
        "grows with it, the numbers do not depend on it.",
    ),
]


SchedulerOption = Annotated[
    str | None,
    typer.Option(
        help="Address of a Dask scheduler (e.g. tcp://10.0.0.5:8786): ladder batches run on its workers; the numbers "
        "do not depend on where they run.",
    ),
]


EngineOption = Annotated[
    Literal["array", "mesa"] | None,
    typer.Option(
        help="Ladder engine: array (fast) or mesa (the agent-based reference); default: the scenario's "
        "models.ladder.engine.",
    ),
]


DataOption = Annotated[
    Path | None,
    typer.Option("--data", help="Your own history file (CSV or Excel, same columns as data/history.csv)."),
]


EncodingOption = Annotated[
    str | None,
    typer.Option("--encoding", help="Encoding of the CSV files given (utf-8, gbk, gb18030, ...); default: detected."),
]


RegionsOption = Annotated[
    Path | None,
    typer.Option(
        "--regions",
        help="Regions to add (CSV or Excel: region, name_zh, name_en, level, parent); regions only in --data are "
        "taken as top-level.",
    ),
]


StrictOption = Annotated[
    bool, typer.Option("--strict", help="Exit with code 1 if a fit fails its checks (divergences, R-hat > 1.01, ...).")
]


EXIT_FAILED_CHECKS = 1


EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130
"""Ctrl-C during a ladder ensemble: finished batches are kept and the same command resumes."""


ForceOption = Annotated[
    bool, typer.Option("--force", help="Replace the output folder if it exists (otherwise a run never overwrites one).")
]


class Language(StrEnum):
    zh = "zh"
    en = "en"


LangOption = Annotated[
    Language | None,
    typer.Option(
        "--lang",
        help="Language of charts and printed tables: zh (Chinese) or en (English). Default: zh when the region is in "
        "China (every bundled region is), else en.",
    ),
]


VerboseOption = Annotated[
    bool,
    typer.Option("--verbose", "-v", help="Show library warnings and sampler messages too (always kept in run.log)."),
]


def _words(inputs: Inputs, lang: Language | None, regions):
    """The labels charts and tables are written in (`forecast.report.labels`): --lang, else by the regions shown."""
    from forecast.report.labels import default_language, labels_for

    return labels_for(inputs, lang.value if lang else default_language(regions, inputs.regions))


def _save_log(folder: Path) -> Path:
    """run.log in the output folder: the library warnings and messages kept off the terminal."""
    from forecast.report.runlog import write_log

    return write_log(folder, captured_text())


@contextmanager
def reported_errors() -> Iterator[None]:
    try:
        yield
    except InputError as exc:
        typer.secho(exc.render(), fg=typer.colors.RED, err=True)
        raise typer.Exit(code=EXIT_BAD_INPUT) from None


@contextmanager
def ladder_work(workers: int | None, scheduler: str | None, runs: int, words=None) -> Iterator[None]:
    """Around a command's ladder ensembles: one Dask client for all of them (more than one worker, or a
    scheduler), bad input reported (exit 2), Ctrl-C reported with what was kept (exit 130), in the words of
    `words` (`forecast.report.labels.Labels`; English where none is given)."""
    from forecast.cli.workers import quiet_workers
    from forecast.ladder.ensemble import EnsembleInterrupted, executor
    from forecast.ladder.pipeline import default_workers

    try:
        with reported_errors(), executor(default_workers(runs) if workers is None else workers, scheduler) as client:
            if client is not None:
                quiet_workers(client)  # the workers' warnings to run.log, like this process's
            yield
    except EnsembleInterrupted as exc:
        typer.secho(TerminalReporter(words).words(exc.message), fg=typer.colors.YELLOW, err=True)
        raise typer.Exit(code=EXIT_INTERRUPTED) from None


def _inputs(data: Path | None, encoding: str | None, regions: Path | None) -> Inputs:
    """The checked inputs; what the loaders converted or inferred is printed as notes."""
    inputs = load_inputs(data, encoding=encoding, regions=regions)
    for line in inputs.notes:
        typer.secho(f"note: {line}", fg=typer.colors.YELLOW, err=True)
    return inputs


def _exit_if_failed(strict: bool, statuses) -> None:
    """With --strict, exit 1 (after the files are written) if any fit's status is not 'ok'."""
    failed = sorted({s for s in statuses if s != "ok"})
    if strict and failed:
        typer.secho(f"--strict: {len(failed)} kind(s) of failed checks: {'; '.join(failed)}", fg="red", err=True)
        raise typer.Exit(code=EXIT_FAILED_CHECKS)


class TerminalReporter:
    """Notes to standard error; progress bars (tqdm) on standard error for work counted in steps; both in the
    words of `labels` (`forecast.report.labels.Labels`; English where none is given)."""

    def __init__(self, labels=None) -> None:
        self.labels = labels

    def words(self, message) -> str:
        from forecast.report.labels import ENGLISH

        return (self.labels or ENGLISH).message(message)

    def note(self, message) -> None:
        typer.echo(self.words(message), err=True)

    @contextmanager
    def progress(self, total: int, desc) -> Iterator:
        from tqdm.auto import tqdm

        # time left shown on a terminal; no bar where standard error is not one (CI logs, CliRunner)
        with tqdm(total=total, desc=self.words(desc)[:60], file=sys.stderr, disable=None) as bar:
            yield bar.update


def posterior_cache(folder: Path):
    from forecast.cache import PosteriorCache

    return PosteriorCache(folder)


def _checked_scenario(path: Path, inputs: Inputs):
    """A scenario loaded and checked against the inputs: (scenario, its targets, file hash)."""
    from forecast.scenario import load_checked_scenario

    checked = load_checked_scenario(resolve_scenario(path), inputs)
    return checked.spec, checked.targets, checked.sha256


def _override_sampler(spec, draws: int | None, tune: int | None):
    if spec.models.trend is None or (draws is None and tune is None):
        return spec
    trend = spec.models.trend.model_copy(
        update={k: v for k, v in {"draws": draws, "tune": tune}.items() if v is not None}
    )
    return spec.model_copy(update={"models": spec.models.model_copy(update={"trend": trend})})


SeedOption = Annotated[
    int | None,
    typer.Option(help="Seed of every fit and baseline draw (default: a fixed seed); recorded in the manifest."),
]


DrawsOption = Annotated[int | None, typer.Option(min=50, help="Posterior draws per chain (default 1000).")]


TuneOption = Annotated[int | None, typer.Option(min=50, help="Tuning steps per chain (default 1000).")]


def _trend_settings(draws: int | None, tune: int | None, model: str | None = None, joint: bool | None = None):
    from forecast.scenario import TrendSettings

    given = {"draws": draws, "tune": tune, "model": model, "joint": joint}
    return TrendSettings(**{k: v for k, v in given.items() if v is not None})


def _warn_convergence(statuses) -> None:
    if any(s.startswith("WARNING") for s in statuses):
        typer.secho(
            "convergence warnings above: treat the model's scores with care; raise --draws/--tune",
            fg=typer.colors.YELLOW,
            err=True,
        )


RunsOption = Annotated[
    int | None, typer.Option(min=2, help="Runs per ensemble (default: the scenario's models.ladder.runs).")
]
