"""Which figures the joint R&D panel reads on an earlier GDP basis: exactly the bundled history's flagged ones
(`pre_revision_gdp`, R&D intensity as first published up to 2018), never spending or GDP (real bundled data)."""

import numpy as np

from forecast.inputs.tables import load_history, load_regions
from forecast.trend.fits import observation_kinds
from forecast.trend.joint import RD_IDENTITY, joint_panel


def test_the_joint_panel_reads_the_flagged_intensity_figures_on_their_basis():
    history = load_history()
    panel, _ = joint_panel(
        history, RD_IDENTITY, regions=load_regions(), cutoff=2019, series={}, kinds=observation_kinds
    )
    basis = panel.on_basis.astype(bool)
    intensity = panel.indicator_idx == panel.indicators.index("rd_intensity")
    assert basis.sum() > 50 and np.all(intensity[basis])  # only intensity figures ...
    assert np.all(panel.year[basis] <= 2018) and not basis[intensity & (panel.year >= 2019)].any()  # ... to 2018
    hebei = panel.regions.index("hebei")
    flagged = intensity & (panel.region_idx == hebei) & (panel.year <= 2018)
    assert np.array_equal(basis[flagged], np.ones(flagged.sum(), bool))
