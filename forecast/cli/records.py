"""Commands on inputs and records: targets, check, data, county, runs."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path
from typing import Annotated

import typer

from forecast.cli.common import (
    DEFAULT_CACHE,
    CacheOption,
    DataOption,
    DrawsOption,
    EncodingOption,
    ForceOption,
    LangOption,
    RegionsOption,
    SeedOption,
    TuneOption,
    VerboseOption,
    _checked_scenario,
    _inputs,
    _save_log,
    _trend_settings,
    _words,
    app,
    posterior_cache,
    reported_errors,
)
from forecast.errors import InputError, Problem, did_you_mean
from forecast.inputs.bundled import bundled_path
from forecast.inputs.catalogue import is_forecastable, load_targets
from forecast.report.files import claim_output
from forecast.terminal import quiet


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
@quiet
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
    by: Annotated[
        int | None,
        typer.Option(
            "--by", min=1950, max=2100, help="Project the class to this year (trend model): P(next class by then)."
        ),
    ] = None,
    parent: Annotated[
        str,
        typer.Option(
            help="With --by: the region (key of data/regions.csv) whose growth the county's is drawn "
            "around; default none (the panel mean)."
        ),
    ] = "",
    history: Annotated[
        Path | None, typer.Option("--history", help="With --by: the history to pool with (default: the bundled one).")
    ] = None,
    draws: DrawsOption = None,
    tune: TuneOption = None,
    seed: SeedOption = None,
    cache: CacheOption = DEFAULT_CACHE,
    lang: LangOption = None,
    verbose: VerboseOption = False,
) -> None:
    """Score a county on seed 001's S&T capacity index (17 indicators): points, class A/B/C, what is missing; with
    --by YEAR, the probability of reaching the next class by then. Printed in Chinese (the index's own language)
    unless --lang en."""
    from forecast.evaluation.county import score_county
    from forecast.inputs.bundle import load_inputs
    from forecast.inputs.county import load_county_figures, load_county_index
    from forecast.inputs.tables import file_hash, load_history
    from forecast.report.county import format_projection, format_scorecard, write_scorecard
    from forecast.report.files import provenance
    from forecast.report.labels import Labels

    with reported_errors():
        class_cuts = _class_cuts(cuts)
        if out is not None:
            claim_output(out, force)
        index = load_county_index()
        figures = load_county_figures(data, index, county)
        inputs = load_inputs(history) if by is not None else None
        _check_by(by, parent, figures, inputs, data)
    pooled = inputs.history if inputs is not None else load_history()
    card = score_county(index, figures, set(pooled["indicator"]), county=county or "", cuts=class_cuts)
    words = Labels(lang=lang.value if lang else "zh")
    typer.echo(format_scorecard(card, words))
    projection = None
    if by is not None:
        from forecast.evaluation.backtest import DEFAULT_SEED

        seed = DEFAULT_SEED if seed is None else seed  # recorded in the manifest as used
        projection = _project(card, index, figures, inputs, by, parent, _trend_settings(draws, tune), seed, cache)
        typer.echo("\n" + format_projection(projection, card, words))
    if out is not None:
        hashes = {"figures": file_hash(data), "county_index": file_hash(bundled_path("county_index.csv"))}
        hashes |= {"history": inputs.hashes["data"]} if inputs is not None else {}
        meta = provenance(command=shlex.join(["forecast", *sys.argv[1:]]), seed=seed, inputs=hashes)
        written = write_scorecard(out, card, meta, projection)
        written += [_save_log(out)] if projection is not None else []  # the fits' messages
        typer.echo(words.text("wrote_files", n=len(written), folder=out))


def _check_by(by: int | None, parent: str, figures, inputs, data: Path) -> None:
    """--by must lie after the figures' latest year; --parent must be a region of the history's table."""
    if by is None:
        return
    latest = int(figures["year"].max())
    if by <= latest:
        raise InputError(
            [
                Problem(
                    str(data),
                    "--by",
                    f"{by} is not after the figures' latest year {latest}",
                    f"give a year after {latest}",
                )
            ]
        )
    if parent and parent not in inputs.regions.index:
        raise InputError(
            [Problem("--parent", f"'{parent}'", "unknown region", did_you_mean(parent, inputs.regions.index))]
        )


def _project(card, index, figures, inputs, by: int, parent: str, settings, seed: int, cache: Path):
    from forecast.evaluation.county_projection import project_class

    return project_class(
        card,
        index,
        figures,
        inputs.history,
        inputs.regions,
        inputs.indicators,
        year=by,
        parent=parent,
        settings=settings,
        seed=seed,
        cache=posterior_cache(cache),
    )


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
    lang: LangOption = None,
) -> None:
    """List past runs, newest first: scenario, date, seed, data hash, headline probabilities (from their manifests)."""
    from forecast.inputs.bundle import load_inputs
    from forecast.inputs.catalogue import catalogue_target
    from forecast.inputs.runs import load_run_records
    from forecast.report.runs import format_runs

    with reported_errors():
        records = load_run_records(out_root)
        inputs = load_inputs()
    labels = _words(inputs, lang, inputs.regions.index)
    targets = {
        row["target_id"]: catalogue_target(row) for _, row in inputs.catalogue.iterrows() if is_forecastable(row)
    }
    typer.echo(format_runs(records, str(out_root), labels, targets))
