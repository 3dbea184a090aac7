"""What the ladder model starts from, read off the history table: the start year, the
stage counts (observed or assumed, and which is which) and the start year's R&D and GDP.

Observed counts (the scenario's series for the indicator, `main` by default; clean
figures only, i.e. no caveat flag other than `plan_base`)::

    hte      = high_tech_enterprises in the start year   (certified firms)
    tech_sme = tech_smes in the start year               (registered tech SMEs)

`tech_sme` is taken as the registry *excluding* certified firms (assumption: the plans
count the two separately, e.g. Langfang's 905 high-tech enterprises and 8,796 tech
SMEs in 2020), so the model's `tech_sme_registered` equals the figure in the start year.

Assumed counts (no published figures), unless the scenario's `models.ladder.initial`
gives them::

    startup = 2 x startup_entry_rate x tech_sme    (startup_entry_rate at its default, 0.2)

about two yearly cohorts of entrants in incubation (a firm stays a startup for at most
three years and leaves earlier when it registers or closes; the default Langfang run
settles near this stock). Without it the first year has no startups to register and
the registry drops (MECHANISMS.md, "Known limits"). `reserve`, `outside`, `gazelle`
and `leading` start at 0: certified firms enter as `hte` and the yearly definition
test sorts gazelles and leading firms from the first step.

Default start year: the latest year with both observed counts.

R&D and GDP in the start year (for the ladder's rd_expenditure and rd_intensity), each
observed or implied by the other two::

    R0   = rd_expenditure,  or  rd_intensity / 100 x gdp
    GDP0 = gdp,             or  R0 / (rd_intensity / 100)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pandas as pd

from forecast.inputs.tables import best_points, select_series
from forecast.errors import Problem
from models.ladder import LEVERS, LadderParams, LeverSetting
from models.ladder import calibration as cal
from models.ladder.levers import check_settings

if TYPE_CHECKING:
    from forecast.scenario import Scenario

OBSERVED_STAGES = {"hte": "high_tech_enterprises", "tech_sme": "tech_smes"}
"""Stage -> the indicator whose start-year figure gives its count."""
STARTUP_COHORTS = 2
CLEAN_FLAGS = {"", "plan_base"}


@dataclass(frozen=True)
class StartState:
    """The ladder's start: year, stage counts, where each count comes from, R&D and GDP."""

    year: int
    counts: dict[str, int]
    sources: dict[str, str]
    rd_total: float | None = None
    gdp: float | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)

    def describe(self) -> list[str]:
        """One line per stage count: value and whether observed or assumed."""
        return [f"{stage} = {count:,} ({self.sources[stage]})" for stage, count in self.counts.items()]


def clean_figure(history: pd.DataFrame, region: str, indicator: str, year: int, series: str = "main") -> pd.Series | None:
    """The region's clean figure for one year (the row), or None."""
    rows, _ = select_series(history, region, indicator, series)
    rows = rows[(rows["year"] == year) & rows["flag"].isin(CLEAN_FLAGS)]
    return None if rows.empty else best_points(rows).iloc[0]


def observed_years(history: pd.DataFrame, region: str, series: dict[str, str]) -> list[int]:
    """Years with a clean figure for every observed stage, ascending."""
    years = None
    for indicator in OBSERVED_STAGES.values():
        rows, _ = select_series(history, region, indicator, series.get(indicator, "main"))
        found = set(rows.loc[rows["flag"].isin(CLEAN_FLAGS), "year"])
        years = found if years is None else years & found
    return sorted(years or [])


def start_year_for(scenario: Scenario, history: pd.DataFrame) -> int | None:
    """The scenario's start year, or the latest year with observed stage counts (None if there is none)."""
    settings = scenario.models.ladder
    if settings is not None and settings.start_year is not None:
        return settings.start_year
    years = observed_years(history, scenario.region, scenario.series)
    return years[-1] if years else None


def start_state(scenario: Scenario, history: pd.DataFrame) -> StartState:
    """Counts and start-year R&D for the scenario (assumes `ladder_problems` found none)."""
    year = start_year_for(scenario, history)
    given = dict(scenario.models.ladder.initial)
    counts, sources = {}, {}
    for stage, indicator in OBSERVED_STAGES.items():
        row = clean_figure(history, scenario.region, indicator, year, scenario.series.get(indicator, "main"))
        if stage in given:
            counts[stage], sources[stage] = int(given.pop(stage)), "given in the scenario (models.ladder.initial)"
        elif row is not None:
            counts[stage], sources[stage] = int(round(row["value"])), f"observed: {indicator} {year} (data row {row['row']})"
    if "startup" not in given:
        rate = LadderParams().startup_entry_rate
        counts["startup"] = int(round(STARTUP_COHORTS * rate * counts.get("tech_sme", 0)))
        sources["startup"] = f"assumed: {STARTUP_COHORTS} x startup_entry_rate {rate:g} x tech_sme (no published figure)"
    for stage, count in given.items():
        counts[stage], sources[stage] = int(count), "given in the scenario (models.ladder.initial)"
    rd_total, gdp, notes = _start_rd(history, scenario.region, year, scenario.series)
    return StartState(year, counts, sources, rd_total, gdp, tuple(notes))


def _start_rd(history: pd.DataFrame, region: str, year: int, series: dict[str, str]) -> tuple[float | None, float | None, list[str]]:
    def value(indicator: str) -> float | None:
        row = clean_figure(history, region, indicator, year, series.get(indicator, "main"))
        return None if row is None else float(row["value"])

    rd, gdp, intensity = value("rd_expenditure"), value("gdp"), value("rd_intensity")
    notes = []
    if rd is None and gdp is not None and intensity is not None:
        rd = intensity / 100 * gdp
        notes.append(f"{region} R&D spending {year} = rd_intensity {intensity:g}% x GDP {gdp:g} = {rd:.2f} (100 million yuan)")
    if gdp is None and rd is not None and intensity:
        gdp = rd / (intensity / 100)
        notes.append(f"{region} GDP {year} = R&D spending {rd:g} / rd_intensity {intensity:g}% = {gdp:.1f} (100 million yuan)")
    if rd is None or gdp is None:
        notes.append(f"{region} {year}: two of rd_expenditure, rd_intensity and gdp are needed for the ladder's R&D figures; found fewer")
        return None, None, notes
    return rd, gdp, notes


def ladder_problems(scenario: Scenario, file: str, history: pd.DataFrame) -> list[Problem]:
    """Problems with the scenario's levers, uncertainties and ladder section (against the data)."""
    settings = scenario.models.ladder
    if settings is None:
        return lever_problems(scenario, file) + uncertainty_problems(scenario, file)
    where = "models.ladder"
    problems = []
    year = start_year_for(scenario, history)
    if year is None:
        problems.append(Problem(file, f"{where}.start_year", f"no year with figures for both {' and '.join(OBSERVED_STAGES.values())} in {scenario.region}",
                                "set start_year and give the missing counts under models.ladder.initial"))
    else:
        for stage, indicator in OBSERVED_STAGES.items():
            if stage not in settings.initial and clean_figure(history, scenario.region, indicator, year, scenario.series.get(indicator, "main")) is None:
                problems.append(Problem(file, f"{where}.start_year", f"no clean {indicator} figure for {scenario.region} in {year}",
                                        f"pick a year with one ({observed_years(history, scenario.region, scenario.series) or 'none'}) or give initial: {{{stage}: N}}"))
        if year >= scenario.horizon:
            problems.append(Problem(file, f"{where}.start_year", f"start year {year} is not before the horizon {scenario.horizon}", "start earlier or extend the horizon"))
    if settings.calibration == "posterior":
        try:
            cal.gather_observations(scenario.region, history, parent=cal.parent_of(scenario.region))
        except cal.CalibrationDataError as exc:
            problems.append(Problem(file, f"{where}.calibration", f"'posterior' needs stage figures to calibrate on: {exc}",
                                    "use calibration: prior, or add the region's stage counts to the data"))
    return problems + lever_problems(scenario, file) + uncertainty_problems(scenario, file)


def lever_problems(scenario: Scenario, file: str) -> list[Problem]:
    """Lever sizes outside their bounds and overlapping windows (unknown names are checked elsewhere)."""
    problems, known = [], []
    for i, choice in enumerate(scenario.levers):
        spec = LEVERS.get(choice.lever)
        if spec is None:
            continue
        if spec.bounds[0] <= choice.size <= spec.bounds[1]:
            known.append(LeverSetting(choice.lever, choice.size, choice.start, choice.end))
        else:
            problems.append(Problem(file, f"levers[{i}].size", f"{choice.size:g} is outside the allowed range {spec.bounds[0]:g} to {spec.bounds[1]:g} for {choice.lever}",
                                    f"give a size in {spec.unit}"))
    try:
        check_settings(known)
    except ValueError as exc:
        problems.append(Problem(file, "levers", str(exc), "give one lever's settings windows that do not overlap"))
    return problems


def uncertainty_problems(scenario: Scenario, file: str) -> list[Problem]:
    """Uncertainty ranges outside their parameter's domain (names are checked by the schema)."""
    problems = []
    for name, bounds in scenario.uncertainties.items():
        for label, value in (("low", bounds.low), ("high", bounds.high)):
            if value is None:
                continue
            try:
                LadderParams(**{name: value})
            except ValueError as exc:
                problems.append(Problem(file, f"uncertainties.{name}.{label}", str(exc), "give a value in the parameter's domain (see models/ladder/params.py)"))
    return problems
