"""The population draw's cost at calibrated entry rates, old (a git revision) against new (this tree).

Langfang 2020->2025 at ``startup_entry_rate`` 0.7 (about the calibration posterior's; the other rates at their
defaults): the start (905 certified firms, 8,796 tech SMEs, `assumed_startups` startups) grows to about 50,000
firms, with 6,000 to 11,000 newborn startups a year. Each side in a fresh Python whose `models` package is the
revision's or this tree's, after a warm-up: the microseconds a newborn startup, a certified move-in and a tech SME
cost `draw_states` (best of 15 draws of one run's entrants), and the CPU a run takes in `engine.run_batch`, with the
part spent in `draw_states` and in `_merge` (best of --runs one-run batches, start cache emptied each time). The
two sides take turns, --rounds times (a machine shared with other work changes its load within a minute); each
figure is the best of the rounds, the median run's the median of the rounds' medians.

    python benchmarks/bench_entrants.py [--baseline REV] [--runs 8] [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
from old_code import extract  # benchmarks/old_code.py (this script's folder is on sys.path)

BASELINE = "ec36a36"
"""main before the speed7 work (issue 10): numpy's Beta, Gamma and Poisson samplers in the population draw."""
ROOT = Path(__file__).resolve().parents[1]
_TIMED = """
import json, sys, time
import numpy as np
from models.ladder import engine
from models.ladder.params import LadderParams
from models.ladder.population import assumed_startups, draw_states
runs = json.loads(sys.argv[1])
p = LadderParams(startup_entry_rate=0.7)
out = {}
for name, counts in (("startup", {"startup": 6000}), ("hte", {"hte": 300}), ("tech_sme", {"tech_sme": 2000})):
    rng = [np.random.default_rng(1)]
    draw_states([counts], 2021, [p], rng)
    times = []
    for _ in range(15):
        c0 = time.process_time()
        draw_states([counts], 2021, [p], rng)
        times.append(time.process_time() - c0)
    out[name] = 1e6 * min(times) / sum(counts.values())
spent = {"draw_states": 0.0, "_merge": 0.0}
def timed(name, f):
    def g(*a, **k):
        c0 = time.process_time()
        result = f(*a, **k)
        spent[name] += time.process_time() - c0
        return result
    return g
engine.draw_states, engine._merge = timed("draw_states", engine.draw_states), timed("_merge", engine._merge)
counts = {"hte": 905, "tech_sme": 8796, "startup": assumed_startups(8796, p)}
rows = []
for r in range(runs + 1):
    getattr(engine, "forget_starts", engine._STARTS.clear)()  # the old tree has no forget_starts
    spent.update(draw_states=0.0, _merge=0.0)
    c0 = time.process_time()
    cube = engine.run_batch(params=[p], seeds=[np.random.SeedSequence(r)], stage_counts=counts, start_year=2020,
                            end_year=2025)
    rows.append((time.process_time() - c0, spent["draw_states"], spent["_merge"], float(cube[0, -1, 1])))
rows = sorted(rows[1:])  # the first warms up
out["run"], out["draw"], out["merge"] = (1e3 * min(row[k] for row in rows) for k in range(3))
out["median_run"] = 1e3 * rows[len(rows) // 2][0]
out["firms_2025"] = sum(row[3] for row in rows) / len(rows)
print(json.dumps(out))
"""


def timed_side(models_root: Path, runs: int) -> dict:
    env = os.environ | {"PYTHONPATH": str(models_root)}
    done = subprocess.run(
        [sys.executable, "-c", _TIMED, json.dumps(runs)], env=env, cwd=models_root, capture_output=True, text=True
    )
    if done.returncode:
        raise RuntimeError(done.stderr)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", default=BASELINE)
    parser.add_argument("--runs", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"Langfang 2020->2025, startup_entry_rate 0.7, {os.cpu_count()} cores, load average {load}")
    with tempfile.TemporaryDirectory() as folder:
        failed = extract(args.baseline, Path(folder), ("models",))
        if failed:
            raise SystemExit(failed)
        roots = {"old": Path(folder), "new": ROOT}
        rounds = [{side: timed_side(root, args.runs) for side, root in roots.items()} for _ in range(args.rounds)]
    t = {side: {key: min(r[side][key] for r in rounds) for key in rounds[0][side]} for side in roots}
    for side in roots:
        t[side]["median_run"] = float(np.median([r[side]["median_run"] for r in rounds]))
    print(f"old ({args.baseline}) against new (this tree), each in a fresh process, CPU time, {args.rounds} rounds")
    print(f"{'':42} {'old':>9} {'new':>9} {'new/old':>8}")
    rows = [
        ("newborn startup, us a firm (best of 15)", "startup"),
        ("certified move-in, us a firm", "hte"),
        ("tech SME (start), us a firm", "tech_sme"),
        (f"a run, ms (best of {args.runs})", "run"),
        ("  of it draw_states, ms (best)", "draw"),
        ("  of it _merge, ms (best)", "merge"),
        ("a run, ms (median)", "median_run"),
        ("firms in 2025 (mean over runs)", "firms_2025"),
    ]
    for label, key in rows:
        print(f"{label:42} {t['old'][key]:9.2f} {t['new'][key]:9.2f} {t['new'][key] / t['old'][key]:8.2f}")
    print(f"load average after: {', '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
