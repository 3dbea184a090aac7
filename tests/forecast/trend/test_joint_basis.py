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


def test_a_target_judged_by_an_earlier_basis_figure_is_forecast_on_that_basis():
    """Hebei's 2018 R&D intensity target (issue 11) is judged by 1.39, published over the GDP before the
    post-census revision (on the revised GDP: 1.54): its trajectories are the joint paths times exp(b_r), the
    region's basis shift drawn with them; Handan's 2023 target, judged by a later figure, keeps the current basis
    (real bundled data)."""
    from forecast.inputs.catalogue import catalogue_target, load_targets
    from forecast.trend.fits import PanelForecast, region_paths
    from forecast.trend.pipeline import _judged_on_earlier_basis, _region_fit

    history, targets = load_history(), load_targets()
    old = catalogue_target(targets.loc["hebei-2018-rd_intensity"])
    later = catalogue_target(targets.loc["handan-2023-rd_intensity"])
    assert _judged_on_earlier_basis(history, old, "main") and not _judged_on_earlier_basis(history, later, "main")
    paths, shift = np.full((2, 3, 2), 1.6), np.log(np.full((2, 3), 1.39 / 1.6))
    panel = PanelForecast("rd_intensity", 2017, 2018, {"hebei": np.array([2017, 2018])}, {"hebei": paths},
                          {"hebei": None}, {"hebei": "joint"}, {"hebei": []}, basis_shift={"hebei": shift})  # fmt: skip
    fit = _region_fit(panel, "hebei", history, "main", earlier=True)
    np.testing.assert_allclose(fit.paths, 1.39)
    assert "before the post-census revision" in fit.notes[-1]
    np.testing.assert_allclose(_region_fit(panel, "hebei", history, "main").paths, 1.6)
    assert region_paths(panel, "hebei")[1] == []
