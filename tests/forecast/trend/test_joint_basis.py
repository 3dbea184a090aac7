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
    single = PanelForecast("rd_intensity", 2017, 2018, {"hebei": np.array([2017, 2018])}, {"hebei": paths},
                           {"hebei": None}, {"hebei": "trend"}, {"hebei": []})  # fmt: skip
    fit = _region_fit(single, "hebei", history, "main", earlier=True)  # a fit without a basis term says so
    np.testing.assert_allclose(fit.paths, 1.6)
    assert "no basis term" in fit.notes[-1] and "current basis" in fit.notes[-1]


def test_the_implied_growth_starts_on_the_trajectories_basis():
    """A forecast from Hebei's 2018 intensity (1.39, on the GDP before the revision) of a later figure, on the current
    basis: the implied growth starts from the trajectories' 2018 median (current basis), not from 1.39, which would
    count the revision as growth; trajectories on the earlier basis start from the figure (real bundled data)."""
    from forecast.trend.fits import PanelForecast
    from forecast.trend.pipeline import TargetResult, _growth_start, _region_fit

    history = load_history()
    years, paths = np.array([2018, 2019]), np.stack([np.full((2, 3), 1.54), np.full((2, 3), 1.6)], axis=-1)
    shift = {"hebei": np.log(np.full((2, 3), 0.9))}
    panel = PanelForecast("rd_intensity", 2018, 2019, {"hebei": years}, {"hebei": paths}, {"hebei": None},
                          {"hebei": "joint"}, {"hebei": []}, basis_shift=shift)  # fmt: skip
    fit = _region_fit(panel, "hebei", history, "main")
    latest = fit.observations.sort_values("year").iloc[-1]
    assert int(latest["year"]) == 2018 and "pre_revision_gdp" in latest["flag"]
    result = TargetResult(None, fit, 2018, None, None, None, 2018, float(latest["value"]))
    assert _growth_start(result, on_earlier_basis=False) == (2018, 1.54)
    assert _growth_start(result, on_earlier_basis=True) == (2018, float(latest["value"]))
