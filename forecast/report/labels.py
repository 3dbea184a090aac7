"""Every word a planner reads on a chart or a printed table, in Chinese or English, looked up in one place.

Names come from the tables of the inputs bundle (`forecast.inputs.bundle.Inputs`):
indicators from ``name_zh``/``name_en`` of ``indicators.csv``, regions from
``regions.csv``, and each catalogue target's original phrase (``phrase_zh`` of
``targets.csv``). The fixed words around them (axis titles, legends, column headers)
are in `TEXT`, one entry per phrase with both languages; units in `UNITS`. Code keys
(``high_tech_enterprises``, ``langfang``) never reach a chart: a key missing from the
tables is shown with its underscores as spaces, the last resort.

Chinese text is set in Noto Sans CJK SC, shipped by the ``noto-cjk-sans-otc`` package
(SIL Open Font License 1.1) and registered with matplotlib's font manager the first
time a Chinese chart is drawn (`font_family`).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib.resources import as_file, files
from typing import Literal

import matplotlib
import pandas as pd

from forecast.inputs.bundle import Inputs
from forecast.inputs.targets import Target

Lang = Literal["zh", "en"]
LANGUAGES: tuple[Lang, ...] = ("zh", "en")
CJK_FAMILY = "Noto Sans CJK SC"
FALLBACK_FAMILY = "DejaVu Sans"  # matplotlib's own font: whatever the CJK font lacks

UNITS: dict[str, tuple[str, str]] = {
    "firms": ("家", "firms"),
    "firms_per_year": ("家/年", "firms per year"),
    "100m_yuan": ("亿元", "100 million yuan"),
    "10k_yuan_per_person": ("万元/人", "10,000 yuan per person"),
    "10k_persons": ("万人", "10,000 persons"),
    "percent": ("%", "%"),
    "per_10k_people": ("/万人", "per 10,000 people"),
    "per_10k_employed": ("/万名就业人员", "per 10,000 employed"),
    "per_county": ("个/县", "per county"),
    "per_park": ("个/园区", "per park"),
    "per_university": ("个/高校", "per university"),
    "platforms": ("个", "platforms"),
    "zones": ("个", "zones"),
    "counties": ("个", "counties"),
    "agencies": ("家", "agencies"),
    "organizations": ("家", "organizations"),
    "funds": ("支", "funds"),
    "teams": ("个", "teams"),
    "persons": ("人", "persons"),
    "person_times_per_year": ("人次/年", "person-times per year"),
    "projects_per_year": ("项/年", "projects per year"),
    "items": ("项", "items"),
    "items_per_year": ("项/年", "items per year"),
    "tce_per_10k_yuan": ("吨标准煤/万元", "tce per 10,000 yuan"),
    "ug_per_m3": ("微克/立方米", "µg/m³"),
    "rank_places": ("位", "places"),
    "class_code": ("", ""),
}
"""Unit key -> (Chinese, English), for axis titles and target descriptions."""

TEXT: dict[str, tuple[str, str]] = {
    # fan charts
    "interval": ("{level} 区间", "{level} interval"),
    "median_projection": ("预测中位数", "median projection"),
    "reported": ("公布数据", "reported figure"),
    "caveated": ("有保留的数据（年中、下限、口径）", "caveated figure (mid-year, bound, scope)"),
    "target_marker": ("目标：{target}", "target: {target}"),
    "target_phrase": ("规划目标：{phrase}", "target: {target}"),
    "outcome_marker": ("实际结果 {value}", "outcome {value}"),
    "data_up_to": ("使用数据截至 {year} 年", "data used up to {year}"),
    "p_met_title": ("达标概率 = {p:.2f} ± {e:.2f}（蒙特卡洛误差）", "P(met) = {p:.2f} ± {e:.2f} (Monte Carlo error)"),
    "p_met_short": ("达标概率 = {p:.2f} ± {e:.2f}", "P(met) = {p:.2f} ± {e:.2f}"),
    "convergence": ("收敛检查未通过：{status}", "convergence {status}"),
    "year": ("年份", "year"),
    "axis": ("{name}（{unit}）", "{name} ({unit})"),
    # reliability chart
    "perfect_calibration": ("完全校准", "perfect calibration"),
    "forecast_probability_bin": ("预测概率（分箱均值）", "forecast probability (bin mean)"),
    "observed_frequency": ("实际发生频率", "observed frequency"),
    "reliability_title": ("阈值事件的可靠性", "Reliability of threshold events"),
    "backtest_reliability_title": ("回测：阈值事件（各起点合并）", "Backtest: threshold events, pooled over origins"),
    "brier_legend": ("{method}（Brier {brier:.3f}）", "{method} (Brier {brier:.3f})"),
    # ladder charts
    "stage_hte_certified": ("已认定高新技术企业", "certified high-tech enterprises"),
    "stage_tech_sme_registered": ("已入库科技型中小企业", "registered tech SMEs"),
    "stage_reserve": ("高新技术企业后备库", "reserve pool"),
    "stage_startup": ("初创企业", "startups"),
    "stage_outside": ("未进入培育梯队", "off the ladder"),
    "stage_gazelle": ("瞪羚企业", "gazelles"),
    "stage_band": ("{label}（中位数，80% 区间）", "{label} (median, 80% band)"),
    "published": ("公布数据", "published figure"),
    "firms": ("企业数（家）", "firms"),
    "firms_per_year": ("企业数（家/年）", "firms per year"),
    "stages_title": ("培育梯队模型：各阶段企业数", "Ladder model: firms per stage"),
    "later_unused": ("起点之后公布的数据（未使用）", "published after the start (not used)"),
    "later_fitted": ("起点之后公布的数据（已用于校准）", "published after the start (fitted by the calibration)"),
    "runs_start": ("模拟从 {year} 年的企业数开始", "runs start from the {year} counts"),
    "ladder_suffix": ("{target}（培育梯队模型）", "{target} (ladder model)"),
    "ladder_fan_title": ("培育梯队模型：{label}\n{target}：{p}", "ladder: {label}\n{target}: {p}"),
    "tornado_title": ("{target}\n培育梯队模型：{label}", "{target}\nladder: {label}"),
    "no_change": (" 无变化：{low} = {high}", " no change: {low} = {high}"),
    "as_written": ("情景原设定：{p:.2f}", "scenario as written: {p:.2f}"),
    "p_target_met": ("达标概率", "P(target met)"),
    # calibration check
    "panel_hte": ("已认定高新技术企业（存量）", "certified high-tech enterprises (stock)"),
    "panel_certifications": ("每年认定数（新认定 + 重新认定）", "certifications per year (new + renewed)"),
    "panel_smes": ("已入库科技型中小企业（存量）", "registered tech SMEs (stock)"),
    "abm_draws": ("主体模型（后验抽样）", "ABM (posterior draws)"),
    "meanfield": ("均值场模型 + 统计误差", "mean-field + reporting noise"),
    "band_95": ("{label}，95%", "{label}, 95%"),
    "band_80": ("{label}，80%", "{label}, 80%"),
    "band_median": ("{label}，中位数", "{label}, median"),
    "caveated_short": ("有保留的数据（年中、口径）", "caveated (mid-year, scope)"),
    "lower_bound": ("下限", "lower bound"),
    "before_window": ("拟合窗口之前（未使用）", "before the window (not used)"),
    "calibration_title": (
        "{region}：校准后的培育梯队模型（{runs} 次主体模型模拟，firm_scale {scale}）",
        "{region}: ladder model with calibrated rates ({runs} ABM runs, firm_scale {scale})",
    ),
    # terminal tables
    "col_target": ("目标", "target"),
    "col_deadline": ("期限", "deadline"),
    "col_latest": ("最新数据", "latest"),
    "col_median": ("中位数", "median"),
    "col_interval": ("80% 区间", "80% interval"),
    "col_p_met": ("达标概率", "P(met)"),
    "col_outcome": ("实际结果", "outcome"),
    "col_growth": ("年增长：预测｜近年", "yearly growth: projected | recent"),
    "growth_far": (
        "增长偏离：{target} 的预测中位数隐含年增长 {implied}，而近年实际为 {recent}；"
        "与两者都相差 10 个百分点以上，请谨慎看待",
        "growth check: {target} projects {implied} a year against {recent} lately: more than 10 points from both",
    ),
    "col_diagnostics": ("诊断", "diagnostics"),
    "col_trend_interval": ("当前趋势：中位数（80%）", "current trend: median (80%)"),
    "col_trend_p": ("达标概率（当前趋势）", "P(met) current trend"),
    "col_ladder_interval": ("培育梯队模型：中位数（80%）", "ladder: median (80%)"),
    "col_ladder_p": ("达标概率（培育梯队模型：{label}）", "P(met) ladder: {label}"),
    "col_factor": ("因素", "factor"),
    "col_setting": ("设定", "setting"),
    "col_value": ("数值", "value"),
    "col_change": ("变化", "change"),
    "met": ("达标", "met"),
    "missed": ("未达标", "missed"),
    "compare_note": (
        "（达标概率 ± 蒙特卡洛误差；括号内为相对 {first} 的变化 ± 配对蒙特卡洛误差）",
        "(P(met) ± Monte Carlo error; in brackets the change from {first} ± its paired MC error)",
    ),
    "explain_heading": (
        "{target} — 培育梯队模型：{label}（{runs} 次模拟，共同随机数）",
        "{target} — ladder: {label} ({runs} runs, common random numbers)",
    ),
    "explain_note": (
        "（变化：相对情景原设定，± 配对蒙特卡洛误差）",
        "(change: from the scenario as written, ± paired Monte Carlo error)",
    ),
}
"""Fixed phrase key -> (Chinese, English), with ``{placeholders}`` filled by `Labels.text`."""

COMPARATOR: dict[str, tuple[str, str]] = {
    "at_least": ("≥", "≥"),
    "at_most": ("≤", "≤"),
    "about": ("约", "about"),
}


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

    @property
    def zh(self) -> bool:
        return self.lang == "zh"

    def text(self, key: str, **values) -> str:
        zh, en = TEXT[key]
        return (zh if self.zh else en).format(**values)

    def indicator(self, key: str) -> str:
        return self.indicators.get(key) or _readable(key)

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
    return make_labels(lang, inputs.indicators, inputs.regions, inputs.catalogue)


def make_labels(
    lang: Lang, indicators: pd.DataFrame, regions: pd.DataFrame, catalogue: pd.DataFrame | None = None
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


@functools.cache
def register_cjk_font() -> str:
    """Add Noto Sans CJK (the ``noto-cjk-sans-otc`` package's font collection) to matplotlib's font manager once;
    return the Simplified Chinese family's name."""
    from matplotlib import font_manager

    resource = files("noto_cjk_sans_otc").joinpath("NotoSansCJK-Regular.ttc")
    with as_file(resource) as path:  # a real file wherever the package is installed (not zipped)
        font_manager.fontManager.addfont(str(path))
    if not any(f.name == CJK_FAMILY for f in font_manager.fontManager.ttflist):
        raise RuntimeError(f"{CJK_FAMILY} is not in {resource}; reinstall noto-cjk-sans-otc")
    return CJK_FAMILY


def font_family(lang: Lang) -> list[str]:
    """matplotlib ``font.family`` for a language: for Chinese the CJK font first, DejaVu Sans for what it lacks; for
    English the other way round (a scenario's own name may still hold Chinese)."""
    families = [register_cjk_font(), FALLBACK_FAMILY]
    return families if lang == "zh" else families[::-1]


def localised(plot: Callable) -> Callable:
    """Draw a plot function's figure in the font of its ``labels=`` keyword's language."""

    @functools.wraps(plot)
    def draw(*args, labels: Labels | None = None, **kwargs):
        labels = labels or Labels()
        with labels.fonts():
            return plot(*args, labels=labels, **kwargs)

    return draw
