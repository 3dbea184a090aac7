"""What `forecast calibrate` checks, prints and writes.

Files, written into a temporary folder beside the output folder and moved into place at
the end (all or nothing):

* ``posterior.nc``: the ArviZ InferenceData (posterior, sample stats, observed data;
  attrs hold the window, data hash, seed, diagnostics and notes);
* ``summary.csv``: per parameter: posterior mean, sd, 94% HDI, R-hat, bulk and tail
  ESS (`arviz.summary`), and the prior range (`PARAM_RANGES`) it was drawn from;
* ``ppc.png``: the posterior predictive check (`calibration_charts.plot_calibration_check`);
* ``manifest.json``: command, seed, input hashes, package versions, sampler settings,
  convergence diagnostics, predictive-check settings and notes.
"""

from __future__ import annotations

from pathlib import Path

import arviz as az
import matplotlib.pyplot as plt
import pandas as pd

from forecast.ladder.calibration import PredictiveCheck, region_figures
from forecast.report.calibration_charts import plot_calibration_check
from forecast.report.files import provenance, staged_output, write_manifest
from forecast.report.labels import ENGLISH, Labels
from models.ladder import calibration as cal
from models.ladder.params import PARAM_RANGES

HISTORY_SHOWN = 5
"""Years before the window whose figures the check chart still shows (grey, unused)."""


def summary_table(idata: az.InferenceData) -> pd.DataFrame:
    """az.summary of the rates and noise scales, one row per (region, parameter), with prior ranges."""
    summary = az.summary(idata, var_names=["rates", "sigma"], hdi_prob=0.94)
    rows = []
    for name, values in summary.iterrows():
        inside = name[name.index("[") + 1 : -1].split(", ")
        region, parameter = (inside[0], inside[1]) if name.startswith("rates") else ("all", f"sigma_{inside[0]}")
        low, high = PARAM_RANGES.get(parameter, (float("nan"), float("nan")))
        rows.append(
            {"region": region, "parameter": parameter, **values.to_dict(), "prior_low": low, "prior_high": high}
        )
    return pd.DataFrame(rows)


def format_summary(table: pd.DataFrame, region: str, status: str) -> str:
    """The region's rows and the noise scales as text, with the convergence status."""
    shown = table[table["region"].isin([region, "all"])]
    columns = [
        "parameter",
        "mean",
        "sd",
        "hdi_3%",
        "hdi_97%",
        "r_hat",
        "ess_bulk",
        "ess_tail",
        "prior_low",
        "prior_high",
    ]
    text = shown[columns].to_string(index=False, float_format=lambda v: f"{v:.3g}")
    return f"{text}\n\nconvergence: {status}"


def check_chart(
    check: PredictiveCheck, idata: az.InferenceData, history: pd.DataFrame, labels: Labels = ENGLISH
) -> plt.Figure:
    """The predictive check drawn over the region's published figures (from `HISTORY_SHOWN` years before the window)."""
    figures = region_figures(history, check.region)
    figures = figures[figures["year"] >= check.start_year - HISTORY_SHOWN]
    status = cal.attrs_json(idata, "diagnostics")["status"]
    return plot_calibration_check(
        figures,
        check.abm,
        check.meanfield,
        start_year=check.start_year,
        status=status,
        title=labels.text(
            "calibration_title", region=labels.region(check.region), runs=check.runs, scale=check.firm_scale
        ),
        labels=labels,
    )


def manifest(idata: az.InferenceData, *, command: str, inputs: dict[str, str], check: PredictiveCheck) -> dict:
    """Everything needed to reproduce the calibration (`forecast.report.files.provenance` plus the fit's and
    the check's settings)."""
    attrs = idata.attrs
    return {
        **provenance(command=command, seed=int(attrs["seed"]), inputs={**inputs, "rows_used": attrs["data_sha256"]}),
        "region": attrs["region"],
        "regions_fitted": cal.attrs_json(idata, "regions"),
        "windows": cal.attrs_json(idata, "windows"),
        "stage_counts": cal.attrs_json(idata, "stage_counts"),
        "calibration_version": attrs["calibration_version"],
        "sampler": cal.attrs_json(idata, "sampler"),
        "sampled_parameters": list(cal.SAMPLED),
        "diagnostics": cal.attrs_json(idata, "diagnostics"),
        "predictive_check": check.settings(),
        "notes": cal.attrs_json(idata, "notes"),
    }


def write_calibration(
    out_dir: Path, idata: az.InferenceData, table: pd.DataFrame, figure: plt.Figure, meta: dict
) -> list[Path]:
    """posterior.nc, summary.csv, ppc.png and manifest.json into `out_dir`, all or nothing."""
    try:
        with staged_output(out_dir) as staging:
            idata.to_netcdf(staging / "posterior.nc")
            table.to_csv(staging / "summary.csv", index=False)
            figure.savefig(staging / "ppc.png", dpi=110)
            write_manifest(staging, meta)
    finally:
        plt.close(figure)
    return sorted(Path(out_dir).iterdir())
