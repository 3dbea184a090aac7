"""Every word a planner reads on a chart or a printed table, in Chinese or English, looked up in one place.

Names come from the tables of the inputs bundle (`forecast.inputs.bundle.Inputs`):
indicators from ``name_zh``/``name_en`` of ``indicators.csv``, regions from
``regions.csv``, the ladder's levers and uncertain parameters from
``ladder_factors.csv``, and each catalogue target's original phrase (``phrase_zh`` of
``targets.csv``). Sampler statuses and the reasons a target has no fit are put in
words by `Labels.status`. The fixed words around them (axis titles, legends, column headers)
are in `forecast.report.phrases` (`TEXT`, one entry per phrase with both languages, kept by
subject; units in `UNITS`). Code keys (``high_tech_enterprises``, ``langfang``) never reach a
chart: a key missing from the tables is shown with its underscores as spaces, the last resort.
Chinese text is set in the CJK font of `forecast.report.fonts`.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field

import matplotlib
import pandas as pd

from forecast.inputs.bundle import Inputs
from forecast.inputs.targets import Target
from forecast.progress import Message
from forecast.report.fonts import Lang, font_family
from forecast.report.phrases import COMPARATOR, SERIES, TEXT, UNITS
from forecast.scenario import Scenario

LANGUAGES: tuple[Lang, ...] = ("zh", "en")

STATUS_PROBLEMS: tuple[tuple[re.Pattern, str], ...] = (
    (re.compile(r"^R-hat (?P<value>\S+) > (?P<limit>\S+)$"), "status_r_hat"),
    (re.compile(r"^bulk ESS (?P<value>\S+) < (?P<limit>\S+)$"), "status_ess_bulk"),
    (re.compile(r"^tail ESS (?P<value>\S+) < (?P<limit>\S+)$"), "status_ess_tail"),
    (re.compile(r"^(?P<count>\d+) divergent transitions$"), "status_divergences"),
)
"""The problems `models.diagnostics.Diagnostics.status` lists, each with its `TEXT` entry."""
OBSERVED = re.compile(r"^observed: (?P<indicator>\S+) (?P<year>\d+) \(data row (?P<row>\d+)\)$")
ASSUMED = re.compile(r"^assumed: (?P<cohorts>\d+) x startup_entry_rate (?P<rate>\S+) x tech_sme")
"""The sources of a ladder start's stage counts, as `forecast.ladder.start.start_state` writes them."""
CJK = re.compile(r"[\u4e00-\u9fff]")
"""A Chinese character (CJK Unified Ideographs)."""
START_STAGES = {"hte": "hte_certified", "tech_sme": "tech_sme_registered"}
"""A ladder start's stage (`forecast.ladder.start.StartState.counts`) -> the stage column it fills, named once."""
NO_FIGURES = re.compile(r"^no figures for (?P<indicator>\S+) in (?P<region>\S+) up to (?P<until>\S+)$")
"""The reason `forecast.trend.pipeline` gives for a target without a fit."""


def number_text(value: float) -> str:
    """A target value as people write it: thousands separated, no trailing zeros, never in e-notation."""
    if float(value).is_integer():
        return f"{value:,.0f}"
    return f"{value:,.6f}".rstrip("0").rstrip(".")


def _readable(key: str) -> str:
    return str(key).replace("_", " ")


def _usable_phrase(phrase) -> str | None:
    """The catalogue's phrase, unless missing or garbled in the source (question marks, replacement characters)."""
    if not isinstance(phrase, str) or not phrase.strip() or "?" in phrase or "\ufffd" in phrase:
        return None
    return phrase.strip()


@dataclass(frozen=True)
class Labels:
    """Words for one language, with the names of the bundle's indicators, regions and catalogue targets."""

    lang: Lang = "en"
    indicators: Mapping[str, str] = field(default_factory=dict)
    regions: Mapping[str, str] = field(default_factory=dict)
    phrases: Mapping[str, str] = field(default_factory=dict)
    factors: Mapping[str, str] = field(default_factory=dict)
    factor_units: Mapping[str, str] = field(default_factory=dict)

    @property
    def zh(self) -> bool:
        return self.lang == "zh"

    def text(self, key: str, **values) -> str:
        zh, en = TEXT[key]
        return (zh if self.zh else en).format(**values)

    def message(self, message: Message) -> str:
        """A pipeline's note or progress description (`forecast.progress.Message`) in words: its code-key values
        (region, indicator, factor, setting) named, nested messages worded too."""
        named = {"region": self.region, "indicator": self.indicator, "factor": self.factor, "setting": self.setting}
        values = {
            k: self.message(v) if isinstance(v, Message) else named[k](str(v)) if k in named else v
            for k, v in message.values.items()
        }
        return self.text(message.key, **values)

    def indicator(self, key: str) -> str:
        return self.indicators.get(key) or _readable(key)

    def factor(self, key: str) -> str:
        """A ladder lever's or uncertain parameter's name (``data/ladder_factors.csv``)."""
        return self.factors.get(key) or _readable(key)

    def factor_unit(self, key: str, english: str) -> str:
        """A lever's unit from ``data/ladder_factors.csv`` in Chinese, else `english` (the lever's own)."""
        return self.factor_units.get(key, english) if self.zh else english

    def setting(self, word: str) -> str:
        """A sweep setting ('off', 'larger', 'as written', 'low', 'high') in words."""
        key = "setting_" + word.replace(" ", "_")
        return self.text(key) if key in TEXT else word

    def region(self, key: str) -> str:
        return self.regions.get(key) or _readable(key).title()

    def unit(self, key: str) -> str:
        zh, en = UNITS.get(key, (_readable(key), _readable(key)))
        return zh if self.zh else en

    def axis(self, indicator: str, unit: str) -> str:
        shown = self.unit(unit)
        return self.text("axis", name=self.indicator(indicator), unit=shown) if shown else self.indicator(indicator)

    def phrase(self, target: Target) -> str | None:
        """The plan's own words for a catalogue target (Chinese), where the catalogue has them intact."""
        return _usable_phrase(self.phrases.get(target.target_id))

    def target(self, target: Target, *, region: bool = True) -> str:
        """The target in words: '廊坊市 高新技术企业 ≥ 1,500 家（2025年）' or 'Langfang: ... ≥ 1,500 firms by 2025'."""
        value, unit = number_text(target.target_value), self.unit(target.unit)
        amount = f"{value}{unit}" if unit == "%" else f"{value} {unit}".strip()
        name, year, base = self.indicator(target.indicator), target.target_year, target.base_year
        if self.zh:
            statement = {
                "growth_rate_per_year": f"{name} 年均增长 ≥ {value}%（{base}–{year}年）",
                "increment": f"{name} 比{base}年新增 ≥ {amount}（{year}年）",
            }.get(target.comparator) or f"{name} {COMPARATOR[target.comparator][0]} {amount}（{year}年）"
            return f"{self.region(target.region)} {statement}" if region else statement
        statement = {
            "growth_rate_per_year": f"{name} grows ≥ {value}% a year from {base} to {year}",
            "increment": f"{name} +{amount} over {base} by {year}",
        }.get(target.comparator) or f"{name} {COMPARATOR[target.comparator][1]} {amount} by {year}"
        return f"{self.region(target.region)}: {statement}" if region else statement

    def target_marker(self, target: Target) -> str:
        """Legend entry of the target star: the plan's own phrase in Chinese where it has one."""
        phrase = self.phrase(target) if self.zh else None
        if phrase:
            return self.text("target_phrase", phrase=phrase)
        return self.text("target_marker", target=self.target(target, region=False))

    def method(self, key: str) -> str:
        """A forecasting method (the trend model or a naive baseline) in words."""
        return self.text(f"method_{key}") if f"method_{key}" in TEXT else _readable(key)

    def variant(self, key: str) -> str:
        """A trend model (common growth, joint, a state-space variant) in words."""
        return self.text(f"variant_{key}") if f"variant_{key}" in TEXT else _readable(key)

    def series(self, key: str) -> str:
        zh, en = SERIES.get(key, (_readable(key), _readable(key)))
        return zh if self.zh else en

    def status(self, status: str) -> str:
        """A sampler check's status or a result's reason, in words (unknown text is returned as it is)."""
        status = str(status)
        if status == "ok":
            return self.text("status_ok")
        if status.startswith("WARNING: "):
            return self.text(
                "status_warning",
                problems=("；" if self.zh else "; ").join(
                    self._problem(p) for p in status.removeprefix("WARNING: ").split("; ")
                ),
            )
        found = NO_FIGURES.match(status)
        if found:
            until = found["until"] if found["until"] != "now" else self.text("until_now")
            if self.zh and until.isdigit():
                until = f"{until}年"
            return self.text(
                "status_no_figures",
                indicator=self.indicator(found["indicator"]),
                region=self.region(found["region"]),
                until=until,
            )
        if status == "deadline before the first figure":
            return self.text("status_deadline_early")
        return status

    def start_line(self, stage: str, count: int, source: str) -> str:
        """One stage count of the ladder's start (`forecast.ladder.start.StartState`) and where it comes from."""
        key = "stage_" + START_STAGES.get(stage, stage)
        name = self.text(key) if key in TEXT else _readable(stage)
        return self.text("start_line", stage=name, count=count, source=self._source(source))

    def _source(self, source: str) -> str:
        found = OBSERVED.match(source)
        if found:
            return self.text(
                "source_observed", **(found.groupdict() | {"indicator": self.indicator(found["indicator"])})
            )
        found = ASSUMED.match(source)
        if found:
            return self.text("source_assumed", **found.groupdict())
        return self.text("source_given") if source.startswith("given in the scenario") else source

    def _problem(self, problem: str) -> str:
        for pattern, key in STATUS_PROBLEMS:
            found = pattern.match(problem)
            if found:
                return self.text(key, **found.groupdict())
        return problem

    def scenario(self, names: Mapping | str) -> str:
        """A scenario's title in this language, from its titles in both (`scenario_names`); a bare string (a run
        from an earlier version kept one name) as it is."""
        if not isinstance(names, Mapping):
            return str(names)
        shown = names.get(self.lang) or names.get("en") or names.get("zh")
        return shown if isinstance(shown, str) else ""

    def outcome(self, value: float, met: bool | None) -> str:
        if pd.isna(value):
            return "-"
        return f"{value:g} ({self.text('met' if met else 'missed')})" if met is not None else f"{value:g}"

    @contextmanager
    def fonts(self) -> Iterator[None]:
        """Within this block, new text is set in the language's font (for Chinese: Noto Sans CJK SC)."""
        with matplotlib.rc_context({"font.family": font_family(self.lang)}):
            yield


ENGLISH = Labels()
"""English words without the bundle's names (keys shown with spaces): the default of functions called without
labels, e.g. from a notebook; the CLI always passes `labels_for` the bundle."""


def labels_for(inputs: Inputs, lang: Lang) -> Labels:
    """The labels of a language, with the names the bundle's tables give."""
    return make_labels(lang, inputs.indicators, inputs.regions, inputs.catalogue, inputs.factors)


def make_labels(
    lang: Lang,
    indicators: pd.DataFrame,
    regions: pd.DataFrame,
    catalogue: pd.DataFrame | None = None,
    factors: pd.DataFrame | None = None,
) -> Labels:
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}: use one of {', '.join(LANGUAGES)}")
    column = f"name_{lang}"
    phrases = {} if catalogue is None else dict(zip(catalogue["target_id"], catalogue["phrase_zh"], strict=True))
    return Labels(
        lang=lang,
        indicators=_names(indicators, "indicator", column),
        regions=_names(regions, "region", column),
        phrases=phrases,
        factors={} if factors is None else _names(factors, "factor", column),
        factor_units={} if factors is None else _names(factors, "factor", f"unit_{lang}"),
    )


def _names(table: pd.DataFrame, key: str, column: str) -> dict[str, str]:
    """Key -> name, without bracketed remarks naming code keys ('(different from invention_patents_per_10k)')."""
    return {
        k: re.sub(r"\s*\([^()]*_[^()]*\)", "", v).strip()
        for k, v in zip(table[key], table[column], strict=True)
        if isinstance(v, str) and v.strip()
    }


def in_china(region: str, regions: pd.DataFrame) -> bool:
    """Whether a region is China or lies in it, following the regions table's parents."""
    parents = dict(zip(regions["region"], regions["parent"], strict=True))
    seen = set()
    while isinstance(region, str) and region not in seen:
        if region == "china":
            return True
        seen.add(region)
        region = parents.get(region)
    return False


def default_language(regions_shown, regions: pd.DataFrame) -> Lang:
    """Chinese when every region shown lies in China (as every bundled region does), else English."""
    shown = [regions_shown] if isinstance(regions_shown, str) else list(regions_shown)
    return "zh" if shown and all(in_china(r, regions) for r in shown) else "en"


def localised(plot: Callable) -> Callable:
    """Draw a plot function's figure in the font of its ``labels=`` keyword's language."""

    @functools.wraps(plot)
    def draw(*args, labels: Labels | None = None, **kwargs):
        labels = labels or Labels()
        with labels.fonts():
            return plot(*args, labels=labels, **kwargs)

    return draw


def lever_name(labels: Labels, key: str) -> str:
    """A policy lever's name in the labels' language (``data/ladder_factors.csv``, `Labels.factor`)."""
    return labels.factor(key)


def lever_unit(labels: Labels, key: str) -> str:
    """The unit of a policy lever's size in the labels' language (``data/ladder_factors.csv``; empty if none)."""
    return labels.factor_units.get(key, "")


def names_used(inputs: Inputs, targets: Iterable[Target]) -> dict[str, dict]:
    """The names in both languages of the targets' indicators and regions, and the catalogue's phrases, as a
    run's manifest keeps them: its report needs no tables (a bureau's own regions included)."""
    targets = list(targets)
    tables = {lang: labels_for(inputs, lang) for lang in LANGUAGES}
    return {
        "indicators": {
            t.indicator: {
                lang: tables[lang].indicators[t.indicator]
                for lang in LANGUAGES
                if t.indicator in tables[lang].indicators
            }
            for t in targets
        },
        "regions": {
            t.region: {lang: tables[lang].regions[t.region] for lang in LANGUAGES if t.region in tables[lang].regions}
            for t in targets
        },
        "phrases": {t.target_id: p for t in targets if (p := _usable_phrase(tables["zh"].phrases.get(t.target_id)))},
    }


def scenario_names(spec: Scenario, inputs: Inputs) -> dict[str, str]:
    """A scenario's title in both languages: its ``name`` (English) and ``name_zh``; a scenario without a Chinese
    title keeps a ``name`` written in Chinese, or gets one made from its region, horizon, model and levers
    (`made_title`)."""
    chinese = spec.name if CJK.search(spec.name) else ""
    return {"en": spec.name, "zh": spec.name_zh.strip() or chinese or made_title(spec, labels_for(inputs, "zh"))}


def made_title(spec: Scenario, labels: Labels) -> str:
    """'廊坊市，至 2025 年：培育梯队模型（高新技术企业认定奖补 20 万元，2021–2025年）' from the scenario's keys, in
    the words of `labels`."""
    levers = [
        labels.text(
            "scenario_lever",
            lever=labels.factor(c.lever),
            size=f"{number_text(c.size)} {_bare(lever_unit(labels, c.lever))}".strip(),
            years=labels.text("report_lever_years", start=c.start or "", end=c.end or "") if c.start or c.end else "",
        ).strip()
        for c in spec.levers
    ]
    model = labels.text("scenario_ladder" if spec.models.ladder is not None else "scenario_trend")
    title = labels.text("scenario_title", region=labels.region(spec.region), horizon=spec.horizon, model=model)
    return title + (labels.text("scenario_levers", levers=("；" if labels.zh else "; ").join(levers)) if levers else "")


def _bare(unit: str) -> str:
    """A unit without its bracketed remark ('万元/家（新认定企业）' -> '万元/家')."""
    return re.sub(r"\s*[（(][^（）()]*[）)]", "", unit).strip()


def with_names(labels: Labels, names: Mapping) -> Labels:
    """`labels` with the names a manifest kept (`names_used`) laid over the tables' names."""

    def kept(kind: str) -> dict[str, str]:
        entries = names.get(kind) if isinstance(names, Mapping) else None
        if not isinstance(entries, Mapping):
            return {}
        return {
            k: v[labels.lang]
            for k, v in entries.items()
            if isinstance(v, Mapping) and isinstance(v.get(labels.lang), str)
        }

    phrases = names.get("phrases") if isinstance(names, Mapping) else None
    phrases = {k: v for k, v in phrases.items() if isinstance(v, str)} if isinstance(phrases, Mapping) else {}
    return dataclasses.replace(
        labels,
        indicators={**labels.indicators, **kept("indicators")},
        regions={**labels.regions, **kept("regions")},
        phrases={**labels.phrases, **phrases},
    )
