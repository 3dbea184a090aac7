"""Commands on the ladder model: compare, explain, calibrate."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path
from typing import Annotated

import typer

from forecast.cli.common import (
    DEFAULT_CACHE,
    BatchSizeOption,
    CacheOption,
    DataOption,
    EncodingOption,
    EngineOption,
    ForceOption,
    LangOption,
    RegionsOption,
    RunsOption,
    SchedulerOption,
    StrictOption,
    TerminalReporter,
    VerboseOption,
    WorkersOption,
    _checked_scenario,
    _exit_if_failed,
    _inputs,
    _save_log,
    _words,
    app,
    ladder_work,
    posterior_cache,
    reported_errors,
)
from forecast.cli.report import ReportOption, write_folder_report
from forecast.errors import InputError, Problem, did_you_mean
from forecast.inputs.bundle import Inputs
from forecast.inputs.bundled import bundled_path
from forecast.report.files import claim_output
from forecast.terminal import quiet


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
                    "add 'models: {ladder: {runs: 100}}' (see scenarios/langfang_ladder_baseline.yaml)",
                )
            ]
        )
    return spec, found, digest


def _labels(paths: list[Path]) -> list[str]:
    stems = [p.stem for p in paths]
    return [s if stems.count(s) == 1 else f"{s}-{i + 1}" for i, s in enumerate(stems)]


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
    batch_size: BatchSizeOption = None,
    scheduler: SchedulerOption = None,
    encoding: EncodingOption = None,
    regions: RegionsOption = None,
    force: ForceOption = False,
    lang: LangOption = None,
    verbose: VerboseOption = False,
    html_report: ReportOption = False,
) -> None:
    """Scenarios side by side on the ladder model: P(met) ± Monte Carlo error per target, fan charts, stage counts."""
    from forecast.ladder.compare import compare_scenarios
    from forecast.report.labels import scenario_names
    from forecast.report.ladder import compare_manifest, compare_table, format_compare_table, write_compare
    from forecast.report.run import scenario_question

    with reported_errors():
        claim_output(out, force)
        inputs = _inputs(data, encoding, regions)
        loaded = dict(zip(_labels(scenarios), (_load_ladder_scenario(p, inputs) for p in scenarios), strict=True))
        _check_comparable(scenarios, loaded)
    first = next(iter(loaded.values()))[0]
    seed, runs = (first.seed if seed is None else seed), (runs or first.models.ladder.runs)
    ensemble = {"workers": workers, "engine": engine, "batch_size": batch_size, "scheduler": scheduler}
    words = _words(inputs, lang, first.region)
    with ladder_work(workers, scheduler, runs, words):
        ensembles, results = compare_scenarios(
            {k: v[:2] for k, v in loaded.items()},
            inputs.history,
            inputs.regions,
            inputs.indicators,
            seed=seed,
            runs=runs,
            cache=posterior_cache(cache),
            policies=inputs.policies,
            registers=inputs.registers,
            reporter=TerminalReporter(words),
            **ensemble,
        )
    found = [t for v in loaded.values() for t in v[1]]
    names = {label: scenario_names(v[0], inputs) for label, v in loaded.items()}
    titles = {label: words.scenario(n) for label, n in names.items()}
    shown = format_compare_table(
        compare_table(list(loaded), results), list(loaded), labels=words, targets=found, titles=titles
    )
    typer.echo(shown)
    hashes = {**{f"scenario {label}": v[2] for label, v in loaded.items()}, **inputs.hashes}
    meta = compare_manifest(
        command=shlex.join(["forecast", *sys.argv[1:]]),
        seed=seed,
        inputs=hashes,
        runs=ensembles,
        results=results,
        titles=names,
    )
    meta = {**meta, "question": scenario_question(first, list({t.target_id: t for t in found}.values()), inputs)}
    written = write_compare(out, ensembles, results, inputs.history, first.series, meta, labels=words, titles=titles)
    written.append(_save_log(out))
    if html_report:
        with reported_errors():
            written.append(write_folder_report(out, words.lang))
    typer.echo(words.text("wrote_files", n=len(written), folder=out))


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
    batch_size: BatchSizeOption = None,
    scheduler: SchedulerOption = None,
    encoding: EncodingOption = None,
    regions: RegionsOption = None,
    force: ForceOption = False,
    lang: LangOption = None,
    verbose: VerboseOption = False,
    html_report: ReportOption = False,
) -> None:
    """Which levers and uncertainties move P(target) (a sweep and tornado chart), and the lever size a goal needs."""
    from forecast.ladder.explain import explain_plan, search_problem
    from forecast.ladder.pipeline import needs_gdp, plan_ladder, uncertainty_ranges
    from forecast.report.files import provenance
    from forecast.report.labels import scenario_names
    from forecast.report.ladder import format_explain, write_explain
    from forecast.report.run import scenario_question

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
    ensemble = {"workers": workers, "engine": engine, "batch_size": batch_size, "scheduler": scheduler}
    words = _words(inputs, lang, spec.region)
    reporter = TerminalReporter(words)
    with ladder_work(workers, scheduler, runs or spec.models.ladder.runs, words):
        plan = plan_ladder(
            spec,
            inputs.history,
            inputs.regions,
            inputs.indicators,
            need_gdp=needs_gdp([chosen]),
            runs=runs,
            cache=posterior_cache(cache),
            policies=inputs.policies,
            registers=inputs.registers,
            reporter=reporter,
            **ensemble,
        )
        report = explain_plan(
            plan, chosen, uncertainty_ranges(spec), goal=probability, lever=lever, max_size=max_size, reporter=reporter
        )
    title = words.scenario(scenario_names(spec, inputs))
    typer.echo(format_explain(report, words, title))
    meta = {
        **provenance(
            command=shlex.join(["forecast", *sys.argv[1:]]),
            seed=spec.seed,
            inputs={"scenario": digest, **inputs.hashes},
        ),
        "goal": probability,
        "question": scenario_question(spec, [chosen], inputs),
    }
    folder = out or Path("out") / f"explain_{scenario.stem}"
    written = write_explain(folder, report, meta, labels=words, title=title)
    written.append(_save_log(folder))
    if html_report:
        with reported_errors():
            written.append(write_folder_report(folder, words.lang))
    typer.echo(words.text("wrote_files", n=len(written), folder=folder))


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
        int | None, typer.Option(min=50, help="Posterior draws per chain (default 1500, what `run` uses).")
    ] = None,
    tune: Annotated[int | None, typer.Option(min=50, help="Tuning steps per chain (default 500).")] = None,
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
    words = _words(inputs, lang, region)
    idata = posterior_for(
        region,
        inputs.history,
        inputs.regions,
        seed=seed,
        cache=posterior_cache(cache),
        refit=refit,
        parent=parent,
        policies=inputs.policies,
        reporter=TerminalReporter(words),
        **sampler,
    )
    table, status = summary_table(idata), attrs_json(idata, "diagnostics")["status"]
    check = predictive_check_draws(idata, runs=runs, seed=seed)
    figure = check_chart(check, idata, inputs.history, words)
    typer.echo(
        f"\n{region}: ladder calibration{f' (pooled with {parent})' if parent else ''}, seed "
        f"{seed}\n\n{format_summary(table, region, status)}"
    )
    if status != "ok":
        advice = (
            "divergent transitions mark a region the sampler could not explore, which more draws do not fix"
            if "divergent" in status
            else "raise --draws (low ESS) or --tune (R-hat)"
        )
        typer.secho(f"treat this posterior with care: {advice}", fg=typer.colors.YELLOW, err=True)
    folder = out or Path("out") / "calibration" / region
    written = write_calibration(
        folder,
        idata,
        table,
        figure,
        manifest(idata, command=shlex.join(["forecast", *sys.argv[1:]]), inputs=inputs.hashes, check=check),
    )
    written.append(_save_log(folder))
    typer.echo(words.text("wrote_files", n=len(written), folder=folder))
    _exit_if_failed(strict, [status])
