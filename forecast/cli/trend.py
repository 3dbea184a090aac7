"""Commands on the trend models: run (with the ladder beside it), fit, backtest, audit."""

from __future__ import annotations

import logging
import shlex
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, get_args

import typer

from forecast.cli.common import (
    DEFAULT_CACHE,
    BatchSizeOption,
    CacheOption,
    DataOption,
    DrawsOption,
    DrawsOverride,
    EncodingOption,
    EngineOption,
    ForceOption,
    LangOption,
    RefitOption,
    RegionsOption,
    RunsOption,
    SchedulerOption,
    SeedOption,
    StrictOption,
    TerminalReporter,
    TuneOption,
    TuneOverride,
    VerboseOption,
    WorkersOption,
    _checked_scenario,
    _exit_if_failed,
    _inputs,
    _override_sampler,
    _save_log,
    _trend_settings,
    _warn_convergence,
    _words,
    app,
    ladder_work,
    posterior_cache,
    reported_errors,
)
from forecast.cli.report import ReportOption, write_folder_report
from forecast.errors import InputError, Problem
from forecast.inputs.bundle import Inputs
from forecast.inputs.bundled import bundled_path
from forecast.report.files import claim_output
from forecast.scenario import TrendSettings
from forecast.terminal import quiet

TrendModel = StrEnum("TrendModel", {m: m for m in get_args(TrendSettings.model_fields["model"].annotation)})
"""The trend models a backtest can score: the choices of `forecast.scenario.TrendSettings.model`."""
LADDER_ORIGIN = 2019
"""`forecast backtest --model ladder`'s default origin: calibrate on figures up to 2019, score 2020-2024."""
BacktestModel = StrEnum("BacktestModel", {**{m.value: m.value for m in TrendModel}, "ladder": "ladder"})
"""What `forecast backtest --model` scores: a trend model, or the calibrated ladder beside the default trend model
(`forecast.evaluation.backtest.LADDER`)."""


@app.command()
@quiet
def run(
    scenario: Annotated[Path, typer.Argument(help="Scenario file, e.g. scenarios/langfang_baseline.yaml")],
    data: DataOption = None,
    out: Annotated[Path | None, typer.Option(help="Output folder (default: out/<scenario file name>).")] = None,
    draws: DrawsOverride = None,
    tune: TuneOverride = None,
    refit: RefitOption = False,
    cache: CacheOption = DEFAULT_CACHE,
    runs: RunsOption = None,
    workers: WorkersOption = None,
    engine: EngineOption = None,
    batch_size: BatchSizeOption = None,
    scheduler: SchedulerOption = None,
    encoding: EncodingOption = None,
    regions: RegionsOption = None,
    strict: StrictOption = False,
    force: ForceOption = False,
    lang: LangOption = None,
    verbose: VerboseOption = False,
    html_report: ReportOption = False,
) -> None:
    """Fit the trend models, print P(target met) per target, write charts, table and manifest."""
    from forecast.report.labels import scenario_names
    from forecast.report.run import (
        format_table,
        growth_warnings,
        joint_line,
        joint_summary,
        manifest,
        results_table,
        scenario_question,
        write_run,
    )
    from forecast.trend.pipeline import forecast_targets

    with reported_errors():
        claim_output(out or Path("out") / scenario.stem, force)
        inputs = _inputs(data, encoding, regions)
        spec, targets, spec_hash = _checked_scenario(scenario, inputs)
    spec = _override_sampler(spec, draws, tune)
    _warn_unused(spec)
    words = _words(inputs, lang, spec.region)
    results = forecast_targets(
        spec,
        targets,
        inputs.history,
        inputs.regions,
        inputs.indicators,
        cache=posterior_cache(cache),
        refit=refit,
        reporter=TerminalReporter(words),
        workers=workers,
    )
    ensemble = {"workers": workers, "engine": engine, "batch_size": batch_size, "scheduler": scheduler, "runs": runs}
    ladder = _ladder_output(spec, scenario, targets, inputs, cache, refit, words, ensemble, results)
    table = results_table(results) if ladder is None else ladder.table(results_table(results))
    title = words.scenario(scenario_names(spec, inputs))
    typer.echo("\n" + words.text("run_heading", title=title, seed=spec.seed) + "\n")
    typer.echo(format_table(table, words, targets) if ladder is None else ladder.format(table))
    for line in sorted({n for r in results if r.fit for n in r.fit.notes}):
        logging.getLogger("forecast").info("note: %s", line)  # run.log (and the terminal with -v)
    for line in ladder.technical_notes() if ladder is not None else []:
        logging.getLogger("forecast").info("ladder note: %s", line)
    for status in sorted({r.fit.diagnostics.status for r in results if r.fit and r.fit.diagnostics.status != "ok"}):
        typer.secho(words.text("convergence_warning", status=words.status(status)), fg="yellow", err=True)
    for line in growth_warnings(table, words, targets):
        typer.secho(line, fg=typer.colors.YELLOW, err=True)
    joint = joint_summary(results)
    if joint.get("p_all_met") is not None:
        typer.echo(joint_line(joint, words))
    meta = manifest(
        scenario_name=spec.name,
        seed=spec.seed,
        inputs={"scenario": spec_hash, **inputs.hashes},
        results=results,
        command=shlex.join(["forecast", *sys.argv[1:]]),
    )
    meta = {**meta, "joint": joint, "question": scenario_question(spec, targets, inputs)}
    meta = meta if ladder is None else {**meta, "ladder": ladder.manifest()}
    written = write_run(
        out or Path("out") / scenario.stem, results, table, meta, extra=ladder and ladder.write, labels=words
    )
    written.append(_save_log(out or Path("out") / scenario.stem))
    if html_report:
        with reported_errors():
            written.append(write_folder_report(out or Path("out") / scenario.stem, words.lang))
    typer.echo(words.text("wrote_files", n=len(written), folder=out or Path("out") / scenario.stem))
    _exit_if_failed(strict, (r.fit.diagnostics.status for r in results if r.fit))


def _warn_unused(spec) -> None:
    if (spec.levers or spec.uncertainties) and spec.models.ladder is None:
        typer.secho(
            "note: levers and uncertainties act through the ladder model, which this scenario does not use (add "
            "models: ladder:); the trend forecast ignores them",
            fg=typer.colors.YELLOW,
            err=True,
        )


def _ladder_output(
    spec, path: Path, targets, inputs: Inputs, cache: Path, refit: bool, words, ensemble: dict, trend: list
):
    """The ladder model's forecast beside the trend's, when the scenario has `models.ladder`
    (`ensemble`: workers, engine, batch_size, scheduler), with where the two disagree (`trend`: its results)."""
    if spec.models.ladder is None:
        return None
    from forecast.ladder.gap import ladder_trend_gaps
    from forecast.ladder.pipeline import forecast_ladder
    from forecast.report.labels import scenario_names
    from forecast.report.ladder import LadderOutput

    with ladder_work(ensemble["workers"], ensemble["scheduler"], ensemble["runs"] or spec.models.ladder.runs, words):
        run, results = forecast_ladder(
            spec,
            targets,
            inputs.history,
            inputs.regions,
            inputs.indicators,
            cache=posterior_cache(cache),
            refit=refit,
            policies=inputs.policies,
            registers=inputs.registers,
            reporter=TerminalReporter(words),
            **ensemble,
        )
    title = words.scenario(scenario_names(spec, inputs))
    return LadderOutput(run, results, inputs.history, spec.series, title, words, ladder_trend_gaps(trend, results, run))


@app.command()
@quiet
def fit(
    scenario: Annotated[Path, typer.Argument(help="Scenario file whose targets' indicators to fit.")],
    data: DataOption = None,
    draws: DrawsOverride = None,
    tune: TuneOverride = None,
    refit: RefitOption = False,
    cache: CacheOption = DEFAULT_CACHE,
    encoding: EncodingOption = None,
    regions: RegionsOption = None,
    lang: LangOption = None,
    verbose: VerboseOption = False,
) -> None:
    """Fit (or load) the trend models a scenario needs and save the posteriors for later runs."""
    from forecast.report.run import format_fit_summaries
    from forecast.trend.pipeline import fit_scenario

    with reported_errors():
        inputs = _inputs(data, encoding, regions)
        spec, found, _ = _checked_scenario(scenario, inputs)
    spec = _override_sampler(spec, draws, tune)
    words = _words(inputs, lang, spec.region)
    store = posterior_cache(cache)
    summaries = fit_scenario(spec, found, inputs.history, inputs.regions, inputs.indicators, cache=store, refit=refit)
    typer.echo(format_fit_summaries(summaries, words, str(store.folder)))
    if verbose:
        typer.echo("\n".join(f"note: {n}" for s in summaries for n in s.notes))


def _trend_forecaster(inputs: Inputs, settings, seed: int, cache: Path, workers: int | None = None):
    """The trend model as backtest and audit call it, reusing posteriors saved in `cache`."""
    from forecast.evaluation.backtest import trend_forecaster

    return trend_forecaster(
        regions=inputs.regions,
        indicators=inputs.indicators,
        settings=settings,
        seed=seed,
        cache=posterior_cache(cache),
        workers=workers,
    )


@app.command()
@quiet
def backtest(
    origin: Annotated[
        list[int] | None,
        typer.Option(
            "--origin",
            help="Cut the history at this year and forecast the later ones (repeatable; with --model ladder the "
            "default is 2019).",
        ),
    ] = None,
    data: DataOption = None,
    indicator: Annotated[
        list[str] | None, typer.Option("--indicator", help="Only this indicator (repeatable).")
    ] = None,
    region: Annotated[list[str] | None, typer.Option("--region", help="Only this region (repeatable).")] = None,
    out: Annotated[Path, typer.Option(help="Output folder.")] = Path("out/backtest"),
    draws: DrawsOption = None,
    tune: TuneOption = None,
    seed: SeedOption = None,
    cache: CacheOption = DEFAULT_CACHE,
    encoding: EncodingOption = None,
    regions: RegionsOption = None,
    workers: WorkersOption = None,
    model: Annotated[
        BacktestModel | None,
        typer.Option(
            help="trend model: common (default), or stack / drift / damped / local_trend (the state-space variants, "
            "to compare with); or ladder: the calibrated ladder model beside the trend model on the same points",
        ),
    ] = None,
    runs: Annotated[
        int, typer.Option(min=2, help="With --model ladder: ladder runs per origin and region (default 100).")
    ] = 100,
    separate: Annotated[
        bool,
        typer.Option(
            "--separate",
            help="fit R&D spending, GDP and R&D intensity each alone, not jointly (the default), to compare with",
        ),
    ] = False,
    strict: StrictOption = False,
    force: ForceOption = False,
    lang: LangOption = None,
    verbose: VerboseOption = False,
) -> None:
    """Forecast from past origins and score the trend model against naive baselines (coverage, CRPS, Brier)."""
    from forecast.evaluation.backtest import DEFAULT_SEED, plan_backtest, run_backtest
    from forecast.report.evaluation import format_backtest, write_backtest
    from forecast.report.files import provenance

    seed = DEFAULT_SEED if seed is None else seed
    ladder = model is not None and model.value == "ladder"
    with reported_errors():
        if not origin and not ladder:
            raise InputError([Problem("backtest", "--origin", "no origin given", "e.g. --origin 2017 --origin 2019")])
        origin = origin or [LADDER_ORIGIN]
        claim_output(out, force)
        inputs = _inputs(data, encoding, regions)
        tasks, excluded = plan_backtest(
            inputs.history,
            origin,
            inputs.indicators,
            only_indicators=indicator or [],
            only_regions=region or [],
            source=str(data or bundled_path("history.csv")),
        )
    settings = _trend_settings(
        draws, tune, None if ladder else model and model.value, joint=False if separate else None
    )
    trend = _trend_forecaster(inputs, settings, seed, cache, workers)
    if ladder:
        result = _ladder_backtest(inputs, tasks, excluded, trend, seed=seed, runs=runs, cache=cache)
    else:
        result = run_backtest(inputs.history, tasks, excluded, forecaster=trend, seed=seed)
    words = _words(inputs, lang, region or inputs.history["region"].unique())
    typer.echo(_format_ladder_backtest(result, runs, words) if ladder else format_backtest(result, words))
    _warn_convergence(f["diagnostics"]["status"] for f in result.fits)
    meta = {
        **provenance(command=shlex.join(["forecast", *sys.argv[1:]]), seed=seed, inputs=inputs.hashes),
        "origins": sorted(set(origin)),
        "indicators": indicator or "all",
        "regions": region or "all",
        "trend_settings": settings.model_dump(),
        **({"ladder": {"runs": runs, "calibration_seed": seed}} if ladder else {}),
    }
    written = write_backtest(out, result, meta, labels=words)
    written.append(_save_log(out))
    typer.echo(words.text("wrote_files", n=len(written), folder=out))
    _exit_if_failed(strict, (f["diagnostics"]["status"] for f in result.fits))


def _ladder_backtest(inputs: Inputs, tasks, excluded, trend, *, seed: int, runs: int, cache: Path):
    """`forecast.evaluation.ladder_backtest.run_ladder_backtest` on the bundle's inputs."""
    from forecast.evaluation.ladder_backtest import LadderForecaster, run_ladder_backtest

    end = max((int(t.outcomes["year"].max()) for t in tasks), default=0)
    ladder = LadderForecaster(inputs.regions, inputs.policies, end, seed, runs, cache=posterior_cache(cache))
    return run_ladder_backtest(
        inputs.history, tasks, excluded, regions=inputs.regions, trend=trend, ladder=ladder, seed=seed
    )


def _format_ladder_backtest(result, runs: int, words) -> str:
    from forecast.report.ladder_backtest import format_ladder_backtest

    return format_ladder_backtest(result, runs, words)


@app.command()
@quiet
def audit(
    data: DataOption = None,
    out: Annotated[Path, typer.Option(help="Output folder.")] = Path("out/audit"),
    draws: DrawsOption = None,
    tune: TuneOption = None,
    seed: SeedOption = None,
    cache: CacheOption = DEFAULT_CACHE,
    encoding: EncodingOption = None,
    regions: RegionsOption = None,
    workers: WorkersOption = None,
    strict: StrictOption = False,
    force: ForceOption = False,
    lang: LangOption = None,
    verbose: VerboseOption = False,
) -> None:
    """Past targets: the probability the model would have given at the plan's base year, beside what happened."""
    from forecast.evaluation.audit import audit_cases, run_audit
    from forecast.evaluation.backtest import DEFAULT_SEED
    from forecast.report.evaluation import format_audit, write_audit
    from forecast.report.files import provenance

    seed = DEFAULT_SEED if seed is None else seed
    with reported_errors():
        claim_output(out, force)
        inputs = _inputs(data, encoding, regions)
    cases, skipped = audit_cases(inputs.catalogue, inputs.history, inputs.indicators)
    settings = _trend_settings(draws, tune)
    rows = run_audit(
        cases,
        inputs.history,
        inputs.indicators,
        forecaster=_trend_forecaster(inputs, settings, seed, cache, workers),
        seed=seed,
    )
    words = _words(inputs, lang, sorted({c.target.region for c in cases}))
    typer.echo(format_audit(rows, skipped, words, [c.target for c in cases]))
    _warn_convergence(rows["diagnostics"] if len(rows) else [])
    meta = {
        **provenance(command=shlex.join(["forecast", *sys.argv[1:]]), seed=seed, inputs=inputs.hashes),
        "trend_settings": settings.model_dump(),
    }
    written = write_audit(out, rows, skipped, meta)
    written.append(_save_log(out))
    typer.echo(words.text("wrote_files", n=len(written), folder=out))
    _exit_if_failed(strict, (s for s in (rows["diagnostics"] if len(rows) else []) if str(s).startswith("WARNING")))
