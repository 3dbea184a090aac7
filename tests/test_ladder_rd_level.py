"""`LadderParams.firm_size_scale` is what scripts/ladder_rd_level.py computes from the bundled R&D figures.

Needs the source tree (scripts/); from an installed wheel it skips, saying so."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from forecast.inputs.bundle import load_inputs
from models.ladder import LadderParams
from models.ladder.params import FIRM_RD_SHARE

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "ladder_rd_level.py"
pytestmark = pytest.mark.skipif(not SCRIPT.exists(), reason="needs the source tree (scripts/)")


def test_firm_size_scale_is_the_scripts_geometric_mean():
    spec = importlib.util.spec_from_file_location("ladder_rd_level", SCRIPT)
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    cases = script.cases(load_inputs())
    assert {c["region"] for c in cases} >= {"hebei", "langfang", "handan"}
    scales = [script.solve_scale(c, FIRM_RD_SHARE, 5_000, 1) for c in cases]
    common = float(np.exp(np.mean(np.log(scales))))
    # 5,000 agents (the script's default is 20,000): the sum of heavy-tailed revenues carries a few % noise
    assert common == pytest.approx(LadderParams().firm_size_scale, rel=0.1)
    shares = [script.firm_rd(c, LadderParams().firm_size_scale, 5_000, 1) / c["rd"] for c in cases]
    assert all(0.3 < s < 0.95 for s in shares)  # the modelled firms spend less than their region's R&D
