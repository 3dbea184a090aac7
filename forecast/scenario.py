"""Scenario files: a strict schema, validated at the edge with messages a planner can act on.

A scenario (`scenarios/*.yaml`) names its region, the targets it tracks (references to
the catalogue, `ref: <target_id>`, or written inline), the horizon, what the models
may know (`as_of`), which statistical series to use, the trend model's sampler
settings, a seed, and policy levers for the ladder model. Unknown keys are rejected
with a "did you mean" hint; every problem is reported with its line and key path.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, ValidationError, model_validator

from forecast.errors import InputError, Problem, did_you_mean, raise_if
from forecast.inputs.bundle import Inputs
from forecast.inputs.catalogue import catalogue_target, is_forecastable
from forecast.inputs.reading import read_text
from forecast.inputs.stages import STAGE_INDICATORS, StageDataError, clean_figure, observed_years, stage_window
from forecast.inputs.tables import SERIES, file_hash, parent_of
from forecast.inputs.targets import Comparator, Target
from models.ladder.levers import LEVERS, LeverSetting, check_settings
from models.ladder.params import PARAM_RANGES, LadderParams
from models.ladder.rules import RULES_YEAR, Stage

Year = Annotated[int, Field(ge=1990, le=2100)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class TargetRef(Strict):
    """A target from the catalogue (`forecast targets` lists the ids)."""

    ref: str


class InlineTarget(Strict):
    """A target written in the scenario itself."""

    indicator: str
    comparator: Comparator
    target_year: Year
    target_value: float
    base_year: Year | None = None
    base_value: float | None = None
    label: str = ""
    id: str | None = None


class TrendSettings(Strict):
    """The Bayesian trend models (`models.panel`): sampler settings, pooling, variant choice."""

    draws: int = Field(1000, ge=50, le=20000)
    tune: int = Field(1000, ge=50, le=20000)
    chains: int = Field(2, ge=1, le=8)
    target_accept: float = Field(0.95, gt=0.5, lt=1.0)
    sampler: Literal["pymc", "nutpie"] = "pymc"
    pooling: Literal["hierarchical", "none"] = "hierarchical"
    model: Literal["common", "stack", "drift", "damped", "local_trend"] = Field(
        "common",
        description="common: growth shared by the panel that can speed up and slow down (models.common_trend); "
        "stack: the three state-space variants of models.panel stacked by LOO weights, or one of them",
    )
    joint: bool = Field(
        True,
        description="with the common model: R&D spending, GDP and R&D intensity fitted together so that "
        "intensity = spending / GDP draw by draw (forecast.trend.joint); false fits each alone",
    )


ParamName = Literal[tuple(PARAM_RANGES)]  # type: ignore[valid-type]
StageName = Literal[tuple(s.name.lower() for s in Stage)]  # type: ignore[valid-type]
KEY_CHOICES = {
    "uncertainties": ("ladder parameter", tuple(PARAM_RANGES)),
    "initial": ("stage", tuple(s.name.lower() for s in Stage)),
}
"""Sections whose keys are names from a registry, for "did you mean" hints."""


class LadderSettings(Strict):
    """The firm-ladder model (models.ladder): ensemble, firms per agent, start, parameter source."""

    runs: int = Field(100, ge=2, le=10000, description="ensemble size: independent simulation runs")
    firm_scale: int = Field(
        1, ge=1, le=1000, description="firms per agent: 1 is full resolution; k > 1 explores quickly (noise k times)"
    )
    engine: Literal["array", "mesa"] = Field(
        "array", description="array: all firms of many runs at once; mesa: the agent-based reference (slow)"
    )
    start_year: Year | None = Field(None, description="default: latest year with the region's observed stage counts")
    calibration: Literal["prior", "posterior"] = "prior"
    calibration_seed: int = Field(
        1, description="seed of the calibration posterior to use (as `forecast calibrate --seed`)"
    )
    initial: dict[StageName, Annotated[int, Field(ge=0)]] = Field(
        default_factory=dict, description="stage counts given instead of figures or assumptions"
    )
    register_includes_certified: bool | None = Field(
        None,
        description="whether the region's tech-SME figures count certified firms too (default: data/registers.csv; "
        "where it says unknown, they are read without them)",
    )
    policy_history: bool = Field(
        True,
        description="apply the dated policies of data/policies.csv in the years and levers the scenario's own "
        "levers leave (forecast.ladder.policies)",
    )


class Models(Strict):
    trend: TrendSettings | None = Field(default_factory=TrendSettings)
    ladder: LadderSettings | None = None


class LeverChoice(Strict):
    """A policy lever for the ladder model: its size and the years it is in force."""

    lever: str
    size: float
    start: Year | None = None
    end: Year | None = None

    @model_validator(mode="after")
    def _order(self) -> LeverChoice:
        if self.start is not None and self.end is not None and self.end < self.start:
            raise ValueError(f"end {self.end} is before start {self.start}")
        return self


class Uncertainty(Strict):
    """A ladder parameter's range (models.ladder.PARAM_RANGES where low or high is left out)."""

    low: float | None = None
    high: float | None = None

    @model_validator(mode="after")
    def _order(self) -> Uncertainty:
        if self.low is not None and self.high is not None and self.high < self.low:
            raise ValueError(f"high {self.high} is below low {self.low}")
        return self


def _target_kind(value: object) -> str:
    return "ref" if isinstance(value, dict) and "ref" in value else "inline"


TargetEntry = Annotated[
    Annotated[TargetRef, Tag("ref")] | Annotated[InlineTarget, Tag("inline")], Discriminator(_target_kind)
]


class Scenario(Strict):
    name: str
    name_zh: str = Field("", description="the scenario's title in Chinese (default: made from its region and levers)")
    description: str = ""
    description_zh: str = Field("", description="the description in Chinese (the report in Chinese shows it)")
    region: str
    horizon: Year
    as_of: Year | Literal["latest"] = "latest"
    targets: list[TargetEntry] = Field(min_length=1)
    series: dict[str, str] = Field(default_factory=dict)
    models: Models = Field(default_factory=Models)
    seed: int = Field(ge=0, lt=2**32)
    levers: list[LeverChoice] = Field(default_factory=list)
    uncertainties: dict[ParamName, Uncertainty] = Field(default_factory=dict)


SECTION_MODELS = {
    "": Scenario,
    "ref": TargetRef,
    "inline": InlineTarget,
    "trend": TrendSettings,
    "models": Models,
    "levers": LeverChoice,
    "uncertainties": Uncertainty,
    "ladder": LadderSettings,
}


def load_scenario(path: Path) -> tuple[Scenario, str]:
    """Parse and validate a scenario file's schema; returns it with the file's hash."""
    path = Path(path)
    text = read_text(path, missing_fix="check the path; bundled scenarios are in scenarios/")
    try:
        _check_flow_depth(text, str(path))
        root = yaml.compose(text, Loader=SAFE_LOADER)
        _check_size(root, str(path))
        raw = yaml.load(text, Loader=SAFE_LOADER)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else "file"
        raise InputError(
            [
                Problem(
                    str(path),
                    where,
                    f"not valid YAML ({getattr(exc, 'problem', None) or exc})",
                    "check indentation and quoting near that line",
                )
            ]
        ) from exc
    except RecursionError:
        raise InputError(
            [Problem(str(path), "file", f"has nesting deeper than {MAX_DEPTH} levels", "see scenarios/ for examples")]
        ) from None
    except (ValueError, OverflowError) as exc:  # e.g. a number too long to convert
        raise InputError(
            [
                Problem(
                    str(path),
                    "file",
                    f"cannot be read as a scenario ({type(exc).__name__}: {str(exc)[:120]})",
                    "write a scenario like those in scenarios/: plain keys, numbers of ordinary size",
                )
            ]
        ) from exc
    if not isinstance(raw, dict):
        raise InputError(
            [
                Problem(
                    str(path),
                    "file",
                    "a scenario must be a mapping of keys (name, region, horizon, targets, seed, ...)",
                    "see scenarios/ for examples",
                )
            ]
        )
    try:
        return Scenario.model_validate(raw), file_hash(path)
    except ValidationError as exc:
        raise InputError([_problem(err, str(path), root) for err in exc.errors()]) from exc


SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""`yaml.safe_load`'s loader, in libyaml's C where PyYAML has it: the pure-Python one reads about 50 kB a second."""
MAX_NODES = 20_000
MAX_DEPTH = 40
"""A scenario has a few hundred YAML nodes, nested five deep; far more is a broken file (or an alias bomb)."""


def _check_flow_depth(text: str, file: str) -> None:
    """Refuse deep [ { nesting before parsing it: PyYAML's parser recurses, slowly, to Python's stack limit."""
    depth = deepest = 0
    for char in re.sub(r"[^\[\]{}]", "", text):
        depth = depth + 1 if char in "[{" else max(depth - 1, 0)
        deepest = max(deepest, depth)
    if deepest > MAX_DEPTH:
        raise InputError(
            [Problem(file, "file", f"has nesting deeper than {MAX_DEPTH} levels", "see scenarios/ for examples")]
        )


def _check_size(root: yaml.Node | None, file: str) -> None:
    """Refuse YAML with more nodes (aliases counted each time used) or deeper nesting than any scenario has."""
    stack, seen = [(root, 1)], 0
    while stack:
        node, depth = stack.pop()
        seen += 1
        if seen > MAX_NODES or depth > MAX_DEPTH:
            what = f"more than {MAX_NODES:,} entries" if seen > MAX_NODES else f"nesting deeper than {MAX_DEPTH} levels"
            raise InputError(
                [Problem(file, "file", f"has {what}", "a scenario is a short file: see scenarios/ for examples")]
            )
        if isinstance(node, yaml.MappingNode):
            stack += [(part, depth + 1) for pair in node.value for part in pair]
        elif isinstance(node, yaml.SequenceNode):
            stack += [(child, depth + 1) for child in node.value]


def _problem(err: dict, file: str, root: yaml.Node) -> Problem:
    loc = [p for p in err["loc"] if p not in ("ref", "inline")]
    key_path = _format_path(loc)
    line = _line_of(root, loc)
    where = f"line {line}, {key_path}" if line else key_path or "top level"
    if loc and loc[-1] == "[key]":
        name, section = loc[-2], next((p for p in reversed(loc[:-2]) if p in KEY_CHOICES), "")
        place = f"line {line}, {_format_path(loc[:-1])}" if line else _format_path(loc[:-1])
        noun, names = KEY_CHOICES.get(section, ("name", ()))
        return Problem(file, place, f"unknown {noun} '{name}'", did_you_mean(str(name), names))
    if err["type"] == "extra_forbidden":
        section = _section_model(err["loc"])
        return Problem(file, where, f"unknown key '{loc[-1]}'", did_you_mean(str(loc[-1]), section.model_fields))
    if err["type"] == "missing":
        return Problem(file, where, f"required key '{loc[-1]}' is missing", f"add '{loc[-1]}:' to this section")
    message = err["msg"].removeprefix("Value error, ")
    return Problem(file, where, f"{message} (got {_shown(err.get('input'))})", "correct the value")


def _shown(value: object) -> str:
    """A value as the file gave it, cut short (a broken file can hold megabytes in one value)."""
    try:
        text = repr(value)
    except ValueError:  # an integer too long to print
        text = "a number too long to show"
    return text if len(text) <= 80 else text[:77] + "..."


def _section_model(loc: tuple) -> type[BaseModel]:
    names = [p for p in loc[:-1] if isinstance(p, str)]
    return next((SECTION_MODELS[n] for n in reversed(names) if n in SECTION_MODELS), Scenario)


def _format_path(loc: list) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _line_of(node: yaml.Node, loc: list) -> int | None:
    """1-based line of the YAML node at `loc`, or of its nearest existing parent."""
    line = node.start_mark.line + 1 if node is not None else None
    for part in loc:
        child = None
        if isinstance(node, yaml.MappingNode):
            child = next((v for k, v in node.value if k.value == str(part)), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            child = node.value[part]
        if child is None:
            break
        node, line = child, child.start_mark.line + 1
    return line


@dataclass(frozen=True)
class CheckedScenario:
    """A scenario file loaded and checked against the inputs, once.

    `spec` has what the check worked out filled in (the ladder's start year), so no
    later step works it out again.
    """

    spec: Scenario
    targets: list[Target]
    path: Path
    sha256: str


def load_checked_scenario(path: Path, inputs: Inputs) -> CheckedScenario:
    """Load a scenario file and check it against the inputs (`InputError` listing every problem)."""
    spec, digest = load_scenario(path)
    targets, start = _check(
        spec,
        str(path),
        regions=inputs.regions,
        catalogue=inputs.catalogue,
        history=inputs.history,
        indicators=inputs.indicators,
    )
    if spec.models.ladder is not None and spec.models.ladder.start_year is None:
        ladder = spec.models.ladder.model_copy(update={"start_year": start})
        spec = spec.model_copy(update={"models": spec.models.model_copy(update={"ladder": ladder})})
    return CheckedScenario(spec, targets, Path(path), digest)


def check_scenario(
    scenario: Scenario,
    file: str,
    *,
    regions: pd.DataFrame,
    catalogue: pd.DataFrame,
    history: pd.DataFrame,
    indicators: pd.DataFrame,
) -> list[Target]:
    """Check a scenario against the regions, catalogue and data; return its targets."""
    return _check(scenario, file, regions=regions, catalogue=catalogue, history=history, indicators=indicators)[0]


def _check(
    scenario: Scenario,
    file: str,
    *,
    regions: pd.DataFrame,
    catalogue: pd.DataFrame,
    history: pd.DataFrame,
    indicators: pd.DataFrame,
) -> tuple[list[Target], int | None]:
    problems: list[Problem] = []
    if scenario.region not in regions.index:
        problems.append(
            Problem(file, "region", f"unknown region '{scenario.region}'", did_you_mean(scenario.region, regions.index))
        )
    for indicator, series in scenario.series.items():
        if indicator not in indicators.index:
            problems.append(
                Problem(
                    file,
                    f"series.{indicator}",
                    f"unknown indicator '{indicator}'",
                    did_you_mean(indicator, indicators.index),
                )
            )
        if series not in SERIES:
            problems.append(
                Problem(file, f"series.{indicator}", f"unknown series '{series}'", did_you_mean(series, SERIES))
            )
    for i, lever in enumerate(scenario.levers):
        if lever.lever not in LEVERS:
            problems.append(
                Problem(file, f"levers[{i}].lever", f"unknown lever '{lever.lever}'", did_you_mean(lever.lever, LEVERS))
            )
    start = ladder_start_year(scenario, history)
    problems += ladder_problems(scenario, file, history, regions, year=start)
    targets = []
    for i, entry in enumerate(scenario.targets):
        target, found = _resolve(entry, i, scenario, file, catalogue, indicators)
        problems += found
        if target is not None:
            problems += _target_problems(target, i, scenario, file, history, indicators)
            targets.append(target)
    raise_if(problems)
    return targets, start


def _resolve(
    entry, i: int, scenario: Scenario, file: str, catalogue: pd.DataFrame, indicators: pd.DataFrame
) -> tuple[Target | None, list[Problem]]:
    where = f"targets[{i}]"
    if isinstance(entry, TargetRef):
        if entry.ref not in catalogue.index:
            return None, [
                Problem(
                    file,
                    f"{where}.ref",
                    f"no target '{entry.ref}' in the catalogue",
                    f"{did_you_mean(entry.ref, catalogue.index)} (list them with: forecast targets --region "
                    f"{scenario.region})",
                )
            ]
        row = catalogue.loc[entry.ref]
        if row["region"] != scenario.region:
            return None, [
                Problem(
                    file,
                    f"{where}.ref",
                    f"target '{entry.ref}' is for region '{row['region']}', not '{scenario.region}'",
                    "track it in a scenario for that region",
                )
            ]
        if not is_forecastable(row):
            return None, [
                Problem(
                    file,
                    f"{where}.ref",
                    f"target '{entry.ref}' has no deadline or no number to reach",
                    "pick a quantitative target, or write it inline with target_year and target_value",
                )
            ]
        return catalogue_target(row), []
    if entry.indicator not in indicators.index:
        return None, [
            Problem(
                file,
                f"{where}.indicator",
                f"unknown indicator '{entry.indicator}'",
                did_you_mean(entry.indicator, indicators.index),
            )
        ]
    try:
        target = Target(
            target_id=entry.id or f"{scenario.region}-{entry.target_year}-{entry.indicator}-inline{i}",
            region=scenario.region,
            indicator=entry.indicator,
            comparator=entry.comparator,
            target_year=entry.target_year,
            target_value=entry.target_value,
            base_year=entry.base_year,
            base_value=entry.base_value,
            unit=indicators.at[entry.indicator, "unit"],
            label=entry.label,
        )
    except ValidationError as exc:
        return None, [
            Problem(file, where, e["msg"].removeprefix("Value error, "), "give a base_year before the target_year")
            for e in exc.errors()
        ]
    return target, []


def _target_problems(
    target: Target, i: int, scenario: Scenario, file: str, history: pd.DataFrame, indicators: pd.DataFrame
) -> list[Problem]:
    where = f"targets[{i}] ({target.target_id})"
    kind = indicators.at[target.indicator, "kind"]
    problems = []
    if target.target_year > scenario.horizon:
        problems.append(
            Problem(
                file,
                where,
                f"deadline {target.target_year} is after the horizon {scenario.horizon}",
                f"set horizon: {target.target_year} or later",
            )
        )
    if (
        kind == "percent"
        and target.comparator in {"at_least", "at_most", "about"}
        and not 0 < target.target_value < 100
    ):
        problems.append(
            Problem(
                file,
                f"{where}.target_value",
                f"{target.target_value:g}% is not a possible share",
                "give a percentage between 0 and 100",
            )
        )
    if (
        kind in {"stock", "flow", "amount", "density"}
        and target.comparator != "growth_rate_per_year"
        and target.target_value < 0
    ):
        problems.append(
            Problem(
                file,
                f"{where}.target_value",
                f"{target.target_value:g} is negative, but a {kind} cannot be",
                "give a non-negative value",
            )
        )
    years = history.loc[(history["region"] == target.region) & (history["indicator"] == target.indicator), "year"]
    if years.empty:
        problems.append(
            Problem(
                file,
                where,
                f"no data for {target.indicator} in {target.region}",
                "add figures for it with --data FILE (same layout as data/history.csv), or drop the target",
            )
        )
    elif target.target_year <= years.min():
        problems.append(
            Problem(
                file,
                where,
                f"deadline {target.target_year} is not after the first figure ({years.min()})",
                "a forecast needs data before the deadline",
            )
        )
    if scenario.as_of != "latest" and not years.empty and scenario.as_of < years.min():
        problems.append(
            Problem(
                file,
                "as_of",
                f"as_of {scenario.as_of} is before the first figure ({years.min()}) for {target.indicator}",
                "use a later year or 'latest'",
            )
        )
    return problems


def ladder_start_year(scenario: Scenario, history: pd.DataFrame) -> int | None:
    """The ladder's start year: the scenario's, or the latest year with observed stage counts
    (None without a ladder section, or if there is no such year)."""
    settings = scenario.models.ladder
    if settings is None or settings.start_year is not None:
        return None if settings is None else settings.start_year
    years = observed_years(history, scenario.region, scenario.series)
    return years[-1] if years else None


def ladder_problems(
    scenario: Scenario,
    file: str,
    history: pd.DataFrame,
    regions: pd.DataFrame | None = None,
    *,
    year: int | None = None,
) -> list[Problem]:
    """Problems with the scenario's levers, uncertainties and ladder section (against the data).

    `year` is the `ladder_start_year` if the caller has it; `regions` (for pooling a
    city's calibration with its province) may be left out to check the region alone.
    """
    settings = scenario.models.ladder
    if settings is None:
        return lever_problems(scenario, file) + uncertainty_problems(scenario, file)
    where = "models.ladder"
    problems = []
    year = ladder_start_year(scenario, history) if year is None else year
    if year is None:
        problems.append(
            Problem(
                file,
                f"{where}.start_year",
                f"no year with figures for both {' and '.join(STAGE_INDICATORS.values())} in {scenario.region}",
                "set start_year and give the missing counts under models.ladder.initial",
            )
        )
    else:
        for stage, indicator in STAGE_INDICATORS.items():
            if (
                stage not in settings.initial
                and clean_figure(history, scenario.region, indicator, year, scenario.series.get(indicator, "main"))
                is None
            ):
                problems.append(
                    Problem(
                        file,
                        f"{where}.start_year",
                        f"no clean {indicator} figure for {scenario.region} in {year}",
                        f"pick a year with one ({observed_years(history, scenario.region, scenario.series) or 'none'}) "
                        f"or give initial: {{{stage}: N}}",
                    )
                )
        if year >= scenario.horizon:
            problems.append(
                Problem(
                    file,
                    f"{where}.start_year",
                    f"start year {year} is not before the horizon {scenario.horizon}",
                    "start earlier or extend the horizon",
                )
            )
    if settings.calibration == "posterior":
        reason = calibration_window_problem(scenario.region, history, regions)
        if reason:
            problems.append(
                Problem(
                    file,
                    f"{where}.calibration",
                    f"'posterior' needs stage figures to calibrate on: {reason}",
                    "use calibration: prior, or add the region's stage counts to the data",
                )
            )
    return problems + lever_problems(scenario, file) + uncertainty_problems(scenario, file)


def lever_problems(scenario: Scenario, file: str) -> list[Problem]:
    """Lever sizes outside their bounds and overlapping windows (unknown names are checked elsewhere)."""
    problems, known = [], []
    for i, choice in enumerate(scenario.levers):
        spec = LEVERS.get(choice.lever)
        if spec is None:
            continue
        problem = spec.size_problem(choice.size)
        if problem:
            problems.append(Problem(file, f"levers[{i}].size", problem, f"give a size in {spec.unit}"))
        else:
            known.append(LeverSetting(choice.lever, choice.size, choice.start, choice.end))
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
                problems.append(
                    Problem(
                        file,
                        f"uncertainties.{name}.{label}",
                        str(exc),
                        "give a value in the parameter's domain (see models/ladder/params.py)",
                    )
                )
    return problems


def calibration_window_problem(region: str, history: pd.DataFrame, regions: pd.DataFrame | None) -> str:
    """Why the region's ladder calibration has no window ('' if it has one): its own, or a
    start of its own beside its province's window (`forecast.ladder.calibration` pools them)."""
    from models.ladder.model import INDICATOR_COLUMNS  # Mesa: loaded only for ladder scenarios

    indicators = list(INDICATOR_COLUMNS)
    parent = parent_of(region, regions) if regions is not None else None
    pooled = False
    if parent is not None:
        try:
            stage_window(history, parent, indicators, since=RULES_YEAR)
            pooled = True
        except StageDataError:
            pass
    try:
        stage_window(history, region, indicators, since=RULES_YEAR, allow_empty=pooled)
    except StageDataError as exc:
        return str(exc)
    return ""
