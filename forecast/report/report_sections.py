"""The report's sections, in the planner's language: the question, the scenario in plain words, the traffic
lights, the fan charts and the probability of being met by each year (the evidence sections, from
compare, explain, the diagnostics, the backtest and the data sources, are in
`forecast.report.report_evidence`).

Everything comes from the run folder (`forecast.inputs.run_folder.RunFolder`): the
manifest's ``question`` (kept by `forecast.report.run.scenario_question`) names the
region, targets, levers and models, and the names of what is shown in both languages.
A folder written before manifests kept the question still gets a report, with the
targets as the results table describes them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pandas as pd
from pydantic import ValidationError

from forecast.inputs.run_folder import RunFolder, RunPart
from forecast.inputs.targets import Target
from forecast.probability import TRAFFIC_LIGHTS
from forecast.report import report_evidence as evidence
from forecast.report.html import Markup, definitions, image, join, page, section, table, tag
from forecast.report.labels import Labels, lever_name, lever_unit, with_names
from forecast.report.report_charts import figure_bytes, plot_met_by_year
from forecast.report.report_evidence import float_or_nan as _float
from forecast.report.report_evidence import light_badge, probability
from forecast.report.run import figure_text

LIGHT_CUTS = dict(TRAFFIC_LIGHTS)


@dataclass(frozen=True)
class Context:
    """What every section needs: the folder, the words, the question the run asked and its targets by id."""

    folder: RunFolder
    labels: Labels
    question: Mapping = field(default_factory=dict)
    targets: Mapping[str, Target] = field(default_factory=dict)

    def name(self, target_id: str, fallback: str = "") -> str:
        target = self.targets.get(target_id)
        return self.labels.target(target) if target is not None else (fallback or target_id)

    def names(self) -> dict[str, str]:
        return {k: self.name(k) for k in self.targets}


def context(folder: RunFolder, labels: Labels) -> Context:
    """The question of the first part that kept one, its targets, and the labels with its names laid over."""
    question = folder.question
    targets = {}
    for part in folder.parts:
        entries = part.manifest.get("question", {}).get("targets", []) if part.manifest.get("question") else []
        for entry in entries if isinstance(entries, list) else []:
            try:
                target = Target.model_validate(entry)
            except ValidationError:
                continue
            targets.setdefault(target.target_id, target)
    return Context(folder, with_names(labels, question.get("names", {})), question, targets)


def build_report(folder: RunFolder, labels: Labels) -> str:
    """The report of a run folder as one HTML page, in the words of `labels`."""
    ctx = context(folder, labels)
    title = ctx.labels.text("report_title", name=scenario_title(ctx))
    body = [
        tag("h1", title),
        made_line(ctx),
        question_section(ctx),
        scenario_section(ctx),
        lights_section(ctx),
        fans_section(ctx),
        by_year_section(ctx),
        evidence.compare_section(ctx),
        evidence.explain_section(ctx),
        evidence.diagnostics_section(ctx),
        evidence.backtest_section(ctx),
        evidence.sources_section(ctx),
        assumptions_section(ctx),
        provenance_section(ctx),
    ]
    return page(title, body, labels.lang)


def scenario_title(ctx: Context) -> str:
    """The title of the scenario (or the scenarios compared) in the report's language, as the manifest keeps it;
    the name a run of an earlier version kept otherwise (`scenario_name`)."""
    main = ctx.folder.main
    if isinstance(main.manifest.get("scenarios"), dict) and main.manifest["scenarios"]:
        return " / ".join(evidence.compared_title(ctx, main, k) for k in main.manifest["scenarios"])
    return evidence.question_title(ctx, main) or scenario_name(ctx.folder)


def scenario_name(folder: RunFolder) -> str:
    meta = folder.main.manifest
    if isinstance(meta.get("scenario"), str):
        return meta["scenario"]
    if isinstance(meta.get("ladder"), dict) and isinstance(meta["ladder"].get("scenario"), str):
        return meta["ladder"]["scenario"]
    if isinstance(meta.get("scenarios"), dict) and meta["scenarios"]:
        return " / ".join(str(k) for k in meta["scenarios"])
    return str(meta.get("region") or folder.folder.name)


def made_line(ctx: Context) -> Markup:
    meta = ctx.folder.main.manifest
    versions = meta.get("versions") if isinstance(meta.get("versions"), dict) else {}
    text = ctx.labels.text(
        "report_made",
        version=versions.get("plan-forecast", "?"),
        folder=ctx.folder.folder.name,
        created=str(meta.get("created_utc", "-")).replace("T", " ").replace("+00:00", ""),
    )
    others = [p.folder.name for p in ctx.folder.parts[1:]]
    more = tag("p", ctx.labels.text("report_more_parts", folders=", ".join(others)), cls="made") if others else ""
    return join([tag("p", text, cls="made"), more])


def data_up_to(ctx: Context) -> str:
    """The latest year of data the run's fits used (the results table), else the ladder's start year."""
    for part in ctx.folder.of_kind("run"):
        years = pd.to_numeric(part.table("targets.csv").get("data_up_to"), errors="coerce").dropna()
        if len(years):
            return f"{int(years.max())}"
    for part in ctx.folder.parts:
        ladder = part.manifest.get("ladder")
        if isinstance(ladder, dict) and ladder.get("start_year") is not None:
            return str(ladder["start_year"])
    return "-"


def region_name(ctx: Context) -> str:
    region = ctx.question.get("region") or next((t.region for t in ctx.targets.values()), "")
    return ctx.labels.region(region) if region else "-"


def question_section(ctx: Context) -> Markup:
    n = len(ctx.targets) or len(results_rows(ctx))
    text = ctx.labels.text("report_question_text", year=data_up_to(ctx), region=region_name(ctx), n=n)
    return section("question", ctx.labels.text("report_question"), tag("p", text, cls="question"))


def scenario_section(ctx: Context) -> Markup:
    words, q = ctx.labels, ctx.question
    targets = tag("ul", join(tag("li", target_line(ctx, t)) for t in ctx.targets.values())) if ctx.targets else "-"
    meta = ctx.folder.main.manifest
    pairs = [
        (words.text("report_region"), region_name(ctx)),
        (words.text("report_targets"), targets),
        (words.text("report_levers"), levers_block(ctx)),
        (words.text("report_data_up_to"), data_up_to(ctx)),
        (words.text("report_seed"), meta.get("seed", "-")),
        (words.text("report_models"), models_text(ctx)),
    ]
    if q.get("uncertainties"):
        pairs.insert(3, (words.text("report_uncertainties"), uncertainties_block(ctx)))
    text = (q.get("description_zh") if words.zh else "") or q.get("description")
    description = tag("p", text) if text else ""
    return section("scenario", words.text("report_scenario"), description, definitions(pairs))


def target_line(ctx: Context, target: Target) -> Markup:
    phrase = ctx.labels.phrase(target)
    said = tag("span", " — " + ctx.labels.text("report_plan_phrase", phrase=phrase), cls="note") if phrase else ""
    inline = target.target_id not in ctx.labels.phrases  # a catalogue target's label is its (maybe garbled) phrase
    label = f" ({target.label})" if inline and target.label else ""
    return join([ctx.labels.target(target), label, said])


def levers_block(ctx: Context) -> Markup | str:
    levers = [c for c in ctx.question.get("levers", []) if isinstance(c, dict) and "lever" in c]
    if not levers:
        return ctx.labels.text("report_no_levers")
    rows = [
        (
            lever_name(ctx.labels, c["lever"]),
            f"{c.get('size'):g}" if isinstance(c.get("size"), int | float) else c.get("size"),
            lever_unit(ctx.labels, c["lever"]),
            ctx.labels.text("report_lever_years", start=c.get("start") or "…", end=c.get("end") or "…"),
        )
        for c in levers
    ]
    return table(["", "", "", ""], rows, numeric=[1])


def uncertainties_block(ctx: Context) -> Markup:
    rows = [
        (name.replace("_", " "), _number(r.get("low")), _number(r.get("high")))
        for name, r in ctx.question["uncertainties"].items()
        if isinstance(r, dict)
    ]
    return table(["", "low", "high"], rows, numeric=[1, 2])


def models_text(ctx: Context) -> Markup | str:
    models = ctx.question.get("models") or {}
    lines = []
    trend, ladder = models.get("trend"), models.get("ladder")
    if isinstance(trend, dict) and ctx.folder.of_kind("run"):
        lines.append(
            ctx.labels.text("report_trend_model", **{k: trend.get(k, "?") for k in ("draws", "chains", "tune")})
        )
    if isinstance(ladder, dict):
        calibration = ctx.labels.text(f"report_calibration_{ladder.get('calibration', 'prior')}")
        lines.append(
            ctx.labels.text(
                "report_ladder_model", runs=ladder.get("runs"), scale=ladder.get("firm_scale"), calibration=calibration
            )
        )
    return join(tag("div", line) for line in lines) if lines else "-"


def results_rows(ctx: Context) -> pd.DataFrame:
    runs = ctx.folder.of_kind("run")
    return runs[0].table("targets.csv") if runs else pd.DataFrame()


def lights_section(ctx: Context) -> Markup:
    words, rows = ctx.labels, results_rows(ctx)
    rule = words.text("report_lights_rule", on=LIGHT_CUTS["on_track"], risk=LIGHT_CUTS["at_risk"])
    if rows.empty:
        return section(
            "lights", words.text("report_lights"), tag("p", rule, cls="note"), evidence.lights_elsewhere(ctx)
        )
    ladder = "ladder_p_met" in rows.columns
    headers = [words.text(k) for k in ("report_col_light", "col_target", "col_deadline", "col_p_met", "col_median")]
    headers += [words.text("col_interval"), words.text("col_outcome"), words.text("col_diagnostics")]
    body = [light_row(ctx, r, ladder) for r in rows.to_dict("records")]
    if ladder:
        headers.append(words.text("report_col_ladder"))
    return section(
        "lights",
        words.text("report_lights"),
        tag("p", rule, cls="note"),
        table(headers, body, [2, 3, 4, 5, 8]),
        joint_line(ctx),
    )


def light_row(ctx: Context, r: dict, ladder: bool) -> list:
    p = _float(r.get("p_met"))
    low, high = _float(r.get("low_80")), _float(r.get("high_80"))
    row = [
        light_badge(ctx, p),
        ctx.name(str(r.get("target_id")), str(r.get("target", ""))),
        r.get("deadline", "-"),
        probability(p, _float(r.get("p_met_mc_error"))),
        figure_text(_float(r.get("median"))),
        f"{figure_text(low)}–{figure_text(high)}" if pd.notna(low) else "-",
        outcome_text(ctx, r),
        tag(
            "span",
            ctx.labels.status(r["diagnostics"]) if isinstance(r.get("diagnostics"), str) else "-",
            cls=None if r.get("diagnostics") == "ok" else "warning",
        ),
    ]
    if ladder:
        ladder_p = _float(r.get("ladder_p_met"))
        row.append(
            join([probability(ladder_p, _float(r.get("ladder_p_met_mc_error"))), " ", light_badge(ctx, ladder_p)])
        )
    return row


def outcome_text(ctx: Context, r: dict) -> str:
    value, met = _float(r.get("outcome")), r.get("outcome_met")
    known = None if pd.isna(met) or met == "" else str(met).lower() in ("true", "1", "1.0")
    return ctx.labels.outcome(value, known)


def joint_line(ctx: Context) -> Markup | str:
    joint = ctx.folder.of_kind("run")[0].manifest.get("joint") or {}
    if not isinstance(joint, dict) or not isinstance(joint.get("p_all_met"), int | float):
        return ""
    kind = joint.get("kind") or ("shared" if "share" in str(joint.get("note", "")) else "separate")
    key = {"shared": "joint_shared", "partly": "joint_partly"}.get(kind, "joint_separate")
    text = ctx.labels.text(
        "p_all_met",
        n=len(joint.get("targets", [])),
        p=joint["p_all_met"],
        e=joint.get("mc_error", float("nan")),
        note=ctx.labels.text(key),
    )
    return tag("p", text)


def fans_section(ctx: Context) -> Markup:
    words = ctx.labels
    figures = []
    for part in ctx.folder.parts:
        if part.kind not in ("run", "compare"):
            continue
        for name, png in part.images.items():
            if name.startswith("fan_") or name in ("ladder_stages.png", "stages.png"):
                figures.append(image(png, fan_caption(ctx, part, name), fan_caption(ctx, part, name)))
    if not figures:
        return ""
    return section("fans", words.text("report_fans"), tag("p", words.text("report_fans_note"), cls="note"), *figures)


def fan_caption(ctx: Context, part: RunPart, name: str) -> str:
    stem = name.removesuffix(".png")
    if stem in ("ladder_stages", "stages"):
        return ctx.labels.text("stages_title")
    if stem.startswith("fan_ladder_"):
        return ctx.labels.text("ladder_suffix", target=ctx.name(stem.removeprefix("fan_ladder_")))
    return ctx.name(stem.removeprefix("fan_"))


def by_year_section(ctx: Context) -> Markup:
    runs = [p for p in ctx.folder.of_kind("run") if p.table("first_met.csv") is not None]
    if not runs or runs[0].table("first_met.csv").empty:
        return ""
    frame = runs[0].table("first_met.csv")
    names = {t: ctx.name(t) for t in frame["target_id"].unique()}
    chart = figure_bytes(plot_met_by_year(frame, names, labels=ctx.labels))
    wide = frame.pivot_table(index="target_id", columns="year", values="p_met_by", sort=False).sort_index(axis=1)
    rows = [[names[t], *(f"{v:.2f}" if pd.notna(v) else "-" for v in wide.loc[t])] for t in wide.index]
    words = ctx.labels
    return section(
        "by-year",
        words.text("report_by_year"),
        tag("p", words.text("report_by_year_note"), cls="note"),
        image(chart, words.text("report_by_year")),
        table([words.text("col_target"), *map(str, wide.columns)], rows, numeric=range(1, len(wide.columns) + 1)),
    )


def trend_model(ctx: Context) -> str:
    """The trend model the run asked for (`forecast.scenario.TrendSettings.model`); 'stack' for a run of a version
    that kept none (the state-space panel was the only model then)."""
    models = ctx.question.get("models")
    trend = models.get("trend") if isinstance(models, Mapping) else None
    return str(trend.get("model", "stack")) if isinstance(trend, Mapping) else "stack"


def assumptions_section(ctx: Context) -> Markup:
    words = ctx.labels
    items = [words.text("report_assumption_probability")]
    if ctx.folder.of_kind("run"):
        items.insert(
            0,
            words.text("report_assumption_trend" if trend_model(ctx) == "common" else "report_assumption_trend_panel"),
        )
    if any(isinstance(p.manifest.get("ladder"), dict) or p.kind == "compare" for p in ctx.folder.parts):
        items.append(words.text("report_assumption_ladder"))
    items.append(words.text("report_assumption_lights", on=LIGHT_CUTS["on_track"], risk=LIGHT_CUTS["at_risk"]))
    notes = evidence.recorded_notes(ctx)
    return section(
        "assumptions",
        words.text("report_assumptions"),
        tag("ul", join(tag("li", i) for i in items)),
        join([tag("h3", words.text("report_notes")), tag("ul", join(tag("li", n) for n in notes))]) if notes else "",
    )


def provenance_section(ctx: Context) -> Markup:
    words = ctx.labels
    blocks = []
    for part in ctx.folder.parts:
        meta = part.manifest
        hashes = meta.get("input_sha256") if isinstance(meta.get("input_sha256"), dict) else {}
        versions = meta.get("versions") if isinstance(meta.get("versions"), dict) else {}
        pairs = [
            (words.text("report_command"), tag("code", meta.get("command", "-"))),
            (words.text("report_seed"), meta.get("seed", "-")),
            (words.text("report_hashes"), join(tag("div", f"{k}: {v}") for k, v in hashes.items())),
            (words.text("report_versions"), ", ".join(f"{k} {v}" for k, v in versions.items())),
        ]
        blocks.append(join([tag("h3", part.folder.name), definitions(pairs)]))
    return section("provenance", words.text("report_provenance"), *blocks)


def _number(value) -> str:
    return "-" if value is None else f"{_float(value):g}"
