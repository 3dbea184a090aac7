"""Make the README's screenshot of the HTML report (docs/report.png) from the bundled Langfang scenario.

Runs ``forecast run langfang_baseline --report`` (the scenario's own seed, 20211207, so
the same numbers on any machine) in a temporary folder, opens the report in headless
Chromium (the system's: ``apt-get install -y chromium fonts-noto-cjk``; playwright drives
it and downloads no browser) and saves the top of the page.

    python scripts/report_screenshot.py                 # writes docs/report.png
    python scripts/report_screenshot.py --lang en --out docs/report_en.png

Fits are saved in the posterior cache (`--cache`, default `.forecast-cache`), so a second
run is quick.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COMMAND = ["forecast", "run", "langfang_baseline", "--report"]
VIEWPORT = {"width": 1100, "height": 1900}
"""The part of the page shown: the question, the scenario, the traffic lights and the first fan chart."""


def make_report(folder: Path, lang: str, cache: Path) -> Path:
    """Run the bundled Langfang scenario with --report into `folder`; return the report's path."""
    env = {**os.environ, "PLAN_FORECAST_CACHE": str(cache.resolve()), "NO_COLOR": "1"}
    beside = Path(sys.executable).with_name("forecast")  # the command of this interpreter's environment
    argv = [str(beside) if beside.exists() else COMMAND[0], *COMMAND[1:], "--lang", lang]
    argv += ["--out", str(folder / "langfang_baseline")]
    done = subprocess.run(argv, cwd=folder, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed (exit {done.returncode}):\n{done.stderr[-3000:]}")
    return folder / "langfang_baseline" / "report.html"


def screenshot(page_file: Path, out: Path) -> None:
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        raise SystemExit("no Chromium found: apt-get install -y chromium fonts-noto-cjk")
    with sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport=VIEWPORT)
            page.goto(page_file.resolve().as_uri(), wait_until="load")
            out.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(out))
        finally:
            browser.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lang", choices=["zh", "en"], default="zh")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "report.png")
    parser.add_argument("--cache", type=Path, default=Path(".forecast-cache"), help="posterior cache folder")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        screenshot(make_report(Path(folder), args.lang, args.cache), args.out)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
