"""Benchmark: the ladder model's Mesa reference against the array engine, side by side in one run.

Scenario: Langfang, 905 certified firms, 8,796 tech SMEs and the assumed startups
(`models.ladder.population.assumed_startups`) in 2020, stepped to 2025 at firm_scale 1,
default rates, status-quo levers. Printed, all measured in this run on this machine:

* agent-steps per second of the Mesa reference (`engine="mesa"`) and of the array
  engine (`engine="array"`), end to end (initial firms, entrants, records included),
  and their ratio;
* random numbers one agent-step draws (`kernel.DRAWS_PER_STEP`) and numpy's
  generator rate (uniforms and normals per second), hence the agent-steps per
  second the generator alone would allow;
* time per agent-step as the city grows from 10,000 to 1,000,000 firms (fewer runs
  for the big sizes);
* time to P(certified firms in 2025 >= 1,500, the plan's target) from 1,000 runs, on a Dask
  LocalCluster of ``--workers`` processes (as the CLI runs it; cluster start included);
* workers 1 -> 2: the same 200 runs in this process and on two Dask workers (parallel
  efficiency = t1 / (2 t2), cluster start and the workers' imports excluded); the load
  average printed first says how much of the 2 cores other work took meanwhile;
* peak memory of a one-million-firm ensemble (a fresh process's peak RSS, interpreter and
  libraries included) beside `models.ladder.estimate_memory`'s estimate;
* the bundled province scenario (scenarios/hebei_ladder.yaml, 1,000 runs at full resolution),
  planned and run as `forecast run` does its ladder part;
* old against new: the same work done by the ``models`` and ``forecast`` packages of an earlier commit
  (``--baseline``, default main before the speed6 work, `BASELINE`; taken out of git into a
  temporary folder, first on PYTHONPATH; the bundled data and scenarios are this tree's) and by this
  tree's, each in a fresh process, one after the other: Langfang at ``--baseline-runs`` runs
  (agent-steps per second), the Hebei province ensemble (1,000 runs), ``forecast compare`` of the
  four Langfang ladder scenarios and ``forecast explain`` of langfang_small_to_high, both at their
  bundled run counts or ``--command-runs`` (the whole command, calibration posterior from this
  tree's cache);
* the compiled code's cold compile (the step, the population draw, the counts): a fresh process with
  an empty numba cache against one with the cache filled, each running a two-firm ensemble.

An agent-step is one firm stepped one year: the sum over years t > start of the
agents alive at the end of t - 1.

    python benchmarks/bench_ladder.py [--mesa-runs 1] [--array-runs 20] [--workers 2] [--skip-target]
                                      [--baseline REV] [--baseline-runs 1000] [--skip-memory] [--skip-hebei]
                                      [--skip-commands] [--command-runs N] [--skip-compile]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from old_code import extract  # benchmarks/old_code.py (this script's folder is on sys.path)

from models.ladder import kernel, monte_carlo_probability, run_ensemble
from models.ladder.population import assumed_startups
from models.ladder.run import assemble, ensemble_jobs, estimate_memory

LANGFANG = {"hte": 905, "tech_sme": 8796, "startup": assumed_startups(8796)}
START, END, TARGET = 2020, 2025, 1500
BASELINE = "47e1fd9"
"""main before the speed6 work (issue 10): explain's ensembles ran to the horizon, the start cache dropped the least
recently used start, Dask placed batches anywhere. (cae4e2f: main before speed5's exact registry draw; 8a9624c:
before speed4's single-precision step draws; 5f58fc9: before the compiled population draw.)"""
HEBEI = {"hte": 3174, "tech_sme": 55000, "startup": assumed_startups(55000)}
"""scenarios/hebei_ladder.yaml's start (2017), one agent per firm."""
COMMANDS = {
    "compare": "compare langfang_ladder_baseline langfang_small_to_high langfang_reward_cut langfang_larger_reserve",
    "explain": "explain langfang_small_to_high --target langfang-2023-high_tech_enterprises --probability 0.95",
}
"""`forecast` commands timed old against new, at the scenarios' bundled run counts."""
ROOT = Path(__file__).resolve().parents[1]
_TIMED = """
import json, sys, time
import resource
import models.ladder
from models.ladder import run_ensemble
counts, runs, workers, start, end, warm = json.loads(sys.argv[1])
if warm:  # the compiled code loaded (or, in a fresh copy of an old tree, compiled) before the clock
    run_ensemble(n_runs=1, seed=0, stage_counts={"hte": 1, "tech_sme": 1}, start_year=start, end_year=start + 1)
t0, c0 = time.perf_counter(), time.process_time()
ds = run_ensemble(n_runs=runs, seed=1, workers=workers, stage_counts=counts, start_year=start, end_year=end)
wall, cpu = time.perf_counter() - t0, time.process_time() - c0
steps = float(ds["n_firms"].isel(year=slice(0, -1)).sum()) / ds.attrs["firm_scale"]
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps({"wall": wall, "cpu": cpu, "steps": steps, "peak_rss": rss, "code": models.ladder.__file__}))
"""


def agent_steps(ds) -> float:
    """Agents stepped: agents alive at the end of every year but the last, summed over runs."""
    return float(ds["n_firms"].isel(year=slice(0, -1)).sum()) / ds.attrs["firm_scale"]


def timed_ensemble(engine: str, runs: int, counts: dict, end: int = END, workers: int = 1):
    t0 = time.perf_counter()
    ds = run_ensemble(
        n_runs=runs, seed=1, engine=engine, workers=workers, stage_counts=counts, start_year=START, end_year=end
    )
    return ds, time.perf_counter() - t0


def generator_rates(n: int = 20_000_000) -> tuple[float, float]:
    """numpy's uniforms and normals per second, in the precision the step draws them (`kernel.DRAW_DTYPE`)."""
    rng, out = np.random.default_rng(0), np.empty(n, dtype=kernel.DRAW_DTYPE)
    t0 = time.perf_counter()
    rng.random(out=out, dtype=kernel.DRAW_DTYPE)
    t1 = time.perf_counter()
    rng.standard_normal(out=out, dtype=kernel.DRAW_DTYPE)
    t2 = time.perf_counter()
    return n / (t1 - t0), n / (t2 - t1)


def timed_in_process(
    models_root: Path,
    runs: int,
    workers: int,
    counts: dict = LANGFANG,
    start: int = START,
    end: int = END,
    env=None,
    warm: bool = True,
) -> dict:
    """One ensemble in a fresh Python whose `models` package is the one under `models_root`; `warm`: after a
    two-firm ensemble (compiled code loaded or compiled: an old tree's fresh copy has no numba cache)."""
    env = os.environ | {"PYTHONPATH": str(models_root)} | (env or {})
    argument = json.dumps([counts, runs, workers, start, end, warm])
    done = subprocess.run(
        [sys.executable, "-c", _TIMED, argument], env=env, cwd=models_root, capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def timed_command(models_root: Path, command: str) -> float:
    """Seconds of one `forecast` command in a fresh Python whose `models` and `forecast` packages are under
    `models_root`."""
    cache = os.environ.get("PLAN_FORECAST_CACHE", str(ROOT / ".forecast-cache"))
    env = os.environ | {"PYTHONPATH": str(models_root), "PLAN_FORECAST_CACHE": cache, "NO_COLOR": "1"}
    with tempfile.TemporaryDirectory() as folder:
        argv = [sys.executable, "-c", "from forecast.cli import app; app()", *command.split(), "--out", folder + "/out"]
        t0 = time.perf_counter()
        subprocess.run(argv, env=env, cwd=folder, capture_output=True, text=True, check=True)
        return time.perf_counter() - t0


def old_against_new(
    revision: str, runs: int, workers: int, hebei: bool, commands: bool, command_runs: int | None = None
) -> None:
    """The same work by the `models` and `forecast` packages at `revision` and by this tree's, side by side."""
    with tempfile.TemporaryDirectory() as folder:
        failed = extract(revision, Path(folder), ("models", "forecast"))
        if failed:
            print(f"old against new skipped: {failed}\n")
            return
        roots = {"old": Path(folder), "new": ROOT}
        print(f"old ({revision}) against new (this tree), {workers} worker(s), each in a fresh process")
        print(f"{'':32} {'old wall s':>10} {'new wall s':>10} {'old CPU s':>10} {'new CPU s':>10} {'speed-up':>10}")
        cases = [(f"Langfang {runs:,} runs", dict(runs=runs, workers=workers))] if runs else []
        if hebei:
            cases.append(
                ("Hebei 1,000 runs (2017->2018)", dict(runs=1000, workers=workers, counts=HEBEI, start=2017, end=2018))
            )
        for label, kwargs in cases:
            t = {side: timed_in_process(root, **kwargs) for side, root in roots.items()}
            _row(label, t["old"]["wall"], t["new"]["wall"], t["old"]["cpu"], t["new"]["cpu"])
            rates = [t[side]["steps"] / t[side]["wall"] for side in roots]
            print(f"{'':32} agent-steps/s: old {rates[0]:,.0f}, new {rates[1]:,.0f} (per wall second)")
        more = f" --runs {command_runs}" if command_runs else ""
        for root in roots.values() if commands else ():
            timed_command(root, COMMANDS["compare"])  # untimed: fits a side's posterior and trends if not cached
        for name, command in COMMANDS.items() if commands else ():
            t = {side: timed_command(root, command + more) for side, root in roots.items()}
            _row(f"forecast {name}{more}", t["old"], t["new"], math.nan, math.nan)
        print()


def _row(label: str, old_wall: float, new_wall: float, old_cpu: float, new_cpu: float) -> None:
    cpu = "" if math.isnan(old_cpu) else f"{old_cpu:10.1f} {new_cpu:10.1f}"
    print(f"{label:32} {old_wall:10.1f} {new_wall:10.1f} {cpu or ' ' * 21} {old_wall / new_wall:9.1f}x")


def cold_compile() -> None:
    """A two-firm ensemble in a fresh process with an empty numba cache, then with the cache filled."""
    with tempfile.TemporaryDirectory() as folder:
        tiny = {"hte": 1, "tech_sme": 1}
        cold, warm = (timed_in_process(ROOT, 1, 1, tiny, env={"NUMBA_CACHE_DIR": folder}, warm=False) for _ in range(2))
    print(f"compiled code: {cold['wall']:.1f} s for a two-firm ensemble with an empty numba cache (cold compile),")
    print(f"{warm['wall']:.1f} s with the cache filled (numba's cache=True: paid once per machine)\n")


def on_dask(runs: int, counts: dict, workers: int) -> tuple[object, float, float]:
    """(dataset, seconds with the cluster's start, seconds without) for `runs` runs as the CLI runs them."""
    from forecast.ladder.ensemble import executor, run_batches

    t0 = time.perf_counter()
    jobs = ensemble_jobs(n_runs=runs, seed=1, stage_counts=counts, start_year=START, end_year=END)
    with executor(workers) as client:
        if client is not None:
            client.run(_warm_up)  # imports and compiled code loaded in every worker before the clock
        t1 = time.perf_counter()
        cubes = run_batches(jobs, workers=workers)
    t2 = time.perf_counter()
    return assemble(jobs, cubes), t2 - t0, t2 - t1


def _warm_up() -> None:
    run_ensemble(n_runs=1, seed=0, stage_counts={"hte": 10, "tech_sme": 100}, start_year=START, end_year=START + 1)


def parallel_efficiency(runs: int = 200) -> None:
    _, one, _ = on_dask(runs, LANGFANG, 1)
    _, _, two = on_dask(runs, LANGFANG, 2)
    print(f"workers 1 -> 2, Langfang {runs} runs: {one:.1f} s -> {two:.1f} s on two Dask workers", end="; ")
    print(f"parallel efficiency {one / (2 * two):.0%} (cluster start and worker warm-up excluded)\n")


def peak_memory(firms: int = 1_000_000) -> None:
    factor = firms / sum(LANGFANG.values())
    counts = {k: round(v * factor) for k, v in LANGFANG.items()}
    t = timed_in_process(ROOT, 1, 1, counts, end=START + 3)
    estimate = estimate_memory(n_runs=1, stage_counts=counts, start_year=START, end_year=START + 3)
    gib = t["peak_rss"] / 2**30
    print(f"peak memory, {firms:,} firms, 1 run, {START}->{START + 3}: {gib:.2f} GiB measured", end="")
    print(f" (process peak RSS, Python and libraries included); estimate {estimate.describe()}\n")


def hebei_province(workers: int) -> None:
    """The bundled province scenario's ladder part, planned and run as `forecast run` does it."""
    from forecast.inputs.bundle import load_inputs
    from forecast.ladder.ensemble import executor
    from forecast.ladder.pipeline import ladder_probabilities, plan_ladder, simulate
    from forecast.scenario import load_checked_scenario

    inputs = load_inputs(None)
    checked = load_checked_scenario(ROOT / "scenarios" / "hebei_ladder.yaml", inputs)
    t0 = time.perf_counter()
    with executor(workers):
        plan = plan_ladder(
            checked.spec, inputs.history, inputs.regions, inputs.indicators, need_gdp=False, workers=workers
        )
        run = simulate(plan)
    seconds = time.perf_counter() - t0
    print(f"Hebei province ({', '.join(plan.start.describe())}),")
    print(f"{plan.runs:,} runs at firm_scale {plan.firm_scale}, {workers} workers: {seconds:.1f} s", end=" ")
    print("(cluster start included)")
    for result in ladder_probabilities(run, checked.targets):
        if result.result is not None:
            print(f"  P({result.target.target_id}) = {result.result.probability:.3f} ± {result.result.mc_error:.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mesa-runs", type=int, default=1)
    parser.add_argument("--array-runs", type=int, default=20)
    parser.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1))
    parser.add_argument("--skip-target", action="store_true")
    parser.add_argument("--baseline", default=BASELINE, help="git revision of the old engine ('' to skip)")
    parser.add_argument("--baseline-runs", type=int, default=1000, help="0: no Langfang ensemble old and new")
    parser.add_argument("--skip-memory", action="store_true")
    parser.add_argument("--skip-hebei", action="store_true")
    parser.add_argument("--skip-commands", action="store_true", help="no forecast compare / explain, old and new")
    parser.add_argument("--command-runs", type=int, help="runs per ensemble of compare / explain (default: bundled)")
    parser.add_argument("--skip-compile", action="store_true")
    args = parser.parse_args()
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"Langfang {START}->{END}, firm_scale 1, start {LANGFANG}, {os.cpu_count()} cores, load average {load}\n")
    if not args.skip_compile:
        cold_compile()
    if args.baseline:
        old_against_new(
            args.baseline, args.baseline_runs, 1, not args.skip_hebei, not args.skip_commands, args.command_runs
        )
    rates = {}
    for engine, runs in (("mesa", args.mesa_runs), ("array", args.array_runs)):
        ds, seconds = timed_ensemble(engine, runs, LANGFANG)
        rates[engine] = agent_steps(ds) / seconds
        steps = agent_steps(ds)
        print(f"{engine:6} {runs:5d} runs {steps:13,.0f} agent-steps {seconds:8.2f} s {rates[engine]:13,.0f} /s")
    print(f"array / mesa: {rates['array'] / rates['mesa']:,.0f}x\n")
    uniforms, normals = generator_rates()
    normals_share = kernel.N_NORMALS / kernel.DRAWS_PER_STEP
    per_draw = (1 - normals_share) / uniforms + normals_share / normals
    print(f"draws per agent-step: {kernel.DRAWS_PER_STEP} ({kernel.N_NORMALS} normals, {kernel.N_UNIFORMS} uniforms)")
    print(f"generator: {uniforms:,.0f} uniforms/s, {normals:,.0f} normals/s")
    limit = 1 / (per_draw * kernel.DRAWS_PER_STEP)
    print(f"generator limit: {limit:,.0f} agent-steps/s; array engine at {rates['array'] / limit:.1%} of it\n")
    print(f"{'firms':>10} {'runs':>5} {'agent-steps':>13} {'s':>8} {'ns/agent-step':>14}")
    for firms, runs in ((10_000, 20), (100_000, 4), (1_000_000, 1)):
        factor = firms / sum(LANGFANG.values())
        counts = {k: round(v * factor) for k, v in LANGFANG.items()}
        ds, seconds = timed_ensemble("array", runs, counts, end=START + 3)
        steps = agent_steps(ds)
        print(f"{firms:10,d} {runs:5d} {steps:13,.0f} {seconds:8.2f} {1e9 * seconds / steps:14,.0f}")
    if not args.skip_target:
        ds, seconds, _ = on_dask(1000, LANGFANG, args.workers)
        p, se = monte_carlo_probability(ds["hte_certified"].sel(year=END).values >= TARGET)
        print(f"\nP(certified {END} >= {TARGET:,}) = {p:.3f} ± {se:.3f}", end=" ")
        print(f"from 1,000 runs ({args.workers} Dask workers, cluster start included): {seconds:.1f} s\n")
    if args.workers > 1:
        parallel_efficiency()
    if not args.skip_memory:
        peak_memory()
    if not args.skip_hebei:
        hebei_province(args.workers)


if __name__ == "__main__":
    main()
