"""The README's example outputs are made by `scripts/readme_examples.py`, never pasted.

These tests need the source tree (README.md and scripts/); from an installed wheel (CI
runs the suite from a folder holding only tests/) they skip, saying so.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "readme_examples.py"
pytestmark = pytest.mark.skipif(not SCRIPT.exists(), reason="needs the source tree (README.md, scripts/)")


def _script():
    spec = importlib.util.spec_from_file_location("readme_examples", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_example_block_has_its_command():
    script = _script()
    names = script.blocks((ROOT / "README.md").read_text(encoding="utf-8"))
    assert "run-langfang" in names
    assert set(names) <= set(script.EXAMPLES)


def test_render_replaces_only_the_named_block():
    script = _script()
    text = "a\n<!-- example: run-langfang -->\n```\nold\n```\n<!-- /example -->\nb\n"
    new = script.render(text, {"run-langfang": "new output"})
    expected = "```\n$ forecast run langfang_baseline\nnew output\n```\n"
    assert new == f"a\n<!-- example: run-langfang -->\n{expected}<!-- /example -->\nb\n"
    assert script.render(text, {}) == text


@pytest.mark.slow
def test_readme_examples_are_what_the_code_gives(tmp_path):
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--check", "--cache", str(tmp_path)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
