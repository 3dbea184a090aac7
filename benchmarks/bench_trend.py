"""Benchmark: a planner's trend run, old model against new, side by side in one run.

For the bundled scenario (default `langfang_baseline`) it times, each in a fresh
process with its own empty posterior cache and empty PyTensor/numba compile caches (a
fresh environment):

* cold `forecast run`: compile, sample, draw paths, write the folder;
* warm `forecast run`: the same command again (saved posteriors and compiled code reused);

once with the default common-growth model (`models.common_trend`) and once with the
previous default, the three state-space variants of `models.panel` stacked by LOO
(`models.trend.model: stack`). It prints wall times, their ratio old / new, and the
divergences each run reported. With `--backtest` it also times `forecast backtest`
from the given origins with each model (the old one takes about 20 minutes).

    python benchmarks/bench_trend.py [--scenario langfang_baseline] [--backtest] [--origin 2017 --origin 2019 ...]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

from forecast.inputs.bundled import resolve_scenario

MODELS = {"new (common)": "common", "old (stack)": "stack"}
FORECAST = shutil.which("forecast") or str(Path(sys.executable).parent / "forecast")


def scenario_with_model(name: str, model: str, folder: Path) -> Path:
    spec = yaml.safe_load(resolve_scenario(Path(name)).read_text(encoding="utf-8"))
    spec.setdefault("models", {}).setdefault("trend", {})["model"] = model
    path = folder / f"{name}_{model}.yaml"
    path.write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    return path


def timed(argv: list[str], env: dict, cwd: Path) -> tuple[float, str]:
    start = time.perf_counter()
    done = subprocess.run(argv, env=env, cwd=cwd, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed:\n{done.stderr[-3000:]}")
    return wall, done.stdout + done.stderr


def divergences(output: str) -> int:
    return sum(int(n) for n in set(re.findall(r"(\d+) divergent transitions", output)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default="langfang_baseline")
    parser.add_argument("--backtest", action="store_true")
    parser.add_argument("--origin", type=int, action="append")
    args = parser.parse_args()
    origins = args.origin or [2017, 2019, 2021]
    rows = {}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for label, model in MODELS.items():
            folder = tmp / model
            folder.mkdir()
            env = {
                **os.environ,
                "PLAN_FORECAST_CACHE": str(folder / "cache"),
                "PYTENSOR_FLAGS": f"compiledir={folder / 'pytensor'}",
                "NUMBA_CACHE_DIR": str(folder / "numba"),
                "COLUMNS": "200",
            }
            scenario = scenario_with_model(args.scenario, model, folder)
            cold, out = timed([FORECAST, "run", str(scenario), "--out", str(folder / "cold")], env, folder)
            warm, _ = timed([FORECAST, "run", str(scenario), "--out", str(folder / "warm")], env, folder)
            rows[label] = {"cold run s": cold, "warm run s": warm, "divergences": divergences(out)}
            if args.backtest:
                argv = [FORECAST, "backtest", "--model", model, "--out", str(folder / "backtest")]
                argv += [part for o in origins for part in ("--origin", str(o))]
                rows[label]["backtest s"], out = timed(argv, env, folder)
                rows[label]["backtest divergences"] = divergences(out)
    columns = list(next(iter(rows.values())))
    print(f"{args.scenario}: fresh caches for each model, {os.cpu_count()} cores")
    print(f"{'':16}" + "".join(f"{c:>22}" for c in columns))
    for label, row in rows.items():
        print(f"{label:16}" + "".join(f"{row[c]:>22.1f}" if c.endswith(" s") else f"{row[c]:>22d}" for c in columns))
    old, new = rows["old (stack)"], rows["new (common)"]
    ratios = "".join(f"{old[c] / new[c]:>21.1f}x" if c.endswith(" s") else f"{'':>22}" for c in columns)
    print(f"{'old / new':16}" + ratios)


if __name__ == "__main__":
    main()
