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
gives them: startups by `models.ladder.population.assumed_startups` (about two yearly
cohorts of entrants; the calibration starts from the same count). `reserve`, `outside`, `gazelle`
and `leading` start at 0: certified firms enter as `hte` and the yearly definition
test sorts gazelles and leading firms from the first step.

Certificate ages (`cert_age_shares`): the certified firms' certificates are 0, 1 and 2 years
old in proportion to the yearly certification lists (new and renewed certificates,
`high_tech_certifications`) of the start year and the two before it, the region's own lists or,
where it has none for those years, its province's (regions.csv `parent`); where either has a
year missing, the ages are spread evenly (the rule before the lists were read), and a note
says so. A certificate issued in year t - a is held in t unless its firm closed or moved
(the Hebei stock is 94-96% of its last three lists, data/history.csv), so the lists give the
ages up to that loss.

Start year: the scenario's, or the latest year with both observed counts
(`forecast.scenario.ladder_start_year`, worked out once when the scenario is checked).

R&D and GDP in the start year (for the ladder's rd_expenditure and rd_intensity), each
observed or implied by the other two::

    R0   = rd_expenditure,  or  rd_intensity / 100 x gdp
    GDP0 = gdp,             or  R0 / (rd_intensity / 100)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pandas as pd

from forecast.inputs.stages import STAGE_INDICATORS, clean_figure
from forecast.scenario import Scenario, ladder_start_year
from models.ladder import LadderParams
from models.ladder.population import STARTUP_COHORTS, UNIFORM_CERT_AGES, assumed_startups

CERTIFICATION_LISTS = "high_tech_certifications"
"""The indicator of the yearly certification lists (new and renewed certificates, a flow)."""


@dataclass(frozen=True)
class StartState:
    """The ladder's start: year, stage counts, where each count comes from, R&D and GDP."""

    year: int
    counts: dict[str, int]
    sources: dict[str, str]
    rd_total: float | None = None
    gdp: float | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)
    cert_ages: tuple[float, float, float] = UNIFORM_CERT_AGES

    def describe(self) -> list[str]:
        """One line per stage count: value and whether observed or assumed."""
        return [f"{stage} = {count:,} ({self.sources[stage]})" for stage, count in self.counts.items()]


def start_state(scenario: Scenario, history: pd.DataFrame, regions: pd.DataFrame | None = None) -> StartState:
    """Counts and start-year R&D for the scenario (assumes the check found no ladder problem).

    The start year is the scenario's ``models.ladder.start_year``, which a checked
    scenario (`forecast.scenario.load_checked_scenario`) always has.
    """
    year = scenario.models.ladder.start_year or ladder_start_year(scenario, history)
    given = dict(scenario.models.ladder.initial)
    counts, sources = {}, {}
    for stage, indicator in STAGE_INDICATORS.items():
        row = clean_figure(history, scenario.region, indicator, year, scenario.series.get(indicator, "main"))
        if stage in given:
            counts[stage], sources[stage] = int(given.pop(stage)), "given in the scenario (models.ladder.initial)"
        elif row is not None:
            counts[stage], sources[stage] = (
                int(round(row["value"])),
                f"observed: {indicator} {year} (data row {row['row']})",
            )
    if "startup" not in given:
        counts["startup"] = assumed_startups(counts.get("tech_sme", 0))
        rate = LadderParams().startup_entry_rate
        sources["startup"] = (
            f"assumed: {STARTUP_COHORTS} x startup_entry_rate {rate:g} x tech_sme (no published figure)"
        )
    for stage, count in given.items():
        counts[stage], sources[stage] = int(count), "given in the scenario (models.ladder.initial)"
    rd_total, gdp, notes = start_rd(history, scenario.region, year, scenario.series)
    ages, age_note = cert_age_shares(history, scenario.region, year, regions)
    return StartState(year, counts, sources, rd_total, gdp, (*notes, age_note), ages)


def cert_age_shares(
    history: pd.DataFrame, region: str, year: int, regions: pd.DataFrame | None = None
) -> tuple[tuple[float, float, float], str]:
    """Shares of certificates 0, 1 and 2 years old in `year` (module docstring) and a note saying whence."""
    places = [region]
    if regions is not None and region in set(regions["region"]):
        parent = regions.loc[regions["region"] == region, "parent"].iloc[0]
        if isinstance(parent, str) and parent:
            places.append(parent)
    return cert_age_shares_in(history, places, year)


def cert_age_shares_in(
    history: pd.DataFrame, places: Sequence[str], year: int
) -> tuple[tuple[float, float, float], str]:
    """`cert_age_shares` from the first of `places` (a region, then its province) with all three yearly lists."""
    for place in places:
        rows = [clean_figure(history, place, CERTIFICATION_LISTS, year - age) for age in range(len(UNIFORM_CERT_AGES))]
        if all(row is not None for row in rows):
            lists = [float(row["value"]) for row in rows]
            ages = tuple(v / sum(lists) for v in lists)
            where = " (data rows " + ", ".join(str(row["row"]) for row in rows) + ")"
            return ages, (  # type: ignore[return-value]
                f"certificate ages 0/1/2 years: {ages[0]:.2f}/{ages[1]:.2f}/{ages[2]:.2f}, from {place}'s yearly "
                f"certification lists {year - 2}-{year}{where}"
            )
    return UNIFORM_CERT_AGES, (
        f"certificate ages spread evenly over {year - 2}-{year}: no yearly certification lists for "
        f"{' or '.join(places)} in all three years"
    )


def start_rd(
    history: pd.DataFrame, region: str, year: int, series: dict[str, str]
) -> tuple[float | None, float | None, list[str]]:
    """The region's R&D spending and GDP in `year` (one derived from R&D intensity if needed), with notes;
    (None, None, notes) unless two of the three figures are there."""

    def value(indicator: str) -> float | None:
        row = clean_figure(history, region, indicator, year, series.get(indicator, "main"))
        return None if row is None else float(row["value"])

    rd, gdp, intensity = value("rd_expenditure"), value("gdp"), value("rd_intensity")
    notes = []
    if rd is None and gdp is not None and intensity is not None:
        rd = intensity / 100 * gdp
        notes.append(
            f"{region} R&D spending {year} = rd_intensity {intensity:g}% x GDP {gdp:g} = {rd:.2f} (100 million yuan)"
        )
    if gdp is None and rd is not None and intensity:
        gdp = rd / (intensity / 100)
        notes.append(
            f"{region} GDP {year} = R&D spending {rd:g} / rd_intensity {intensity:g}% = {gdp:.1f} (100 million yuan)"
        )
    if rd is None or gdp is None:
        notes.append(
            f"{region} {year}: two of rd_expenditure, rd_intensity and gdp are needed for the ladder's R&D "
            "figures; found fewer"
        )
        return None, None, notes
    return rd, gdp, notes
