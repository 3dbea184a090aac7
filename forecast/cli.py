"""The `forecast` command line: one sub-command per verb; bodies load, call, write.

Bad input (a missing or malformed file, an unknown region or target) is printed as a
list of problems naming the file, the place and the fix, with exit code 2; nothing is
written.
"""

from __future__ import annotations

import logging
import shlex
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Literal

import typer

from forecast.errors import InputError, Problem, did_you_mean
from forecast.inputs.bundle import Inputs, load_inputs
from forecast.inputs.bundled import bundled_path, resolve_scenario
from forecast.inputs.catalogue import is_forecastable
from forecast.report.files import claim_output
from forecast.terminal import captured_text, quiet

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
        help="Processes for ladder ensembles (default: up to 4 cores for 20 runs or more); the numbers do not "
        "depend on it.",
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
    """Notes to standard error; progress bars (tqdm) on standard error for work counted in steps."""

    def note(self, message: str) -> None:
        typer.echo(message, err=True)

    @contextmanager
    def progress(self, total: int, desc: str) -> Iterator:
        from tqdm.auto import tqdm

        # time left shown on a terminal; no bar where standard error is not one (CI logs, CliRunner)
        with tqdm(total=total, desc=desc, file=sys.stderr, disable=None) as bar:
            yield bar.update


REPORTER = TerminalReporter()


def posterior_cache(folder: Path):
    from forecast.cache import PosteriorCache

    return PosteriorCache(folder)


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
    workers: WorkersOption = None,
    engine: EngineOption = None,
    encoding: EncodingOption = None,
    regions: RegionsOption = None,
    strict: StrictOption = False,
    force: ForceOption = False,
    lang: LangOption = None,
    verbose: VerboseOption = False,
) -> None:
    """Fit the trend models, print P(target met) per target, write charts, table and manifest."""
    from forecast.report.run import format_table, joint_summary, manifest, results_table, write_run
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
        reporter=REPORTER,
    )
    ladder = _ladder_output(spec, scenario, targets, inputs, cache, refit, workers, words, engine)
    table = results_table(results) if ladder is None else ladder.table(results_table(results))
    typer.echo(f"\n{spec.name}  (seed {spec.seed})\n")
    typer.echo(format_table(table, words, targets) if ladder is None else ladder.format(table))
    for line in sorted({n for r in results if r.fit for n in r.fit.notes}):
        logging.getLogger("forecast").info("note: %s", line)  # run.log (and the terminal with -v)
    for status in sorted({r.fit.diagnostics.status for r in results if r.fit and r.fit.diagnostics.status != "ok"}):
        typer.secho(
            f"convergence {status}: treat these probabilities with care; raise draws/tune",
            fg=typer.colors.YELLOW,
            err=True,
        )
    joint = joint_summary(results)
    if joint.get("p_all_met") is not None:
        typer.echo(
            f"P(all {len(joint['targets'])} targets met) = {joint['p_all_met']:.2f} ± {joint['mc_error']:.2f} "
            f"({joint['note']})"
        )
    meta = manifest(
        scenario_name=spec.name,
        seed=spec.seed,
        inputs={"scenario": spec_hash, **inputs.hashes},
        results=results,
        command=shlex.join(["forecast", *sys.argv[1:]]),
    )
    meta = {**meta, "joint": joint}
    meta = meta if ladder is None else {**meta, "ladder": ladder.manifest()}
    written = write_run(
        out or Path("out") / scenario.stem, results, table, meta, extra=ladder and ladder.write, labels=words
    )
    written.append(_save_log(out or Path("out") / scenario.stem))
    typer.echo(f"\nwrote {len(written)} files to {(out or Path('out') / scenario.stem)}")
    _exit_if_failed(strict, (r.fit.diagnostics.status for r in results if r.fit))


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


def _warn_unused(spec) -> None:
    if (spec.levers or spec.uncertainties) and spec.models.ladder is None:
        typer.secho(
            "note: levers and uncertainties act through the ladder model, which this scenario does not use (add "
            "models: ladder:); the trend forecast ignores them",
            fg=typer.colors.YELLOW,
            err=True,
        )


def _ladder_output(
    spec, path: Path, targets, inputs: Inputs, cache: Path, refit: bool, workers: int | None, words, engine=None
):
    """The ladder model's forecast beside the trend's, when the scenario has `models.ladder`."""
    if spec.models.ladder is None:
        return None
    from forecast.ladder.pipeline import forecast_ladder
    from forecast.report.ladder import LadderOutput

    run, results = forecast_ladder(
        spec,
        targets,
        inputs.history,
        inputs.regions,
        inputs.indicators,
        cache=posterior_cache(cache),
        refit=refit,
        workers=workers,
        engine=engine,
        reporter=REPORTER,
    )
    return LadderOutput(run, results, inputs.history, spec.series, path.stem, words)


@app.command()
def fit(
    scenario: Annotated[Path, typer.Argument(help="Scenario file whose targets' indicators to fit.")],
    data: DataOption = None,
    draws: DrawsOverride = None,
    tune: TuneOverride = None,
    refit: RefitOption = False,
    cache: CacheOption = DEFAULT_CACHE,
    encoding: EncodingOption = None,
    regions: RegionsOption = None,
) -> None:
    """Fit (or load) the trend models a scenario needs and save the posteriors for later runs."""
    from forecast.trend.pipeline import fit_scenario

    with reported_errors():
        inputs = _inputs(data, encoding, regions)
        spec, found, _ = _checked_scenario(scenario, inputs)
    spec = _override_sampler(spec, draws, tune)
    for line in fit_scenario(
        spec, found, inputs.history, inputs.regions, inputs.indicators, cache=posterior_cache(cache), refit=refit
    ):
        typer.echo(line)


@app.command()
def targets(
    region: Annotated[str | None, typer.Option(help="Only this region (pinyin key, e.g. langfang).")] = None,
    all_rows: Annotated[
        bool,
        typer.Option(
            "--all", help="Also list targets without a deadline or number (templates, non-quantitative rows)."
        ),
    ] = False,
) -> None:
    """List the plans' targets from the catalogue."""
    with reported_errors():
        catalogue = load_inputs(None).catalogue
        if region is not None and region not in set(catalogue["region"]):
            raise InputError(
                [
                    Problem(
                        str(bundled_path("targets.csv")),
                        "--region",
                        f"no targets for region '{region}'",
                        did_you_mean(region, catalogue["region"]),
                    )
                ]
            )
    rows = catalogue if region is None else catalogue[catalogue["region"] == region]
    if not all_rows:
        rows = rows[rows.apply(is_forecastable, axis=1)]
    shown = rows[
        ["target_id", "comparator", "base_year", "base_value", "target_year", "target_value", "unit", "milestone"]
    ]
    typer.echo(shown.to_string(index=False, na_rep="-", float_format=lambda v: f"{v:g}"))
    typer.echo(f"\n{len(rows)} targets")


@app.command()
def check(
    scenario: Annotated[Path, typer.Argument(help="Scenario file to validate.")],
    data: DataOption = None,
    encoding: EncodingOption = None,
    regions: RegionsOption = None,
) -> None:
    """Validate a scenario (and a data file) without fitting anything."""
    with reported_errors():
        inputs = _inputs(data, encoding, regions)
        spec, found, _ = _checked_scenario(scenario, inputs)
    typer.echo(f"{scenario}: ok ({len(found)} targets: {', '.join(t.target_id for t in found)})")


@app.command("data")
def data_command(data: DataOption = None, encoding: EncodingOption = None, regions: RegionsOption = None) -> None:
    """Validate a history file and summarise what it holds per region and indicator."""
    with reported_errors():
        inputs = _inputs(data, encoding, regions)
    summary = inputs.history.groupby(["region", "indicator"]).agg(
        figures=("value", "size"), first=("year", "min"), last=("year", "max")
    )
    typer.echo(summary.to_string())
    typer.echo(f"\n{len(inputs.history)} figures, all valid")


SeedOption = Annotated[
    int | None,
    typer.Option(help="Seed of every fit and baseline draw (default: a fixed seed); recorded in the manifest."),
]
DrawsOption = Annotated[int | None, typer.Option(min=50, help="Posterior draws per chain (default 1000).")]
TuneOption = Annotated[int | None, typer.Option(min=50, help="Tuning steps per chain (default 1000).")]


def _trend_settings(draws: int | None, tune: int | None):
    from forecast.scenario import TrendSettings

    return TrendSettings(**{k: v for k, v in {"draws": draws, "tune": tune}.items() if v is not None})


def _trend_forecaster(inputs: Inputs, settings, seed: int, cache: Path):
    """The trend model as backtest and audit call it, reusing posteriors saved in `cache`."""
    from forecast.evaluation.backtest import trend_forecaster

    return trend_forecaster(
        regions=inputs.regions, indicators=inputs.indicators, settings=settings, seed=seed, cache=posterior_cache(cache)
    )


def _warn_convergence(statuses) -> None:
    if any(s.startswith("WARNING") for s in statuses):
        typer.secho(
            "convergence warnings above: treat the model's scores with care; raise --draws/--tune",
            fg=typer.colors.YELLOW,
            err=True,
        )


@app.command()
@quiet
def backtest(
    origin: Annotated[
        list[int],
        typer.Option("--origin", help="Cut the history at this year and forecast the later ones (repeatable)."),
    ],
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
    with reported_errors():
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
    settings = _trend_settings(draws, tune)
    result = run_backtest(
        inputs.history,
        tasks,
        excluded,
        forecaster=_trend_forecaster(inputs, settings, seed, cache),
        seed=seed,
    )
    typer.echo(format_backtest(result))
    _warn_convergence(f["diagnostics"]["status"] for f in result.fits)
    meta = {
        **provenance(command=shlex.join(["forecast", *sys.argv[1:]]), seed=seed, inputs=inputs.hashes),
        "origins": sorted(set(origin)),
        "indicators": indicator or "all",
        "regions": region or "all",
        "trend_settings": settings.model_dump(),
    }
    words = _words(inputs, lang, region or inputs.history["region"].unique())
    written = write_backtest(out, result, meta, labels=words)
    written.append(_save_log(out))
    typer.echo(f"\nwrote {len(written)} files to {out}")
    _exit_if_failed(strict, (f["diagnostics"]["status"] for f in result.fits))


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
    strict: StrictOption = False,
    force: ForceOption = False,
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
        forecaster=_trend_forecaster(inputs, settings, seed, cache),
        seed=seed,
    )
    typer.echo(format_audit(rows, skipped))
    _warn_convergence(rows["diagnostics"] if len(rows) else [])
    meta = {
        **provenance(command=shlex.join(["forecast", *sys.argv[1:]]), seed=seed, inputs=inputs.hashes),
        "trend_settings": settings.model_dump(),
    }
    written = write_audit(out, rows, skipped, meta)
    written.append(_save_log(out))
    typer.echo(f"\nwrote {len(written)} files to {out}")
    _exit_if_failed(strict, (s for s in (rows["diagnostics"] if len(rows) else []) if str(s).startswith("WARNING")))


def _load_ladder_scenario(path: Path, inputs: Inputs):
    """A checked scenario with a ladder section: (scenario, targets, file hash)."""
    spec, found, digest = _checked_scenario(path, inputs)
    if spec.models.ladder is None:
        raise InputError(
            [
                Problem(
                    str(path),
                    "models",
                    "no ladder section",
                    "add 'models: {ladder: {runs: 100, firm_scale: 10}}' (see scenarios/langfang_ladder_baseline.yaml)",
                )
            ]
        )
    return spec, found, digest


def _labels(paths: list[Path]) -> list[str]:
    stems = [p.stem for p in paths]
    return [s if stems.count(s) == 1 else f"{s}-{i + 1}" for i, s in enumerate(stems)]


RunsOption = Annotated[
    int | None, typer.Option(min=2, help="Runs per ensemble (default: the scenario's models.ladder.runs).")
]


@app.command()
@quiet
def compare(
    scenarios: Annotated[
        list[Path], typer.Argument(help="Two or more scenario files of one region, each with models.ladder.")
    ],
    data: DataOption = None,
    out: Annotated[Path, typer.Option(help="Output folder.")] = Path("out/compare"),
    runs: RunsOption = None,
    seed: Annotated[
        int | None,
        typer.Option(
            help="One seed for every scenario (default: the first one's), so differences are the levers', not noise."
        ),
    ] = None,
    cache: CacheOption = DEFAULT_CACHE,
    workers: WorkersOption = None,
    engine: EngineOption = None,
    encoding: EncodingOption = None,
    regions: RegionsOption = None,
    force: ForceOption = False,
    lang: LangOption = None,
    verbose: VerboseOption = False,
) -> None:
    """Scenarios side by side on the ladder model: P(met) ± Monte Carlo error per target, fan charts, stage counts."""
    from forecast.ladder.pipeline import compare_scenarios
    from forecast.report.ladder import compare_manifest, compare_table, format_compare_table, write_compare

    with reported_errors():
        claim_output(out, force)
        inputs = _inputs(data, encoding, regions)
        loaded = dict(zip(_labels(scenarios), (_load_ladder_scenario(p, inputs) for p in scenarios), strict=True))
        _check_comparable(scenarios, loaded)
    first = next(iter(loaded.values()))[0]
    seed, runs = (first.seed if seed is None else seed), (runs or first.models.ladder.runs)
    ensembles, results = compare_scenarios(
        {k: v[:2] for k, v in loaded.items()},
        inputs.history,
        inputs.regions,
        inputs.indicators,
        seed=seed,
        runs=runs,
        cache=posterior_cache(cache),
        workers=workers,
        engine=engine,
        reporter=REPORTER,
    )
    words = _words(inputs, lang, first.region)
    found = [t for v in loaded.values() for t in v[1]]
    typer.echo(format_compare_table(compare_table(list(loaded), results), list(loaded), labels=words, targets=found))
    hashes = {**{f"scenario {label}": v[2] for label, v in loaded.items()}, **inputs.hashes}
    meta = compare_manifest(
        command=shlex.join(["forecast", *sys.argv[1:]]), seed=seed, inputs=hashes, runs=ensembles, results=results
    )
    written = write_compare(out, ensembles, results, inputs.history, first.series, meta, labels=words)
    written.append(_save_log(out))
    typer.echo(f"\nwrote {len(written)} files to {out}")


def _check_comparable(paths: list[Path], loaded: dict) -> None:
    regions = {v[0].region for v in loaded.values()}
    if len(paths) < 2:
        raise InputError(
            [
                Problem(
                    "compare",
                    "arguments",
                    "give at least two scenario files",
                    "e.g. forecast compare scenarios/langfang_ladder_baseline.yaml "
                    "scenarios/langfang_small_to_high.yaml",
                )
            ]
        )
    if len(regions) > 1:
        raise InputError(
            [
                Problem(
                    "compare",
                    "arguments",
                    f"the scenarios are for different regions ({', '.join(sorted(regions))})",
                    "compare scenarios of one region",
                )
            ]
        )


@app.command()
@quiet
def explain(
    scenario: Annotated[Path, typer.Argument(help="Scenario file with models.ladder.")],
    target: Annotated[str | None, typer.Option(help="Target id (default: the first target the ladder models).")] = None,
    probability: Annotated[
        float,
        typer.Option(
            min=0.0, max=1.0, help="Goal for the inverse search: the smallest lever size giving at least this P(met)."
        ),
    ] = 0.8,
    lever: Annotated[
        str | None, typer.Option(help="Lever for the inverse search (default: the one that moves P(met) most).")
    ] = None,
    max_size: Annotated[
        float | None,
        typer.Option(
            help="Largest size searched (needed for a lever without an upper bound that the scenario does not set)."
        ),
    ] = None,
    runs: RunsOption = None,
    data: DataOption = None,
    out: Annotated[Path | None, typer.Option(help="Output folder (default: out/explain_<scenario file name>).")] = None,
    cache: CacheOption = DEFAULT_CACHE,
    workers: WorkersOption = None,
    engine: EngineOption = None,
    encoding: EncodingOption = None,
    regions: RegionsOption = None,
    force: ForceOption = False,
    lang: LangOption = None,
    verbose: VerboseOption = False,
) -> None:
    """Which levers and uncertainties move P(target): a one-at-a-time sweep (table, tornado chart), then the
    lever size a chosen probability needs."""
    from forecast.ladder.explain import explain_plan, search_problem
    from forecast.ladder.pipeline import needs_gdp, plan_ladder, uncertainty_ranges
    from forecast.report.files import provenance
    from forecast.report.ladder import format_explain, write_explain

    with reported_errors():
        claim_output(out or Path("out") / f"explain_{scenario.stem}", force)
        inputs = _inputs(data, encoding, regions)
        spec, found, digest = _load_ladder_scenario(scenario, inputs)
        chosen = _explained_target(scenario, found, target)
        problem = search_problem({c.lever: c.size for c in spec.levers}, lever, max_size) if lever else ""
        if problem:
            raise InputError(
                [
                    Problem(
                        str(scenario),
                        "--lever",
                        problem,
                        "give --max-size" if "upper bound" in problem else did_you_mean(lever, _lever_names()),
                    )
                ]
            )
    plan = plan_ladder(
        spec,
        inputs.history,
        inputs.regions,
        inputs.indicators,
        need_gdp=needs_gdp([chosen]),
        runs=runs,
        cache=posterior_cache(cache),
        workers=workers,
        engine=engine,
        reporter=REPORTER,
    )
    report = explain_plan(
        plan, chosen, uncertainty_ranges(spec), goal=probability, lever=lever, max_size=max_size, reporter=REPORTER
    )
    words = _words(inputs, lang, spec.region)
    typer.echo(format_explain(report, words))
    meta = {
        **provenance(
            command=shlex.join(["forecast", *sys.argv[1:]]),
            seed=spec.seed,
            inputs={"scenario": digest, **inputs.hashes},
        ),
        "goal": probability,
    }
    folder = out or Path("out") / f"explain_{scenario.stem}"
    written = write_explain(folder, report, meta, labels=words)
    written.append(_save_log(folder))
    typer.echo(f"\nwrote {len(written)} files to {folder}")


def _lever_names() -> list[str]:
    from models.ladder import LEVERS

    return list(LEVERS)


def _explained_target(path: Path, found: list, target_id: str | None):
    from forecast.ladder.pipeline import LADDER_INDICATORS

    modelled = [t for t in found if t.indicator in LADDER_INDICATORS]
    if target_id is None and modelled:
        return modelled[0]
    chosen = next((t for t in modelled if t.target_id == target_id), None)
    if chosen is None:
        ids = [t.target_id for t in modelled]
        fix = (
            did_you_mean(target_id, ids)
            if target_id and ids
            else "track a target on high-tech enterprises, tech SMEs, certifications or R&D"
        )
        raise InputError(
            [
                Problem(
                    str(path),
                    "--target",
                    f"no ladder-modelled target '{target_id}' in the scenario"
                    if target_id
                    else "the scenario has no target the ladder models",
                    fix,
                )
            ]
        )
    return chosen


@app.command("calibrate")
@quiet
def calibrate_command(
    region: Annotated[
        str, typer.Option(help="Region whose ladder rates to fit (pinyin key); a city is pooled with its province.")
    ] = "langfang",
    data: DataOption = None,
    draws: Annotated[
        int | None, typer.Option(min=50, help="Posterior draws per chain (default 2000, what `run` uses).")
    ] = None,
    tune: Annotated[int | None, typer.Option(min=50, help="Tuning steps per chain (default 1000).")] = None,
    chains: Annotated[
        int | None, typer.Option(min=1, max=8, help="Chains, run in parallel on up to as many cores (default 2).")
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed of the pilot runs, the sampler and the check runs.")] = 1,
    runs: Annotated[int, typer.Option(min=2, help="ABM runs with posterior draws for the predictive check.")] = 40,
    out: Annotated[Path | None, typer.Option(help="Output folder (default: out/calibration/<region>).")] = None,
    refit: Annotated[bool, typer.Option("--refit", help="Fit again instead of reusing a saved posterior.")] = False,
    cache: CacheOption = DEFAULT_CACHE,
    encoding: EncodingOption = None,
    regions: RegionsOption = None,
    strict: StrictOption = False,
    force: ForceOption = False,
    lang: LangOption = None,
    verbose: VerboseOption = False,
) -> None:
    """Fit the ladder model's rates to a region's history: posterior, summary, predictive check, manifest.

    The posterior is also saved in the posterior cache, where scenarios with
    `calibration: posterior` (and `calibration_seed` equal to --seed) find it.
    """
    from forecast.ladder.calibration import calibration_parent, posterior_for, predictive_check_draws
    from forecast.report.calibration import check_chart, format_summary, manifest, summary_table, write_calibration
    from models.ladder.calibration import attrs_json

    with reported_errors():
        claim_output(out or Path("out") / "calibration" / region, force)
        inputs = _inputs(data, encoding, regions)
        parent = calibration_parent(region, inputs.history, inputs.regions, str(data or bundled_path("history.csv")))
    sampler = {k: v for k, v in {"draws": draws, "tune": tune, "chains": chains}.items() if v is not None}
    idata = posterior_for(
        region,
        inputs.history,
        inputs.regions,
        seed=seed,
        cache=posterior_cache(cache),
        refit=refit,
        parent=parent,
        reporter=REPORTER,
        **sampler,
    )
    table, status = summary_table(idata), attrs_json(idata, "diagnostics")["status"]
    check = predictive_check_draws(idata, runs=runs, seed=seed)
    figure = check_chart(check, idata, inputs.history, _words(inputs, lang, region))
    typer.echo(
        f"\n{region}: ladder calibration{f' (pooled with {parent})' if parent else ''}, seed "
        f"{seed}\n\n{format_summary(table, region, status)}"
    )
    if status != "ok":
        typer.secho("treat this posterior with care; raise --draws/--tune", fg=typer.colors.YELLOW, err=True)
    folder = out or Path("out") / "calibration" / region
    written = write_calibration(
        folder,
        idata,
        table,
        figure,
        manifest(idata, command=shlex.join(["forecast", *sys.argv[1:]]), inputs=inputs.hashes, check=check),
    )
    written.append(_save_log(folder))
    typer.echo(f"\nwrote {len(written)} files to {folder}")
    _exit_if_failed(strict, [status])


@app.command()
def county(
    data: Annotated[
        Path, typer.Option("--data", help="The county's figures (CSV or Excel: indicator, value, unit, year).")
    ],
    county: Annotated[str | None, typer.Option(help="The county, where the file holds several.")] = None,
    cuts: Annotated[
        str, typer.Option(help="Lowest scores of classes A and B (an assumption: the index gives none).")
    ] = "70,50",
    out: Annotated[Path | None, typer.Option(help="Also write scorecard.csv and manifest.json to this folder.")] = None,
    force: ForceOption = False,
) -> None:
    """Score a county on seed 001's S&T capacity index (17 indicators): points, class A/B/C, what is missing."""
    from forecast.evaluation.county import score_county
    from forecast.inputs.county import load_county_figures, load_county_index
    from forecast.inputs.tables import file_hash, load_history
    from forecast.report.county import format_scorecard, write_scorecard
    from forecast.report.files import provenance

    with reported_errors():
        class_cuts = _class_cuts(cuts)
        if out is not None:
            claim_output(out, force)
        index = load_county_index()
        figures = load_county_figures(data, index, county)
    card = score_county(index, figures, set(load_history()["indicator"]), county=county or "", cuts=class_cuts)
    typer.echo(format_scorecard(card))
    if out is not None:
        hashes = {"figures": file_hash(data), "county_index": file_hash(bundled_path("county_index.csv"))}
        meta = provenance(command=shlex.join(["forecast", *sys.argv[1:]]), seed=None, inputs=hashes)
        typer.echo(f"\nwrote {len(write_scorecard(out, card, meta))} files to {out}")


def _class_cuts(text: str) -> tuple[tuple[str, float], ...]:
    from forecast.evaluation.county import check_cuts

    try:
        cuts = tuple(zip(("A", "B"), (float(v) for v in text.split(",")), strict=True))
    except ValueError:
        cuts = ()
    problem = check_cuts(cuts) if cuts else "give two numbers, A's and B's lowest score"
    if problem:
        raise InputError([Problem("--cuts", f"'{text}'", problem, "e.g. --cuts 70,50")])
    return cuts


@app.command()
def runs(
    out_root: Annotated[Path, typer.Option("--out-root", help="Folder the runs were written under.")] = Path("out"),
) -> None:
    """List past runs, newest first: scenario, date, seed, data hash, headline probabilities (from their manifests)."""
    from forecast.inputs.runs import load_run_records
    from forecast.report.runs import format_runs

    with reported_errors():
        records = load_run_records(out_root)
    typer.echo(format_runs(records, str(out_root)))


if __name__ == "__main__":
    app()
