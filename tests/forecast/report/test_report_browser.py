"""The HTML report opened in headless Chromium (the system's, Debian package ``chromium``; playwright drives it
and downloads no browser): no console error, every chart image loaded, no request beyond the file itself, and a
screenshot saved. The default suite opens a SYNTHETIC run folder (tests/forecast/report/synthetic_run.py) and one
bundled scenario run on the real data with short fits; the slow ones open every bundled scenario's report.

Skipped, saying why, only where no Chromium is installed (set-up: ``apt-get install -y chromium fonts-noto-cjk``).
"""

from __future__ import annotations

import shutil

import pytest
from typer.testing import CliRunner

from forecast.cli import app
from forecast.inputs.bundled import bundled_scenarios
from tests.forecast.report.synthetic_run import write_synthetic_run

CHROMIUM = next((p for p in map(shutil.which, ("chromium", "chromium-browser")) if p), None)
sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed (.[test])")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="no Chromium on this machine: apt-get install -y chromium fonts-noto-cjk"
)


def open_in_chromium(page_file, screenshot):
    """Load the page from disk; return (console errors, image natural widths, requests not to the file itself)."""
    errors, requests = [], []
    with sync_api.sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 1400})
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on("request", lambda r: requests.append(r.url))
            page.goto(page_file.resolve().as_uri(), wait_until="load")
            widths = page.evaluate("Array.from(document.images, i => i.complete ? i.naturalWidth : 0)")
            page.screenshot(path=str(screenshot), full_page=True)
        finally:
            browser.close()
    return errors, widths, [u for u in requests if u != page_file.resolve().as_uri()]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_report_opens_in_chromium_without_errors_or_network(tmp_path, lang):
    folder = write_synthetic_run(tmp_path / "run")
    result = CliRunner().invoke(app, ["report", str(folder), "--lang", lang])
    assert result.exit_code == 0, result.output
    errors, widths, requests = open_in_chromium(folder / "report.html", tmp_path / "report.png")
    assert errors == []
    assert len(widths) == 6 and all(w > 0 for w in widths), widths  # every chart decoded
    assert requests == []  # nothing fetched: no script, font, style or image from anywhere
    shot = (tmp_path / "report.png").read_bytes()
    assert shot.startswith(b"\x89PNG") and len(shot) > 50_000


def check_bundled_report(tmp_path, name: str, *options: str) -> None:
    """Run a bundled scenario with --report on the real data, open the report in Chromium and save its screenshot
    (``<tmp_path>/<name>.png``): no console error, no request, every chart decoded, the scenario's own Chinese title
    and no file name in the heading."""
    from forecast.scenario import load_scenario

    folder = tmp_path / name
    result = CliRunner().invoke(app, ["run", name, *options, "--out", str(folder), "--report"])
    assert result.exit_code == 0, result.output
    errors, widths, requests = open_in_chromium(folder / "report.html", tmp_path / f"{name}.png")
    fans = len(list(folder.glob("fan_*.png")))
    assert errors == [] and requests == []
    assert fans >= 1 and len(widths) >= fans + 1 and all(w > 0 for w in widths), widths
    heading = (folder / "report.html").read_text(encoding="utf-8").split("<h1>")[1].split("</h1>")[0]
    assert load_scenario(bundled_scenarios()[name])[0].name_zh in heading and name not in heading
    assert (tmp_path / f"{name}.png").read_bytes().startswith(b"\x89PNG")


def test_a_bundled_scenario_on_the_real_data_gets_a_report_that_opens(tmp_path):
    """Langfang (trend model), fitted afresh with few draws: the real tables, names and phrases in the page."""
    check_bundled_report(tmp_path, "langfang_baseline", "--draws", "50", "--tune", "50", "--cache", str(tmp_path))


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(bundled_scenarios()))
def test_every_bundled_scenario_gets_a_report_that_opens(tmp_path, name):
    """Each bundled scenario, the five on the ladder model included (short fits, 20 ladder runs; ladder scenarios
    with ``calibration: posterior`` fit their calibration first, once, into the posterior cache)."""
    check_bundled_report(tmp_path, name, "--draws", "100", "--tune", "100", "--runs", "20")
