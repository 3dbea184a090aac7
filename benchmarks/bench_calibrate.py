"""Benchmark: `forecast calibrate --region langfang` as it was and as it is, side by side in one run.

Each side fits Langfang pooled with Hebei (seed 1, the default sampler settings of its own
code) twice, each time in a fresh process: first with an empty PyTensor compile cache (a first
run on a new machine), then with the cache that first fit filled (every later run, as a planner
meets it). The sides run one after the other:

* old: the calibration of an earlier commit (``--baseline``, default main before the log density
  was compiled once: the mode search compiled its own log density and gradient, and the profiles,
  corrections and figures were constants of the graph, so the sampler compiled another); its
  ``models``, ``forecast``, ``data`` and ``scenarios`` taken out of git into a temporary folder;
* new: this tree's (the profiles, corrections and figures are shared inputs of the compiled graph,
  and the mode search uses the function NUTS compiles: `models.ladder.calibration.pilot_point`).

Printed per side and state: wall time of the whole fit (pilot, compile, sampling), the CPU time of the
fit's processes (the chains' included), the pilot's share where the code records it, the
sampler settings, divergences, the smallest bulk and tail ESS and the largest R-hat; then, for
the new side, each rate's posterior 80% width as a share of its prior's (which rates the figures
identify). The first line gives the load average before, the last after: the 2 cores are shared,
so wall times are those of a busy machine when it is high, and CPU times are the fairer comparison.

    python benchmarks/bench_calibrate.py [--baseline REV] [--skip-old]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

from old_code import extract  # benchmarks/old_code.py (this script's folder is on sys.path)

ROOT = Path(__file__).resolve().parents[1]
BASELINE = "47e1fd9"
"""main before the log density was compiled once (calibration version 15). (2ba143b: before the pilot was measured
again at the mode; ae69311: before the compiled mean-field, recursion in numpy.)"""
_FIT = """
import json, time
import numpy as np
from forecast.inputs.bundle import load_inputs
from forecast.ladder import calibration as fc
from models.ladder import calibration as cal
from models.ladder.params import PARAM_RANGES

def main():
    inputs = load_inputs()
    extra = {"policies": inputs.policies} if getattr(inputs, "policies", None) is not None else {}
    t0 = time.perf_counter()
    idata = fc.calibrate_region("langfang", inputs.history, parent="hebei", seed=1, **extra)
    wall = time.perf_counter() - t0
    rates = idata.posterior["rates"].sel(region="langfang")
    widths = {}
    for name in rates["param"].values:
        low, high = np.quantile(rates.sel(param=name).values, [0.1, 0.9])
        prior = PARAM_RANGES[str(name)]
        widths[str(name)] = float((high - low) / (0.8 * (prior[1] - prior[0])))
    print(json.dumps({
        "wall": wall,
        "timings": json.loads(idata.attrs.get("timings", "{}")),
        "diagnostics": json.loads(idata.attrs["diagnostics"]),
        "sampler": json.loads(idata.attrs["sampler"]),
        "pilot": idata.attrs.get("pilot", "mesa"),
        "widths": widths,
        "code": cal.__file__,
    }))

if __name__ == "__main__":
    main()
"""


def old_tree(revision: str, folder: Path) -> Path | None:
    """The packages of `revision` unpacked under `folder`, bundled data linked as the installed package has it."""
    failed = extract(revision, folder, ("models", "forecast", "data", "scenarios"))
    if failed:
        print(f"old side skipped: {failed}")
        return None
    (folder / "forecast" / "bundled_data").symlink_to(folder / "data")
    (folder / "forecast" / "bundled_scenarios").symlink_to(folder / "scenarios")
    return folder


def fit(code_root: Path, compiledir: str) -> dict:
    """One calibration in a fresh Python whose packages are those under `code_root`, with the compile cache
    `compiledir` (empty: a first run on a new machine; filled by an earlier fit: every later run)."""
    env = os.environ | {"PYTHONPATH": str(code_root), "PYTENSOR_FLAGS": f"base_compiledir={compiledir}"}
    script = Path(compiledir) / "fit.py"
    script.write_text(_FIT, encoding="utf-8")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run([sys.executable, str(script)], env=env, cwd=code_root, capture_output=True, text=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"fit under {code_root} failed:\n{done.stderr[-3000:]}")
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return {**json.loads(done.stdout.strip().splitlines()[-1]), "cpu": cpu}


def cold_and_warm(code_root: Path, label: str) -> dict:
    """`fit` with an empty compile cache, then again with the cache the first filled; each printed as it ends."""
    out = {}
    with tempfile.TemporaryDirectory() as compiledir:
        for state in ("cold", "warm"):
            out[state] = fit(code_root, compiledir)
            print(describe(f"{label} {state}", out[state]), flush=True)
    return out


def describe(label: str, result: dict) -> str:
    d, s, t = result["diagnostics"], result["sampler"], result["timings"]
    pilot = f", pilot {t['pilot']:.1f} s" if "pilot" in t else ""
    return (
        f"{label:8} {result['wall']:7.1f} s wall, {result['cpu']:6.1f} s CPU{pilot} ({result['pilot']} pilot; "
        f"{s['draws']} draws + {s['tune']} tune x {s['chains']} chains)  divergences {d['divergences']}  "
        f"min ESS bulk {d['ess_bulk_min']:.0f} "
        f"tail {d['ess_tail_min']:.0f}  max R-hat {d['r_hat_max']:.3f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", default=BASELINE, help="git revision of the old calibration")
    parser.add_argument("--skip-old", action="store_true", help="time only this tree's calibration")
    args = parser.parse_args()
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(
        f"forecast calibrate --region langfang (pooled with hebei, seed 1), {os.cpu_count()} cores, load average {load}"
    )
    results = {}
    with tempfile.TemporaryDirectory() as folder:
        old = None if args.skip_old else old_tree(args.baseline, Path(folder))
        if old is not None:
            results["old"] = cold_and_warm(old, "old")
    results["new"] = cold_and_warm(ROOT, "new")
    if "old" in results:
        for state in ("cold", "warm"):
            old, new = results["old"][state], results["new"][state]
            ratio = f"{old['wall'] / new['wall']:.1f}x faster (wall), {old['cpu'] / new['cpu']:.1f}x (CPU)"
            print(f"new / old, {state}: {ratio}")
    print(f"load average after: {', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    print("\nposterior 80% width / prior 80% width, Langfang (1 = the figures say nothing; small = identified):")
    for name, width in results["new"]["warm"]["widths"].items():
        print(f"  {name:28} {width:5.2f}")


if __name__ == "__main__":
    main()
