"""Commands on inputs and records: targets, check, data, county, runs."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path
from typing import Annotated

import typer

from forecast.cli.common import (
    DataOption,
    EncodingOption,
    ForceOption,
    RegionsOption,
    _checked_scenario,
    _inputs,
    app,
    reported_errors,
)
from forecast.errors import InputError, Problem, did_you_mean
from forecast.inputs.bundled import bundled_path
from forecast.inputs.catalogue import is_forecastable, load_targets
from forecast.report.files import claim_output


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
        catalogue = load_targets()  # the catalogue alone: listing needs no history
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
