"""Registry of policy levers: what each one is, its unit, status quo and mechanism.

A scenario sets a lever with a `LeverSetting` (name, size, start_year, end_year):
the size is in force in the years start_year..end_year inclusive (``None`` =
open-ended) and the status quo holds outside that window. Several settings of
one lever may be given if their windows do not overlap.

The status quo is national policy with no local programme: local rewards,
vouchers, coaching, specialists, funds and extra intake are 0; the HTE income-tax
rate (``income_tax_rate``) is 15%; the super-deduction follows the statutory
schedule::

    all firms:        50% before 2018, 75% 2018-2022, 100% from 2023
    manufacturers:    50% before 2018, 75% 2018-2020, 100% from 2021
    tech-based SMEs:  50% before 2017, 75% 2017-2021, 100% from 2022

(a firm gets the highest rate among its categories). A city's own programmes --
Langfang's 200,000-yuan rewards (size 20), one specialist per certified firm
(size 1.0) -- are levers a scenario switches on, also for the calibration years
in which they were in force.

Capacity levers (reserve_pool_intake, incubator_capacity,
beijing_tianjin_attraction) add firms on top of the calibrated behavioural flows
in `LadderParams`, so their status quo is 0.

Units: money in 10k yuan (a year, or per firm or voucher), rates and shares as
fractions (a plan's "75%" is 0.75).

``active_levers(settings, year)`` returns every lever's size in force; a lever
set to its status-quo size changes nothing.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Iterable
from dataclasses import dataclass

Schedule = tuple[tuple[int, float], ...]
"""Dated status quo: ((first_year, value), ...) ascending; the first value also holds before its year."""


@dataclass(frozen=True)
class LeverSpec:
    """One lever: unit, status quo, admissible sizes and the mechanism it acts through."""

    name: str
    unit: str
    status_quo: float | Schedule
    mechanism: str
    meaning: str
    bounds: tuple[float, float] = (0.0, math.inf)
    source: str = "assumption"

    def size_problem(self, size: float) -> str:
        """Why `size` is not admissible for this lever ('' if it is): the one check of a lever's size."""
        low, high = self.bounds
        return (
            "" if low <= size <= high else f"{size:g} is outside the allowed range {low:g} to {high:g} for {self.name}"
        )

    def status_quo_at(self, year: int) -> float:
        """Status-quo size in a year (a constant, or the schedule's value then)."""
        if isinstance(self.status_quo, tuple):
            value = self.status_quo[0][1]
            for first_year, size in self.status_quo:
                if year >= first_year:
                    value = size
            return float(value)
        return float(self.status_quo)


def _spec(
    name: str,
    unit: str,
    status_quo: float | Schedule,
    mechanism: str,
    meaning: str,
    bounds: tuple[float, float] = (0.0, math.inf),
    source: str = "assumption",
) -> tuple[str, LeverSpec]:
    return name, LeverSpec(name, unit, status_quo, mechanism, meaning, bounds, source)


LEVERS: dict[str, LeverSpec] = dict(
    [
        _spec(
            "certification_reward",
            "10k yuan per newly certified firm",
            0.0,
            "behaviour.application_probability: adds to the benefit B of a first application",
            "local cash reward on first HTE certification",
            (0.0, 1000.0),
            "Langfang plan (003): 200,000 yuan = 20",
        ),
        _spec(
            "recertification_reward",
            "10k yuan per re-certified firm",
            0.0,
            "behaviour.reapplication_probability: adds to the benefit B of re-applying at expiry",
            "local cash reward on re-certification",
            (0.0, 1000.0),
            "Langfang plan (003): 200,000 yuan = 20",
        ),
        _spec(
            "income_tax_rate",
            "fraction of profit",
            0.15,
            "behaviour.hte_tax_saving (benefit B of applying) and rules.marginal_tax_rate "
            "(R&D user cost of certified firms)",
            "income-tax rate of certified high-tech enterprises (standard rate 25%)",
            (0.0, 0.25),
            "national law: 15%",
        ),
        _spec(
            "rd_super_deduction",
            "extra deduction, fraction of R&D",
            ((0, 0.5), (2018, 0.75), (2023, 1.0)),
            "behaviour.rd_user_cost via rules.effective_super_deduction: lowers the user cost of R&D",
            "R&D super-deduction rate for all firms",
            (0.0, 3.0),
            "national law: 75% from 2018, 100% from 2023",
        ),
        _spec(
            "rd_super_deduction_manufacturing",
            "extra deduction, fraction of R&D",
            ((0, 0.5), (2018, 0.75), (2021, 1.0)),
            "as rd_super_deduction, for manufacturers",
            "super-deduction rate for manufacturers",
            (0.0, 3.0),
            "national law: 100% for manufacturers from 2021",
        ),
        _spec(
            "rd_super_deduction_tech_sme",
            "extra deduction, fraction of R&D",
            ((0, 0.5), (2017, 0.75), (2022, 1.0)),
            "as rd_super_deduction, for registered tech SMEs",
            "super-deduction rate for registered tech SMEs",
            (0.0, 3.0),
            "national law: 75% for tech SMEs from 2017, 100% from 2022",
        ),
        _spec(
            "innovation_voucher",
            "10k yuan per year",
            0.0,
            "behaviour.voucher_share: budget / innovation_voucher_value vouchers a year; each startup "
            "or registered SME gets one with probability vouchers / eligible firms; lowers its R&D user cost",
            "innovation-voucher budget issued per year",
            source="Hebei plan (002): 80 million yuan = 8,000 in 2018",
        ),
        _spec(
            "innovation_voucher_value",
            "10k yuan per voucher",
            5.0,
            "behaviour.voucher_share: size of each voucher (no effect while innovation_voucher = 0)",
            "face value of one innovation voucher",
            (0.0, 500.0),
        ),
        _spec(
            "reserve_pool_intake",
            "extra firms per year",
            0.0,
            "LadderModel reserve intake: registered SMEs closest to eligibility enter the pool "
            "(reserve_application_boost, coaching)",
            "firms per year moved into the HTE reserve pool on top of the calibrated flow",
            source="Hebei plan (002): +2,000 into the reserve pool province-wide in 2018",
        ),
        _spec(
            "coaching",
            "share of reserve-pool applicants coached",
            0.0,
            "behaviour.pass_probability: removes coaching_efficacy of a coached applicant's failures",
            "coaching and service agencies for reserve-pool applicants",
            (0.0, 1.0),
        ),
        _spec(
            "service_specialists",
            "share of certified firms with a specialist",
            0.0,
            "behaviour.reapplication_probability, pass_probability and exit_probability: removes "
            "specialist_efficacy of lapses, failures and closures",
            "one service specialist per certified firm",
            (0.0, 1.0),
            "Langfang plan (003): one specialist per high-tech firm = 1.0",
        ),
        _spec(
            "incubator_capacity",
            "extra startups per year",
            0.0,
            "LadderModel entries: startups added on top of startup_entry_rate",
            "incubator and maker-space places",
        ),
        _spec(
            "beijing_tianjin_attraction",
            "extra certified firms moving in per year",
            0.0,
            "LadderModel entries: whole certified firms arrive keeping their certificate",
            "attracting certified firms from Beijing and Tianjin",
            source="Langfang plan (003): whole HTEs moving in keep status",
        ),
        _spec(
            "guidance_fund",
            "10k yuan per year",
            0.0,
            "behaviour.revenue_log_growth and exit_probability: split equally among high-growth "
            "candidates (gazelles, certified firms growing >= 20%); raises growth, lowers closure",
            "guidance fund / loan risk compensation for high-growth firms",
        ),
    ]
)
"""Every lever by name."""


@dataclass(frozen=True)
class LeverSetting:
    """A lever's size in force from start_year to end_year inclusive (None = open)."""

    name: str
    size: float
    start_year: int | None = None
    end_year: int | None = None

    def __post_init__(self) -> None:
        if self.name not in LEVERS:
            match = difflib.get_close_matches(self.name, LEVERS, 1)
            hint = f" (did you mean {match[0]!r}?)" if match else ""
            raise ValueError(f"unknown lever {self.name!r}{hint}; known: {', '.join(LEVERS)}")
        problem = LEVERS[self.name].size_problem(self.size)
        if problem:
            raise ValueError(f"lever {self.name!r}: {problem}")
        if self.start_year is not None and self.end_year is not None and self.start_year > self.end_year:
            raise ValueError(f"lever {self.name!r}: start_year {self.start_year} after end_year {self.end_year}")

    def in_force(self, year: int) -> bool:
        """True if `year` lies in the setting's window."""
        after_start = self.start_year is None or year >= self.start_year
        before_end = self.end_year is None or year <= self.end_year
        return after_start and before_end


def _window(setting: LeverSetting) -> tuple[float, float]:
    low = -math.inf if setting.start_year is None else setting.start_year
    high = math.inf if setting.end_year is None else setting.end_year
    return low, high


def check_settings(settings: Iterable[LeverSetting]) -> tuple[LeverSetting, ...]:
    """Return the settings as a tuple; fail if two windows of one lever overlap."""
    settings = tuple(settings)
    for i, a in enumerate(settings):
        for b in settings[i + 1 :]:
            if a.name != b.name:
                continue
            if _window(a)[0] <= _window(b)[1] and _window(b)[0] <= _window(a)[1]:
                raise ValueError(f"lever {a.name!r} has overlapping settings: {a} and {b}")
    return settings


def status_quo(year: int) -> dict[str, float]:
    """Every lever at its status-quo size in `year`."""
    return {name: spec.status_quo_at(year) for name, spec in LEVERS.items()}


def active_levers(settings: Iterable[LeverSetting], year: int) -> dict[str, float]:
    """Every lever's size in force in `year`: a setting's size inside its window,
    the status quo elsewhere."""
    sizes = status_quo(year)
    for setting in check_settings(settings):
        if setting.in_force(year):
            sizes[setting.name] = float(setting.size)
    return sizes


def lever_table() -> list[dict[str, str]]:
    """The registry as rows (name, unit, status quo, mechanism, meaning, source), for docs."""
    rows = []
    for spec in LEVERS.values():
        sq = spec.status_quo
        sq_text = ", ".join(f"{v:g} from {y}" if y else f"{v:g}" for y, v in sq) if isinstance(sq, tuple) else f"{sq:g}"
        rows.append(
            {
                "name": spec.name,
                "unit": spec.unit,
                "status_quo": sq_text,
                "mechanism": spec.mechanism,
                "meaning": spec.meaning,
                "source": spec.source,
            }
        )
    return rows
