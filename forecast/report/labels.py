"""Every word a planner reads on a chart or a printed table, in Chinese or English, looked up in one place.

Names come from the tables of the inputs bundle (`forecast.inputs.bundle.Inputs`):
indicators from ``name_zh``/``name_en`` of ``indicators.csv``, regions from
``regions.csv``, the ladder's levers and uncertain parameters from
``ladder_factors.csv``, and each catalogue target's original phrase (``phrase_zh`` of
``targets.csv``). Sampler statuses and the reasons a target has no fit are put in
words by `Labels.status`. The fixed words around them (axis titles, legends, column headers)
are in `TEXT`, one entry per phrase with both languages; units in `UNITS`. Code keys
(``high_tech_enterprises``, ``langfang``) never reach a chart: a key missing from the
tables is shown with its underscores as spaces, the last resort.

Chinese text is set in Noto Sans CJK SC, shipped by the ``noto-cjk-sans-otc`` package
(SIL Open Font License 1.1) and registered with matplotlib's font manager the first
time a Chinese chart is drawn (`font_family`).
"""

from __future__ import annotations

import dataclasses
import functools
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
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
    # explain: settings of the sweep and the inverse search's answer
    "factor_scenario": ("情景", "scenario"),
    "setting_as_written": ("按情景设定", "as written"),
    "setting_off": ("不实施（现状水平）", "off"),
    "setting_larger": ("力度加倍", "larger"),
    "setting_low": ("低值", "low"),
    "setting_high": ("高值", "high"),
    "search_already": (
        "{lever}保持现状水平 {size} 时达标概率为 {p:.2f} ± {e:.2f}（其他政策按情景设定）："
        "不需该政策即可达到 {goal:.2f}",
        "P(met) is {p:.2f} ± {e:.2f} with {lever} at its status quo {size} (other levers as in the scenario): the "
        "goal {goal:.2f} is reached without it",
    ),
    "search_reached": (
        "达标概率 ≥ {goal:.2f} 所需的最小{lever}：{size} {unit}（精度 {resolution:.3g}）；此时达标概率 = {p:.2f} ± "
        "{e:.2f}（蒙特卡洛误差）",
        "smallest {lever} with P(met) >= {goal:.2f}: {size} {unit} (within {resolution:.3g}); there P(met) = "
        "{p:.2f} ± {e:.2f} (Monte Carlo error)",
    ),
    "search_unreachable": (
        "{lever}在 {low}–{high} {unit} 范围内均达不到达标概率 ≥ {goal:.2f}：范围端点处达标概率 = {p:.2f} ± {e:.2f}",
        "no size of {lever} within {low}-{high} {unit} reaches P(met) >= {goal:.2f}: at the far end P(met) = "
        "{p:.2f} ± {e:.2f}",
    ),
    "search_note": (
        "逆向搜索的政策为{lever}：在敏感性分析中对达标概率影响最大（可用 --lever 另选）",
        "inverse search on {lever}, the lever that moves P(met) most in the sweep (choose another with --lever)",
    ),
    "no_lever_note": (
        "情景未设定任何政策：用 --lever NAME 指定逆向搜索的政策",
        "the scenario sets no lever: give --lever NAME for the inverse search",
    ),
    "note": ("说明：{text}", "note: {text}"),
    # ladder start state (forecast.ladder.start.StartState.sources)
    "stage_hte": ("已认定高新技术企业", "certified high-tech enterprises"),
    "stage_tech_sme": ("已入库科技型中小企业", "registered tech SMEs"),
    "stage_leading": ("领军企业", "leading firms"),
    "start_line": ("培育梯队起点：{stage} = {count:,}（{source}）", "ladder note: {stage} = {count:,} ({source})"),
    "source_observed": (
        "公布数据：{indicator} {year}年，数据第 {row} 行",
        "observed: {indicator} {year} (data row {row})",
    ),
    "source_given": ("情景文件设定（models.ladder.initial）", "given in the scenario (models.ladder.initial)"),
    "source_assumed": (
        "假设：{cohorts} × 年新进入率 {rate} × 科技型中小企业数（无公布数据）",
        "assumed: {cohorts} x yearly startup entry rate {rate} x registered tech SMEs (no published figure)",
    ),
    "gap_parameter": (
        "梯队模型与趋势模型对{target}的判断不一致：梯队 {ladder}，趋势 {trend}（80%区间不重叠）；"
        "差距主要取决于“{factor}”"
        "（秩相关 {rho}；该参数最有利的五分之一运行的中位数为 {favourable}）",
        "ladder and trend disagree on {target}: ladder {ladder}, trend {trend} (80% intervals apart); "
        "the gap rests most on {factor} (rank correlation {rho}; the fifth of runs where it is most favourable "
        "has median {favourable})",
    ),
    "gap_register": (
        "梯队模型与趋势模型对{target}的判断不一致：梯队 {ladder}，趋势 {trend}（80%区间不重叠）；"
        "差距主要来自登记口径假设："
        "若改变“科技型中小企业数是否包含高新技术企业”的假设，梯队中位数约为 {switched}"
        "（数据未载明，见 data/registers.csv）",
        "ladder and trend disagree on {target}: ladder {ladder}, trend {trend} (80% intervals apart); the gap rests "
        "most on the register assumption: switching whether the register counts certified firms would put the ladder's "
        "median near "
        "{switched} (the data do not say which holds; data/registers.csv)",
    ),
    "gap_unexplained": (
        "梯队模型与趋势模型对{target}的判断不一致：梯队 {ladder}，趋势 {trend}（80%区间不重叠）；"
        "运行中没有变化的参数可解释差距",
        "ladder and trend disagree on {target}: ladder {ladder}, trend {trend} (80% intervals apart); no parameter "
        "varies across the runs to explain it",
    ),
    "ladder_notes_in_log": (
        "培育梯队模型的其余 {n} 条技术说明（英文）已写入输出文件夹的 run.log（-v 可在终端显示）",
        "{n} more technical notes of the ladder model are in run.log in the output folder (-v shows them here)",
    ),
    # audit (forecast audit)
    "col_data_up_to": ("数据截至", "data up to"),
    "col_p_method": ("达标概率（{method}）", "P(met) {method}"),
    "method_model": ("趋势模型", "model"),
    "method_last_value": ("最新值不变", "last value"),
    "method_random_walk_drift": ("带漂移随机游走", "random walk with drift"),
    "method_linear_trend": ("线性趋势", "linear trend"),
    "audit_brier": (
        "{n} 个目标的 Brier 分数（越低越好；一律给 0.5 得 0.25）：{scores}",
        "Brier score over {targets} (lower is better; always saying 0.5 scores 0.25): {scores}",
    ),
    "audit_reliability": ("可靠性（按预测概率分箱）：", "Reliability (bins of forecast probability):"),
    "audit_none": (
        "这些数据中没有可以回顾评估的规划目标。",
        "No target in the catalogue can be audited with these data.",
    ),
    "audit_skipped": ("期限已过但未评估的目标 {n} 个：", "Skipped {targets} whose deadline has passed:"),
    # sampler checks (models.diagnostics.Diagnostics.status) and results without a fit
    "status_ok": ("通过", "ok"),
    "status_warning": ("警告：{problems}", "WARNING: {problems}"),
    "status_r_hat": ("R-hat {value} > {limit}", "R-hat {value} > {limit}"),
    "status_ess_bulk": ("主体有效样本量 {value} < {limit}", "bulk ESS {value} < {limit}"),
    "status_ess_tail": ("尾部有效样本量 {value} < {limit}", "tail ESS {value} < {limit}"),
    "status_divergences": ("{count} 次发散转移", "{count} divergent transitions"),
    "status_no_figures": (
        "{region}截至{until}无{indicator}数据",
        "no figures for {indicator} in {region} up to {until}",
    ),
    "until_now": ("目前", "now"),
    "status_deadline_early": ("期限早于第一个数据", "deadline before the first figure"),
    "convergence_warning": (
        "收敛检查{status}：请谨慎看待这些概率；可增加 draws/tune",
        "convergence {status}: treat these probabilities with care; raise draws/tune",
    ),
    "p_all_met": (
        "全部 {n} 个目标达标的概率 = {p:.2f} ± {e:.2f}（{note}）",
        "P(all {n} targets met) = {p:.2f} ± {e:.2f} ({note})",
    ),
    "joint_separate": ("分别拟合的指标视为相互独立", "indicators fitted separately are treated as independent"),
    "joint_shared": ("所有目标使用同一组轨迹", "all targets share one set of trajectories"),
    "joint_partly": (
        "联合拟合的指标逐抽样一致，分别拟合的指标视为相互独立",
        "indicators fitted jointly are drawn together; those fitted separately are treated as independent",
    ),
    # data updates (forecast update)
    "update_summary": (
        "{file}：新数据 {new} 条，修订 {revised} 条，已有（数值相同）{known} 条",
        "{file}: {new} new figures, {revised} revised, {known} already known (same value)",
    ),
    "revised_heading": ("修订的历史数据（旧值 → 新值）：", "Revised past figures (old → new):"),
    "checks_heading": (
        "新数据与趋势模型预期的比较（模型用更新前的数据拟合；95% 预测区间）：",
        "New figures against the trend model's expectation (fitted to the history before the update; 95% "
        "predictive interval):",
    ),
    "outside_warning": (
        "{n} 个新数据超出趋势模型的 95% 预测区间：请核对数值和单位（约二十分之一的数据会偶然落在区间外）",
        "{n} new figure(s) outside the trend model's 95% predictive interval: check the value and its unit (about "
        "one figure in twenty falls outside by chance)",
    ),
    "moves_heading": (
        "{scenario}：各目标达标概率的变化（上次运行：{folder}，{date}）",
        "{scenario}: each target's P(met) since its last run ({folder}, {date})",
    ),
    "moves_note": (
        "（达标概率 ± 蒙特卡洛误差；变化的误差为两次误差的平方和开方）",
        "(P(met) ± Monte Carlo error; the change's error combines both runs' errors)",
    ),
    "no_past_runs": (
        "{root} 下没有情景运行记录：没有可比较的达标概率",
        "no scenario runs under {root}: no probabilities to compare",
    ),
    "run_skipped": ("{scenario}：未重新拟合（{reason}）", "{scenario}: not refitted ({reason})"),
    "other_data": (
        "上次运行使用的数据与更新前的工作数据不同（数据哈希 {old}），变化也包含数据来源的差异",
        "the last run used other data than the working history before the update (data hash {old}); the change "
        "includes that difference",
    ),
    "scenario_changed": ("情景文件在上次运行后有改动", "the scenario file changed since the last run"),
    "history_written": ("已写入工作数据：{path}（{n} 条数据）", "wrote the working history: {path} ({n} figures)"),
    "nothing_new": ("没有新数据或修订：{path} 未改动", "nothing new or revised: {path} unchanged"),
    "dry_run": ("--dry-run：未写入任何文件，未重新拟合", "--dry-run: nothing written, nothing refitted"),
    "col_region": ("地区", "region"),
    "col_indicator": ("指标", "indicator"),
    "col_year": ("年份", "year"),
    "col_series": ("口径", "series"),
    "col_row": ("行", "row"),
    "col_old": ("旧值", "old"),
    "col_new": ("新值", "new"),
    "col_figure": ("数据", "figure"),
    "col_expected": ("预期 95% 区间（中位数）", "expected 95% interval (median)"),
    "col_check": ("检查", "check"),
    "col_before": ("上次达标概率", "P(met) last run"),
    "col_after": ("现在达标概率", "P(met) now"),
    "verdict_inside": ("在预期范围内", "inside"),
    "verdict_above": ("高于预期", "ABOVE the expected range"),
    "verdict_below": ("低于预期", "BELOW the expected range"),
    "verdict_lower_bound": ("未检查：下限数据", "not checked: a lower bound"),
    "verdict_not_projected": ("未检查：趋势模型不预测此指标", "not checked: the trend model does not project it"),
    "verdict_no_earlier_figures": ("未检查：该地区此前无此指标数据", "not checked: no earlier figures of the region"),
    "verdict_before_first_figure": ("未检查：早于该地区第一个数据", "not checked: before the region's first figure"),
    "verdict_not_in_last_run": ("上次运行没有此目标", "not in the last run"),
}
"""Fixed phrase key -> (Chinese, English), with ``{placeholders}`` filled by `Labels.text`."""

REPORT_TEXT: dict[str, tuple[str, str]] = {
    "report_title": ("{name}：规划目标达成可能性报告", "{name}: how likely are the plan's targets to be met?"),
    "report_made": (
        "由 plan-forecast {version} 根据运行文件夹 {folder} 生成；运行时间 {created}（UTC）",
        "Made by plan-forecast {version} from the run folder {folder}; run at {created} (UTC)",
    ),
    "report_question": ("问题", "The question"),
    "report_question_text": (
        "根据截至 {year} 年公布的数据，{region}的 {n} 项规划目标在各自期限前实现的可能性有多大？",
        "Given the figures published up to {year}, how likely is {region} to meet each of its {n} plan targets "
        "by its deadline?",
    ),
    "report_scenario": ("情景", "The scenario"),
    "report_region": ("地区", "Region"),
    "report_targets": ("目标", "Targets"),
    "report_plan_phrase": ("规划原文：{phrase}", "the plan's words: {phrase}"),
    "report_levers": ("政策杠杆及力度", "Policy levers and their sizes"),
    "report_no_levers": ("无（未设地方政策杠杆）", "none (no local policy lever is set)"),
    "report_lever_years": ("{start}–{end}年", "{start}-{end}"),
    "report_uncertainties": ("不确定参数的范围", "Ranges of uncertain parameters"),
    "report_data_up_to": ("所用数据截至", "Data used up to"),
    "report_seed": ("随机种子", "Seed"),
    "report_models": ("模型", "Models"),
    "report_trend_model": (
        "贝叶斯趋势模型（{draws} 次抽样 × {chains} 条链，预热 {tune} 步）",
        "Bayesian trend models ({draws} draws × {chains} chains, {tune} tuning steps)",
    ),
    "report_ladder_model": (
        "企业培育梯队模型（{runs} 次模拟，每个主体代表 {scale} 家企业，参数来源：{calibration}）",
        "firm-ladder model ({runs} runs, {scale} firms per agent, rates from the {calibration})",
    ),
    "report_calibration_prior": ("先验范围", "prior ranges"),
    "report_calibration_posterior": ("校准后验", "calibration posterior"),
    "report_lights": ("结论一览", "At a glance"),
    "report_lights_rule": (
        "判定标准（按达标概率的点估计）：达标概率 ≥ {on:.1f} 为“有望达标”；{risk:.1f}–{on:.1f} 为“存在风险”；"
        "< {risk:.1f} 为“难以达标”。± 后为蒙特卡洛误差。",
        "How the lights are set (on P(met) itself): on track where P(met) ≥ {on:.1f}; at risk from {risk:.1f} to "
        "below {on:.1f}; off track below {risk:.1f}. The ± is the Monte Carlo error.",
    ),
    "light_on_track": ("有望达标", "on track"),
    "light_at_risk": ("存在风险", "at risk"),
    "light_off_track": ("难以达标", "off track"),
    "light_none": ("无概率", "no probability"),
    "report_col_light": ("判定", "light"),
    "report_col_ladder": ("达标概率（培育梯队模型）", "P(met), ladder model"),
    "report_joint": (
        "全部 {n} 项目标同时达标的概率 = {p:.2f} ± {e:.2f}（{note}）",
        "P(all {n} targets met) = {p:.2f} ± {e:.2f} ({note})",
    ),
    "report_joint_independent": (
        "各指标分别拟合，视为相互独立",
        "indicators fitted separately are treated as independent",
    ),
    "report_joint_shared": ("所有目标共用同一组轨迹", "all targets share one set of trajectories"),
    "report_fans": ("预测扇形图", "Fan charts"),
    "report_fans_note": (
        "黑点为公布数据，蓝色带为 50%/80%/95% 预测区间，红星为目标，绿色菱形为已知的实际结果。",
        "Black dots are published figures, blue bands the 50/80/95% predictive intervals, the red star the "
        "target, a green diamond the outcome where it is known.",
    ),
    "report_by_year": ("逐年达标概率", "Probability of being met by each year"),
    "report_by_year_note": (
        "每年的数值为目标在该年或之前首次实现的概率（按截至该年的同一检验计算，表格见 first_met.csv）。",
        "Each year's value is the probability that the target is reached in or before that year (the target's "
        "own test with that year as deadline; table in first_met.csv).",
    ),
    "report_by_year_axis": ("截至该年达标的概率", "P(reached in or before the year)"),
    "report_compare": ("情景比较", "Scenarios compared"),
    "report_compare_note": (
        "条形为各情景的达标概率，误差线为 ±{k} 倍蒙特卡洛误差（同一随机数，差异来自政策杠杆）。",
        "Bars are each scenario's P(met); error bars ±{k} Monte Carlo errors (common random numbers, so "
        "differences are the levers').",
    ),
    "report_col_scenario": ("情景", "scenario"),
    "report_col_diff": ("相对 {first} 的变化", "change from {first}"),
    "report_explain": ("哪些政策杠杆起作用", "Which levers move the probability"),
    "report_explain_note": (
        "龙卷风图：每个因素在低、高两端时的达标概率；竖线为情景原设定下的概率。",
        "Tornado chart: P(met) with each factor at its low and high end; the vertical line is the scenario as written.",
    ),
    "report_diagnostics": ("模型诊断", "Diagnostics"),
    "report_diagnostics_rule": (
        "收敛检查：R-hat ≤ 1.01，有效样本量（ESS）≥ 400，无发散转移。未通过的拟合标为 WARNING，其概率需谨慎看待。",
        "Convergence checks: R-hat ≤ 1.01, effective sample size (ESS) ≥ 400, no divergent transition. A fit "
        "that fails them is marked WARNING; treat its probabilities with care.",
    ),
    "report_col_region": ("地区", "region"),
    "report_col_indicator": ("指标", "indicator"),
    "report_col_data_up_to": ("数据截至", "data up to"),
    "report_col_divergences": ("发散转移数", "divergences"),
    "report_col_status": ("状态", "status"),
    "report_warnings": ("警告", "Warnings"),
    "report_no_warnings": ("所有拟合均通过收敛检查。", "Every fit passed its convergence checks."),
    "report_calibration": ("培育梯队模型校准（{region}）：{status}", "Ladder calibration ({region}): {status}"),
    "report_backtest": ("回测记录", "Backtest record"),
    "report_backtest_note": (
        "从过去的起点年份预测之后各年，与公布数据比较：区间覆盖率（名义 50%/80%/95%）、CRPS 与 Brier 分数（越低越好），"
        "并与朴素基准比较。",
        "Forecasts from past origins scored against the figures published later: interval coverage (nominal "
        "50/80/95%), CRPS and Brier score (lower is better), beside naive baselines.",
    ),
    "report_col_method": ("方法", "method"),
    "report_col_points": ("数据点", "points"),
    "report_col_origin": ("起点", "origin"),
    "report_all_origins": ("全部起点", "all origins"),
    "report_not_run": ("本文件夹中没有{what}结果。获得方法：运行", "No {what} in this folder. To add it, run"),
    "report_then": ("，然后再运行", ", then"),
    "report_what_compare": ("情景比较", "scenario comparison"),
    "report_what_explain": ("杠杆分析", "lever analysis"),
    "report_what_backtest": ("回测", "backtest"),
    "report_sources": ("数据来源", "Data sources"),
    "report_sources_note": (
        "拟合所用的目标地区 {n} 个公布数据（figures.csv），按来源汇总；分层拟合还借用上级地区的数据（见下方说明）：",
        "The {n} published figures of the targets' regions the fits used (figures.csv), by source; pooled fits also "
        "draw on their parent region's figures (see the notes below):",
    ),
    "report_all_data": ("全部", "all"),
    "report_col_years": ("年份", "years"),
    "report_col_figures": ("数据个数", "figures"),
    "report_col_source": ("来源", "source"),
    "report_no_sources": (
        "本文件夹未记录所用数据（早期版本的运行）；数据来源见 data/history.csv 的 source 列。",
        "This folder does not list the figures used (a run from an earlier version); see the source column of "
        "data/history.csv.",
    ),
    "report_assumptions": ("假设与说明", "Assumptions and notes"),
    "report_assumption_trend": (
        "趋势模型把各指标按对数（比例指标按 logit）尺度的随机游走加漂移（及其阻尼变体）拟合，多个变体按 LOO 权重叠加；"
        "数据少的地区向上级地区借用增长率（分层模型）。",
        "The trend models fit each indicator on the log scale (shares on the logit scale) as a random walk with "
        "drift and its damped variants, stacked by LOO weights; regions with few figures borrow growth from "
        "their parent region (a hierarchical model).",
    ),
    "report_assumption_probability": (
        "达标概率为模型认为合理的轨迹中在期限达到目标的比例；它只和模型的回测记录一样可信。",
        "P(met) is the share of the trajectories the model finds plausible that reach the target by the "
        "deadline; it is only as good as the model's backtest record.",
    ),
    "report_assumption_ladder": (
        "培育梯队模型模拟企业在初创、科技型中小企业、后备库、高新技术企业之间的流动；政策杠杆通过企业申请、通过和退出的概率起作用。",
        "The ladder model simulates firms moving between startup, tech SME, reserve pool and certified "
        "high-tech enterprise; levers act through the firms' probabilities of applying, passing and leaving.",
    ),
    "report_assumption_lights": (
        "红绿灯阈值（{on:.1f} 与 {risk:.1f}）是阅读辅助，不属于模型。",
        "The traffic-light cut-offs ({on:.1f} and {risk:.1f}) are a reading aid, not part of the model.",
    ),
    "report_notes": ("运行记录的说明", "Notes the run recorded"),
    "report_provenance": ("复现信息", "To reproduce"),
    "report_command": ("命令", "command"),
    "report_hashes": ("输入文件 SHA-256", "input SHA-256"),
    "report_versions": ("软件版本", "versions"),
    "report_more_parts": ("本报告还包括：{folders}", "This report also includes: {folders}"),
}
"""The HTML report's fixed phrases (`forecast.report.html`), looked up through `Labels.text` like the others."""
TEXT.update(REPORT_TEXT)

SERIES: dict[str, tuple[str, str]] = {
    "main": ("主口径", "main"),
    "revised": ("修订口径", "revised"),
    "early_yearbook": ("早期年鉴口径", "early yearbook"),
    "national_registry": ("全国登记口径", "national registry"),
}
"""Statistical series key (``series`` of the history) -> (Chinese, English)."""

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
NO_FIGURES = re.compile(r"^no figures for (?P<indicator>\S+) in (?P<region>\S+) up to (?P<until>\S+)$")
"""The reason `forecast.trend.pipeline` gives for a target without a fit."""

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
    factors: Mapping[str, str] = field(default_factory=dict)
    factor_units: Mapping[str, str] = field(default_factory=dict)

    @property
    def zh(self) -> bool:
        return self.lang == "zh"

    def text(self, key: str, **values) -> str:
        zh, en = TEXT[key]
        return (zh if self.zh else en).format(**values)

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
        name = self.text(f"stage_{stage}") if f"stage_{stage}" in TEXT else _readable(stage)
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
