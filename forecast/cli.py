"""The `forecast` command line: one sub-command per verb; bodies load, call, write.

Bad input (a missing or malformed file, an unknown region or target) is printed as a
list of problems naming the file, the place and the fix, with exit code 2; nothing is
written.
"""

from __future__ import annotations

import shlex
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Optional

import pandas as pd
import typer

from forecast.catalogue import is_forecastable, load_targets
from forecast.data import bundled_path, file_hash, load_history, load_indicators, load_regions
from forecast.errors import InputError, Problem, did_you_mean

app = typer.Typer(no_args_is_help=True, add_completion=False, help="How likely are a plan's targets to be met? Forecasts from Bayesian trend models.")

DataOption = Annotated[Optional[Path], typer.Option("--data", help="Your own history file (CSV or Excel, same columns as data/history.csv).")]


@dataclass
class Inputs:
    history: pd.DataFrame
    indicators: pd.DataFrame
    regions: pd.DataFrame
    catalogue: pd.DataFrame
    hashes: dict[str, str]


@contextmanager
def reported_errors() -> Iterator[None]:
    try:
        yield
    except InputError as exc:
        typer.secho(exc.render(), fg=typer.colors.RED, err=True)
        raise typer.Exit(code=2) from None


def load_inputs(data: Path | None) -> Inputs:
    indicators = load_indicators()
    regions = load_regions()
    data_path = Path(data or bundled_path("history.csv"))
    history = load_history(data_path, indicators)
    catalogue = load_targets(indicators=indicators, regions=regions)
    hashes = {"data": file_hash(data_path), "targets": file_hash(bundled_path("targets.csv")), "indicators": file_hash(bundled_path("indicators.csv")), "regions": file_hash(bundled_path("regions.csv"))}
    return Inputs(history, indicators, regions, catalogue, hashes)


@app.command()
def run(
    scenario: Annotated[Path, typer.Argument(help="Scenario file, e.g. scenarios/langfang_baseline.yaml")],
    data: DataOption = None,
    out: Annotated[Optional[Path], typer.Option(help="Output folder (default: out/<scenario file name>).")] = None,
    draws: Annotated[Optional[int], typer.Option(min=50, help="Override the scenario's posterior draws per chain.")] = None,
    tune: Annotated[Optional[int], typer.Option(min=50, help="Override the scenario's tuning steps per chain.")] = None,
) -> None:
    """Fit the trend models, print P(target met) per target, write charts, table and manifest."""
    from forecast.forecasting import forecast_targets
    from forecast.outputs import format_table, manifest, results_table, write_run
    from forecast.scenario import check_scenario, load_scenario

    with reported_errors():
        spec, spec_hash = load_scenario(scenario)
        inputs = load_inputs(data)
        targets = check_scenario(spec, str(scenario), regions=inputs.regions, catalogue=inputs.catalogue, history=inputs.history, indicators=inputs.indicators)
    spec = _override_sampler(spec, draws, tune)
    _warn_unused(spec)
    results = forecast_targets(spec, targets, inputs.history, inputs.regions, inputs.indicators)
    table = results_table(results)
    typer.echo(f"\n{spec.name}  (seed {spec.seed})\n")
    typer.echo(format_table(table))
    for line in sorted({n for r in results if r.fit for n in r.fit.notes}):
        typer.echo(f"note: {line}")
    for status in sorted({r.fit.diagnostics.status for r in results if r.fit and r.fit.diagnostics.status != "ok"}):
        typer.secho(f"convergence {status}: treat these probabilities with care; raise draws/tune", fg=typer.colors.YELLOW, err=True)
    meta = manifest(scenario_name=spec.name, seed=spec.seed, inputs={"scenario": spec_hash, **inputs.hashes}, results=results, command=shlex.join(["forecast", *sys.argv[1:]]))
    written = write_run(out or Path("out") / scenario.stem, results, table, meta)
    typer.echo(f"\nwrote {len(written)} files to {(out or Path('out') / scenario.stem)}")


def _override_sampler(spec, draws: int | None, tune: int | None):
    if spec.models.trend is None or (draws is None and tune is None):
        return spec
    trend = spec.models.trend.model_copy(update={k: v for k, v in {"draws": draws, "tune": tune}.items() if v is not None})
    return spec.model_copy(update={"models": spec.models.model_copy(update={"trend": trend})})


def _warn_unused(spec) -> None:
    if spec.levers or spec.uncertainties:
        typer.secho("note: levers and uncertainties act through the ladder model, which `run` does not use yet; the trend forecast ignores them", fg=typer.colors.YELLOW, err=True)


@app.command()
def targets(
    region: Annotated[Optional[str], typer.Option(help="Only this region (pinyin key, e.g. langfang).")] = None,
    all_rows: Annotated[bool, typer.Option("--all", help="Also list targets without a deadline or number (templates, non-quantitative rows).")] = False,
) -> None:
    """List the plans' targets from the catalogue."""
    with reported_errors():
        catalogue = load_targets()
        if region is not None and region not in set(catalogue["region"]):
            raise InputError([Problem(str(bundled_path("targets.csv")), "--region", f"no targets for region '{region}'", did_you_mean(region, catalogue["region"]))])
    rows = catalogue if region is None else catalogue[catalogue["region"] == region]
    if not all_rows:
        rows = rows[rows.apply(is_forecastable, axis=1)]
    shown = rows[["target_id", "comparator", "base_year", "base_value", "target_year", "target_value", "unit", "milestone"]]
    typer.echo(shown.to_string(index=False, na_rep="-", float_format=lambda v: f"{v:g}"))
    typer.echo(f"\n{len(rows)} targets")


@app.command()
def check(
    scenario: Annotated[Path, typer.Argument(help="Scenario file to validate.")],
    data: DataOption = None,
) -> None:
    """Validate a scenario (and a data file) without fitting anything."""
    from forecast.scenario import check_scenario, load_scenario

    with reported_errors():
        spec, _ = load_scenario(scenario)
        inputs = load_inputs(data)
        found = check_scenario(spec, str(scenario), regions=inputs.regions, catalogue=inputs.catalogue, history=inputs.history, indicators=inputs.indicators)
    typer.echo(f"{scenario}: ok ({len(found)} targets: {', '.join(t.target_id for t in found)})")


@app.command("data")
def data_command(data: DataOption = None) -> None:
    """Validate a history file and summarise what it holds per region and indicator."""
    with reported_errors():
        inputs = load_inputs(data)
    summary = inputs.history.groupby(["region", "indicator"]).agg(figures=("value", "size"), first=("year", "min"), last=("year", "max"))
    typer.echo(summary.to_string())
    typer.echo(f"\n{len(inputs.history)} figures, all valid")


if __name__ == "__main__":
    app()
