"""The report's evidence sections: scenarios compared, the lever tornado, diagnostics, the backtest
record, the data sources and the notes the run recorded (the page itself is put together in
`forecast.report.report_sections`, whose `Context` every function here takes).

A section whose command did not run in the folder says so, with the command that adds it.
"""

from __future__ import annotations

import pandas as pd

from forecast.probability import traffic_light
from forecast.report.html import Markup, image, join, section, table, tag
from forecast.report.labels import lever_name
from forecast.report.report_charts import ERROR_BAR_WIDTH, figure_bytes, plot_compare_bars

DIAGNOSTIC_COLUMNS = ("r_hat_max", "ess_bulk_min", "ess_tail_min", "divergences")


def float_or_nan(value) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return float("nan")


def probability(p: float, error: float) -> str:
    return "-" if pd.isna(p) else f"{p:.2f} ± {error:.2f}"


def change(difference: float, error: float) -> str:
    return "-" if pd.isna(difference) else f"{difference:+.2f} ± {error:.2f}"


def compared_title(ctx, part, key) -> str:
    """A compared scenario's title in the report's language, as the compare manifest keeps it (its key where the
    manifest has none: a run of an earlier version)."""
    scenarios = part.manifest.get("scenarios")
    entry = scenarios.get(key) if isinstance(scenarios, dict) else None
    title = entry.get("title") if isinstance(entry, dict) else None
    return (ctx.labels.scenario(title) if isinstance(title, dict) else "") or str(key)


def question_title(ctx, part) -> str:
    """The title of the scenario a part's run asked about (its manifest's question), '' where it kept none."""
    question = part.manifest.get("question")
    title = question.get("title") if isinstance(question, dict) else None
    return ctx.labels.scenario(title) if isinstance(title, dict) else ""


def light_badge(ctx, p: float) -> Markup:
    """The traffic light of P(met) as the page shows it (two decimals), so the light and the number agree."""
    light = traffic_light(round(p, 2) if pd.notna(p) else p)
    return tag("span", ctx.labels.text(f"light_{light or 'none'}"), cls=f"light {light or 'no_light'}")


def not_run(ctx, what: str, command: str) -> Markup:
    """A note that the folder holds no such output, and the command that adds it."""
    words = ctx.labels
    return tag(
        "p",
        words.text("report_not_run", what=words.text(f"report_what_{what}")),
        " ",
        tag("code", command),
        words.text("report_then"),
        " ",
        tag("code", f"forecast report {ctx.folder.folder}"),
        cls="note",
    )


def lights_elsewhere(ctx) -> Markup:
    """Traffic lights from a compare or explain folder (no trend results table): per target and scenario."""
    words, rows = ctx.labels, []
    for part in ctx.folder.of_kind("compare"):
        for r in part.table("compare.csv").to_dict("records"):
            p = float_or_nan(r.get("p_met"))
            error = float_or_nan(r.get("p_met_mc_error"))
            shown = compared_title(ctx, part, r.get("scenario"))
            rows.append([light_badge(ctx, p), ctx.name(str(r["target_id"])), shown, probability(p, error)])
    for part in ctx.folder.of_kind("explain"):
        sweep = part.table("explain.csv")
        for r in sweep[sweep["kind"] == "scenario"].to_dict("records"):
            p, error = float_or_nan(r.get("p_met")), float_or_nan(r.get("p_met_mc_error"))
            target, shown = ctx.name(str(part.manifest.get("target", ""))), question_title(ctx, part)
            rows.append([light_badge(ctx, p), target, shown or scenario_of(part), probability(p, error)])
    headers = [words.text(k) for k in ("report_col_light", "col_target", "col_scenario", "col_p_met")]
    return table(headers, rows, numeric=[3]) if rows else ""


def scenario_of(part) -> str:
    ladder = part.manifest.get("ladder")
    return str(ladder.get("scenario", "")) if isinstance(ladder, dict) else ""


def optional_section(ctx, kind: str, command: str, blocks) -> Markup:
    """The section of a command's output (`kind`): `blocks(parts, title)` where the folder has it, else a note
    with the `command` that adds it."""
    parts, title = ctx.folder.of_kind(kind), ctx.labels.text(f"report_{kind}")
    if not parts:
        return section(kind, title, not_run(ctx, kind, command))
    return section(kind, title, *blocks(parts, title))


def compare_section(ctx) -> Markup:
    command = f"forecast compare A.yaml B.yaml --out {ctx.folder.folder / 'compare'}"
    return optional_section(ctx, "compare", command, lambda parts, title: compare_blocks(ctx, parts, title))


def compare_blocks(ctx, parts, title: str) -> list[Markup]:
    words = ctx.labels
    blocks = [tag("p", words.text("report_compare_note", k=f"{ERROR_BAR_WIDTH:g}"), cls="note")]
    for part in parts:
        frame = part.table("compare.csv")
        frame = frame.assign(scenario=[compared_title(ctx, part, k) for k in frame["scenario"]])
        names = {t: ctx.name(t, d) for t, d in zip(frame["target_id"], frame["target"], strict=True)}
        chart = figure_bytes(plot_compare_bars(frame, names, labels=words))
        diff = next((c for c in frame.columns if c.startswith("diff_vs_")), None)
        first = compared_title(ctx, part, diff.removeprefix("diff_vs_")) if diff else ""
        headers = [words.text("col_target"), words.text("col_scenario"), words.text("col_p_met")]
        headers += [words.text("report_col_diff", first=first)] if diff else []
        rows = [
            [
                names[r["target_id"]],
                r["scenario"],
                probability(float_or_nan(r["p_met"]), float_or_nan(r["p_met_mc_error"])),
                *(
                    [change(float_or_nan(r[diff]), float_or_nan(r["diff_mc_error"])) if r["scenario"] != first else "-"]
                    if diff
                    else []
                ),
            ]
            for r in frame.to_dict("records")
        ]
        blocks += [image(chart, title), table(headers, rows, numeric=[2, 3])]
    return blocks


def explain_section(ctx) -> Markup:
    command = f"forecast explain SCENARIO.yaml --out {ctx.folder.folder / 'explain'}"
    return optional_section(ctx, "explain", command, lambda parts, title: explain_blocks(ctx, parts, title))


def explain_blocks(ctx, parts, title: str) -> list[Markup]:
    words = ctx.labels
    blocks = [tag("p", words.text("report_explain_note"), cls="note")]
    for part in parts:
        if "tornado.png" in part.images:
            blocks.append(image(part.images["tornado.png"], title))
        sweep = part.table("explain.csv")
        headers = [words.text(k) for k in ("col_factor", "col_setting", "col_value", "col_p_met", "col_change")]
        rows = [
            [
                lever_name(words, str(r["factor"])),
                r["setting"],
                "-" if pd.isna(r["value"]) else f"{r['value']:.3g}",
                probability(float_or_nan(r["p_met"]), float_or_nan(r["p_met_mc_error"])),
                "-"
                if r["kind"] == "scenario"
                else change(float_or_nan(r["change"]), float_or_nan(r["change_mc_error"])),
            ]
            for r in sweep.to_dict("records")
        ]
        blocks.append(table(headers, rows, numeric=[2, 3, 4]))
        search = part.manifest.get("inverse_search")
        if isinstance(search, dict) and search.get("message"):
            blocks.append(tag("p", search["message"]))
    return blocks


def diagnostics_section(ctx) -> Markup:
    words = ctx.labels
    headers = [words.text(k) for k in ("col_region", "col_indicator", "col_data_up_to")]
    headers += [
        "R-hat",
        "ESS (bulk)",
        "ESS (tail)",
        words.text("report_col_divergences"),
        words.text("report_col_status"),
    ]
    rows, warnings = [], []
    for part in ctx.folder.of_kind("run"):
        for fit in part.manifest.get("fits", []) if isinstance(part.manifest.get("fits"), list) else []:
            diag = fit.get("diagnostics", {}) if isinstance(fit, dict) else {}
            row = [
                words.region(str(fit.get("region", ""))),
                words.indicator(str(fit.get("indicator", ""))),
                fit.get("data_up_to") or words.text("report_all_data"),
                *(_diagnostic(diag.get(c)) for c in DIAGNOSTIC_COLUMNS),
                diag.get("status", "-"),
            ]
            rows.append(row)
            if diag.get("status", "ok") != "ok":
                warnings.append(f"{row[0]}, {row[1]}: {diag['status']}")
    blocks = [table(headers, rows, numeric=[2, 3, 4, 5, 6])] if rows else []
    blocks += calibration_blocks(ctx, warnings)
    status = (
        tag("ul", join(tag("li", w, cls="warning") for w in warnings))
        if warnings
        else tag("p", words.text("report_no_warnings"))
    )
    rule = tag("p", words.text("report_diagnostics_rule"), cls="note")
    return section(
        "diagnostics", words.text("report_diagnostics"), rule, *blocks, tag("h3", words.text("report_warnings")), status
    )


def calibration_blocks(ctx, warnings: list[str]) -> list[Markup]:
    """Each calibration folder's convergence and its predictive check chart."""
    blocks = []
    for part in ctx.folder.of_kind("calibrate"):
        diag = part.manifest.get("diagnostics") if isinstance(part.manifest.get("diagnostics"), dict) else {}
        region = ctx.labels.region(str(part.manifest.get("region", "")))
        status = str(diag.get("status", "-"))
        blocks.append(tag("h3", ctx.labels.text("report_calibration", region=region, status=status)))
        if status not in ("ok", "-"):
            warnings.append(f"{region}: {status}")
        if "ppc.png" in part.images:
            blocks.append(image(part.images["ppc.png"], region))
    return blocks


def _diagnostic(value) -> str:
    number = float_or_nan(value)
    if pd.isna(number):
        return "-"
    return f"{number:.3f}" if abs(number) < 10 and not float(number).is_integer() else f"{number:,.0f}"


def backtest_section(ctx) -> Markup:
    region = ctx.question.get("region", "REGION")
    command = f"forecast backtest --origin 2015 --origin 2018 --region {region} --out {ctx.folder.folder / 'backtest'}"
    return optional_section(ctx, "backtest", command, lambda parts, title: backtest_blocks(ctx, parts, title))


def backtest_blocks(ctx, parts, title: str) -> list[Markup]:
    words = ctx.labels
    blocks = [tag("p", words.text("report_backtest_note"), cls="note")]
    for part in parts:
        scores = part.table("scores.csv")
        headers = [words.text("col_origin"), words.text("col_method")]
        headers += [words.text("col_cov", level=p) for p in (50, 80, 95)]
        headers += [words.text(k) for k in ("col_crps", "col_brier", "col_points_scored")]
        rows = [
            [
                words.text("all_origins") if str(r["origin"]) == "all" else r["origin"],
                words.method(str(r["method"])),
                *(f"{float_or_nan(r[f'coverage_{c}']):.2f}" for c in (50, 80, 95)),
                f"{float_or_nan(r['crps']):.3f}",
                f"{float_or_nan(r['brier']):.3f}",
                r["points"],
            ]
            for r in scores.to_dict("records")
        ]
        blocks.append(table(headers, rows, numeric=range(2, 8)))
        if "reliability.png" in part.images:
            blocks.append(image(part.images["reliability.png"], title))
    return blocks


def sources_section(ctx) -> Markup:
    words = ctx.labels
    runs = [p for p in ctx.folder.of_kind("run") if p.table("figures.csv") is not None]
    if not runs:
        return section("sources", words.text("report_sources"), tag("p", words.text("report_no_sources"), cls="note"))
    figures = runs[0].table("figures.csv")
    if "source" not in figures.columns:
        figures = figures.assign(source="-")
    grouped = figures.fillna({"source": "-"}).groupby(["source", "region", "indicator"], sort=True)["year"]
    rows = [
        [source, words.region(str(region)), words.indicator(str(indicator)), _years(years), len(years)]
        for (source, region, indicator), years in grouped
    ]
    headers = [words.text(k) for k in ("report_col_source", "col_region", "col_indicator")]
    headers += [words.text("report_col_years"), words.text("report_col_figures")]
    note = tag("p", words.text("report_sources_note", n=len(figures)), cls="note")
    return section("sources", words.text("report_sources"), note, table(headers, rows, numeric=[4], wrap=[0]))


def _years(years: pd.Series) -> str:
    values = sorted({int(y) for y in pd.to_numeric(years, errors="coerce").dropna()})
    return "-" if not values else f"{values[0]}" if len(values) == 1 else f"{values[0]}–{values[-1]}"


def recorded_notes(ctx) -> list[str]:
    """The notes the folder's manifests kept (pooling, models chosen, ladder start, explain), each once."""
    notes = []
    for part in ctx.folder.parts:
        meta = part.manifest
        for fit in meta.get("fits", []) if isinstance(meta.get("fits"), list) else []:
            notes += [str(n) for n in fit.get("notes", []) if isinstance(fit, dict)] if isinstance(fit, dict) else []
        ladder = meta.get("ladder")
        if isinstance(ladder, dict) and isinstance(ladder.get("notes"), list):
            notes += [str(n) for n in ladder["notes"]]
        if meta.get("note"):
            notes.append(str(meta["note"]))
    return list(dict.fromkeys(n for n in notes if n))
