"""Benchmark and check: the mean-field recursion of an earlier commit (numpy) against this tree's (compiled),
on the same stage profiles and rates, side by side in one run.

The profiles are the calibration's own: Langfang pooled with Hebei, their windows, start states and recorded
policies (`forecast.ladder.calibration.gather_observations`), piloted by this tree's array engine (seed 1).
For each region, `--draws` rate vectors of the sampled rates (`calibration.SAMPLED`) drawn uniformly over their
prior ranges, plus the base values, go through `meanfield.meanfield_with_jacobian` of both trees (the old in a
fresh process whose packages come out of git, ``--baseline``, default main before the compiled recursion was
merged: the statutes' model, recursion in numpy). Printed per region: the largest relative difference of the
values and of the Jacobian (scaled by each column's largest entry), and the time of one value-and-Jacobian
call on each side (the calibration's sampler makes about 30,000 such calls a chain). The old tree must share
this tree's model rules for the comparison to mean anything; the check fails (exit 1) past ``--tolerance``.

    python benchmarks/bench_meanfield.py [--baseline REV] [--draws N] [--tolerance T]
"""

from __future__ import annotations

import argparse
import os
import pickle
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_calibrate import old_tree  # noqa: E402

BASELINE = "ae69311"
"""main before the compiled mean-field was merged (calibration version 6, the statutes' rules, numpy recursion)."""
_EVALUATE = """
import pickle, sys, time
from models.ladder import meanfield as mf

def main(path):
    with open(path, "rb") as f:
        cases = pickle.load(f)
    out = []
    for case in cases:
        values, seconds = [], []
        for theta in case["thetas"]:
            t0 = time.perf_counter()
            values.append(mf.meanfield_with_jacobian(case["profile"], case["names"], theta, base=case["base"],
                                                      levers=case["levers"]))
            seconds.append(time.perf_counter() - t0)
        out.append({"values": values, "seconds": seconds})
    with open(path, "wb") as f:
        pickle.dump(out, f)

main(sys.argv[1])
"""


def cases(draws: int, seed: int = 1) -> list[dict]:
    """The calibration's profiles for Langfang and Hebei, each with the base rates and `draws` prior draws."""
    from forecast.inputs.bundle import load_inputs
    from forecast.ladder import calibration as fc
    from models.ladder import calibration as cal
    from models.ladder.params import PARAM_RANGES

    inputs = load_inputs()
    observations, _ = fc.gather_observations("langfang", inputs.history, parent="hebei", policies=inputs.policies)
    data = cal.calibration_data(observations, seed=seed)
    rng = np.random.default_rng(seed)
    low, high = (np.array([PARAM_RANGES[n][i] for n in cal.SAMPLED]) for i in (0, 1))
    base = np.array([getattr(data.base, n) for n in cal.SAMPLED])
    thetas = [base] + [low + (high - low) * rng.uniform(0.02, 0.98, low.size) for _ in range(draws)]
    return [
        {"region": obs.region, "profile": profile, "names": cal.SAMPLED, "base": data.base, "levers": levers,
         "thetas": thetas}
        for obs, profile, levers in zip(data.regions, data.profiles, data.levers, strict=True)
    ]  # fmt: skip


def evaluate_here(case: dict) -> dict:
    from models.ladder import meanfield as mf

    values, seconds = [], []
    for theta in case["thetas"]:
        args = (case["profile"], case["names"], theta)
        mf.meanfield_with_jacobian(*args, base=case["base"], levers=case["levers"])  # compile outside the timing
        t0 = time.perf_counter()
        values.append(mf.meanfield_with_jacobian(*args, base=case["base"], levers=case["levers"]))
        seconds.append(time.perf_counter() - t0)
    return {"values": values, "seconds": seconds}


def evaluate_old(code_root: Path, found: list[dict]) -> list[dict]:
    with tempfile.TemporaryDirectory() as folder:
        path, script = Path(folder) / "cases.pkl", Path(folder) / "evaluate.py"
        path.write_bytes(pickle.dumps(found))
        script.write_text(_EVALUATE, encoding="utf-8")
        env = os.environ | {"PYTHONPATH": str(code_root)}
        done = subprocess.run([sys.executable, str(script), str(path)], env=env, capture_output=True, text=True)
        if done.returncode != 0:
            raise SystemExit(f"old mean-field failed:\n{done.stderr[-3000:]}")
        return pickle.loads(path.read_bytes())


def differences(old: dict, new: dict) -> tuple[float, float]:
    """Largest relative difference of the values, and of the Jacobian scaled by each column's largest entry."""
    value, jac = 0.0, 0.0
    for (v0, j0), (v1, j1) in zip(old["values"], new["values"], strict=True):
        value = max(value, float(np.max(np.abs(v1 - v0) / np.maximum(np.abs(v0), 1e-300))))
        scale = np.maximum(np.abs(j0).max(axis=0, keepdims=True), 1e-300)
        jac = max(jac, float(np.max(np.abs(j1 - j0) / scale)))
    return value, jac


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", default=BASELINE, help="git revision of the numpy recursion")
    parser.add_argument("--draws", type=int, default=20, help="rate vectors drawn from the priors per region")
    parser.add_argument("--tolerance", type=float, default=1e-12, help="largest relative difference allowed")
    args = parser.parse_args()
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"mean-field value and Jacobian, old ({args.baseline}) vs this tree; load average {load}")
    found = cases(args.draws)
    with tempfile.TemporaryDirectory() as folder:
        old_root = old_tree(args.baseline, Path(folder))
        if old_root is None:
            raise SystemExit(1)
        old = evaluate_old(old_root, found)
    worst = 0.0
    for case, before in zip(found, old, strict=True):
        now = evaluate_here(case)
        value, jac = differences(before, now)
        worst = max(worst, value, jac)
        t0, t1 = np.median(before["seconds"]) * 1e3, np.median(now["seconds"]) * 1e3
        print(
            f"{case['region']:9} {len(case['thetas'])} rate vectors  max rel. diff value {value:.1e}, Jacobian "
            f"{jac:.1e}  one call: old {t0:.2f} ms, new {t1:.2f} ms ({t0 / t1:.1f}x)"
        )
    verdict = "PASS" if worst <= args.tolerance else "FAIL"
    print(f"{verdict}: largest difference {worst:.1e} (tolerance {args.tolerance})")
    if worst > args.tolerance:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
