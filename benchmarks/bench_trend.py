"""Benchmark: a planner's trend run, old code against new, side by side in one run.

Old is an earlier commit (``--old REV``, default the last commit of main before the speed
work: ``git merge-base HEAD main``), new is ``--new REV`` (default HEAD: commit what you
want measured); each one's ``forecast`` and ``models`` packages are taken out of git into
a temporary folder and run with this environment's libraries.
For the bundled scenario (default `langfang_baseline`, with its own trend model, or
``--model``) each is timed, in fresh processes with its own empty posterior cache and
empty PyTensor/numba compile caches (a fresh environment):

* cold `forecast run`: compile, sample, draw paths, write the folder;
* warm `forecast run`: the same command again (saved posteriors, forecasts and compiled
  code reused);
* with ``--backtest``, `forecast backtest` from the given origins (default 2017, 2019,
  2021; about 15 panel fits), after the runs (compiled code reused).

It prints wall times and CPU times (the command and its workers, user + system), the
ratio old / new, the divergences each run reported, and the load average before and
after (other work on the machine slows both sides, wall times most; the two run one
after the other, old first).

    python benchmarks/bench_trend.py [--scenario langfang_baseline] [--model common] [--old REV]
                                     [--backtest] [--origin 2017 --origin 2019 ...]
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml
from old_code import extract  # benchmarks/old_code.py (this script's folder is on sys.path)

from forecast.inputs.bundled import resolve_scenario

ROOT = Path(__file__).resolve().parents[1]
CLI = "import sys; sys.argv[0] = 'forecast'; from forecast.cli import app; app()"
"""The `forecast` command, run by this interpreter: the old tree wins on PYTHONPATH."""


def code_tree(rev: str, folder: Path) -> Path:
    """The `forecast` and `models` packages of commit `rev`, extracted into `folder`."""
    failed = extract(rev, folder, ("forecast", "models"))
    if failed:
        raise SystemExit(failed)
    return folder


def scenario_file(name: str, model: str | None, folder: Path) -> Path:
    spec = yaml.safe_load(resolve_scenario(Path(name)).read_text(encoding="utf-8"))
    spec.pop("name_zh", None)  # a title only, and older trees do not know the key
    if model:
        spec.setdefault("models", {}).setdefault("trend", {})["model"] = model
    path = folder / f"{name}.yaml"
    path.write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    return path


def timed(args: list[str], env: dict, cwd: Path) -> tuple[float, float, str]:
    """Wall time, CPU time (the command and its worker processes, user + system) and output of one command."""
    before, start = resource.getrusage(resource.RUSAGE_CHILDREN), time.perf_counter()
    done = subprocess.run([sys.executable, "-c", CLI, *args], env=env, cwd=cwd, capture_output=True, text=True)
    wall, after = time.perf_counter() - start, resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"forecast {' '.join(args)} failed:\n{done.stderr[-3000:]}")
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return wall, cpu, done.stdout + done.stderr


def divergences(output: str) -> int:
    return sum(int(n) for n in set(re.findall(r"(\d+) divergent transitions", output)))


def measure(code: Path, scenario: Path, folder: Path, origins: list[int] | None) -> dict:
    """Cold and warm runs (and the backtest) of the code in `code` in a fresh environment."""
    env = {
        **os.environ,
        "PLAN_FORECAST_CACHE": str(folder / "cache"),
        "PYTENSOR_FLAGS": f"compiledir={folder / 'compiled-pytensor'}",
        "NUMBA_CACHE_DIR": str(folder / "compiled-numba"),
        "COLUMNS": "200",
    }
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(code), os.environ.get("PYTHONPATH")]))
    work = folder / "work"  # the commands' working folder: `python -c` puts it first on sys.path
    work.mkdir()
    cold, cold_cpu, out = timed(["run", str(scenario), "--out", str(folder / "cold")], env, work)
    warm, warm_cpu, _ = timed(["run", str(scenario), "--out", str(folder / "warm")], env, work)
    row = {"cold run s": cold, "cold CPU s": cold_cpu, "warm run s": warm, "warm CPU s": warm_cpu}
    row["divergences"] = divergences(out)
    if origins:
        args = ["backtest", "--out", str(folder / "backtest"), *[a for o in origins for a in ("--origin", str(o))]]
        row["backtest s"], row["backtest CPU s"], out = timed(args, env, work)
        row["backtest divergences"] = divergences(out)
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default="langfang_baseline")
    parser.add_argument("--model", help="trend model for the run (default: the scenario's)")
    parser.add_argument("--old", help="commit to compare with (default: git merge-base HEAD main)")
    parser.add_argument("--new", default="HEAD", help="commit to measure (default: HEAD)")
    parser.add_argument("--backtest", action="store_true")
    parser.add_argument("--origin", type=int, action="append")
    args = parser.parse_args()
    old = (
        args.old
        or subprocess.run(
            ["git", "-C", str(ROOT), "merge-base", "HEAD", "main"], capture_output=True, text=True, check=True
        ).stdout.strip()
    )
    origins = (args.origin or [2017, 2019, 2021]) if args.backtest else None
    load_before = os.getloadavg()
    rows = {}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        rev_parse = ["git", "-C", str(ROOT), "rev-parse", args.new]
        new = subprocess.run(rev_parse, capture_output=True, text=True, check=True)
        new = new.stdout.strip()
        sides = {f"old ({old[:7]})": old, f"new ({new[:7]})": new}
        for label, rev in sides.items():
            code = code_tree(rev, tmp / f"{label.split()[0]}-code")
            folder = tmp / label.split()[0]
            folder.mkdir()
            rows[label] = measure(code, scenario_file(args.scenario, args.model, folder), folder, origins)
            print(f"{label}: {rows[label]}", file=sys.stderr, flush=True)
    load_after = os.getloadavg()
    columns = list(next(iter(rows.values())))
    print(f"{args.scenario}: fresh caches for each side, {os.cpu_count()} cores")
    print("load average (1, 5, 15 min) before: {:.2f} {:.2f} {:.2f}, after: {:.2f} {:.2f} {:.2f}".format(
        *load_before, *load_after))  # fmt: skip
    print(f"{'':18}" + "".join(f"{c:>15}" for c in columns))
    for label, row in rows.items():
        print(f"{label:18}" + "".join(f"{row[c]:>15.1f}" if c.endswith(" s") else f"{row[c]:>15d}" for c in columns))
    old_row, new_row = rows.values()
    ratios = "".join(f"{old_row[c] / new_row[c]:>14.1f}x" if c.endswith(" s") else f"{'':>15}" for c in columns)
    print(f"{'old / new':18}" + ratios)


if __name__ == "__main__":
    main()
