"""Regenerate (or check) the example outputs shown in README.md, so the README never shows
numbers the code no longer gives.

Each example in the README sits between two markers::

    <!-- example: NAME -->
    ```
    $ forecast ...
    (the command's standard output)
    ```
    <!-- /example -->

and `EXAMPLES` below says which command makes it. This script runs each command with the
installed `forecast`, in a temporary folder, and writes its standard output (progress bars
and notes on standard error are left out) between the markers.

    python scripts/readme_examples.py            # rewrite README.md
    python scripts/readme_examples.py --check    # exit 1 and show the difference if it is stale
    python scripts/readme_examples.py --only run-langfang

Fits are saved in the posterior cache (`--cache`, default `.forecast-cache`), so a second
run is quick; the same scenario, data and seed give the same numbers on any machine.
"""

from __future__ import annotations

import argparse
import difflib
import os
import re
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"
EXAMPLES = {
    "run-langfang": "forecast run langfang_baseline",
    "run-ladder": "forecast run langfang_ladder_baseline --lang en",
    "compare": "forecast compare langfang_ladder_baseline langfang_small_to_high langfang_reward_cut "
    "langfang_larger_reserve --lang en",
    "calibrate": "forecast calibrate --region langfang",
    "backtest": "forecast backtest --origin 2017 --origin 2019 --origin 2021 --lang en",
    "backtest-ladder": "forecast backtest --model ladder --lang en",
    "run-handan-rd": "forecast run handan_ladder_rd --lang en",
    "explain": "forecast explain langfang_small_to_high --target langfang-2023-high_tech_enterprises "
    "--probability 0.95 --runs 60 --lang en",
}
"""Example name -> the command whose output the README shows (bundled scenarios by name)."""
BLOCK = re.compile(r"(<!-- example: (?P<name>[\w-]+) -->\n)(?P<body>.*?)(<!-- /example -->)", re.S)
WIDTH = "220"
"""Terminal width the commands see, so wide tables are not wrapped."""


def blocks(text: str) -> list[str]:
    """Names of the example blocks in a README text, in order."""
    return [m.group("name") for m in BLOCK.finditer(text)]


def run_example(command: str, cache: Path) -> str:
    """The command's standard output, run in an empty temporary folder."""
    with tempfile.TemporaryDirectory() as folder:
        argv = [*shlex.split(command), "--out", str(Path(folder) / "out")]
        env = {**os.environ, "PLAN_FORECAST_CACHE": str(cache.resolve()), "COLUMNS": WIDTH, "NO_COLOR": "1"}
        done = subprocess.run(argv, cwd=folder, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{command} failed (exit {done.returncode}):\n{done.stderr[-3000:]}")
    lines = [line.rstrip() for line in done.stdout.splitlines() if not line.startswith(("wrote ", "已写入 "))]
    return "\n".join(lines).strip("\n")


def render(text: str, outputs: dict[str, str]) -> str:
    """The README with each example block whose output is given replaced."""

    def replace(match: re.Match) -> str:
        name = match.group("name")
        if name not in outputs:
            return match.group(0)
        body = f"```\n$ {EXAMPLES[name]}\n{outputs[name]}\n```\n"
        return f"{match.group(1)}{body}{match.group(4)}"

    return BLOCK.sub(replace, text)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="only compare; exit 1 if the README is stale")
    parser.add_argument("--only", action="append", choices=sorted(EXAMPLES), help="regenerate only this example")
    parser.add_argument("--cache", type=Path, default=Path(".forecast-cache"), help="posterior cache folder")
    args = parser.parse_args()
    text = README.read_text(encoding="utf-8")
    unknown = sorted(set(blocks(text)) - set(EXAMPLES))
    if unknown:
        raise SystemExit(f"README.md has example blocks no command makes: {unknown}")
    outputs = {name: run_example(EXAMPLES[name], args.cache) for name in (args.only or blocks(text))}
    new = render(text, outputs)
    if args.check:
        diff = list(difflib.unified_diff(text.splitlines(), new.splitlines(), "README.md", "regenerated", lineterm=""))
        print("\n".join(diff) if diff else "README examples are up to date")
        return 1 if diff else 0
    # the blocks put into the README as it is now: prose edited while the commands ran (minutes) is kept
    README.write_text(render(README.read_text(encoding="utf-8"), outputs), encoding="utf-8")
    print(f"rewrote {len(outputs)} example(s) in {README}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
