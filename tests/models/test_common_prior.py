"""Priors of the common-growth models by the indicator's family, and tau_child's zero-avoiding prior.

The panels here are SYNTHETIC (made up for the tests); the catalogue rows are written
out by hand in the form of data/indicators.csv.
"""

import numpy as np
import pytest
from scipy import stats

from models.common_prior import FAMILIES, PRIORS, child_gamma, family_of, priors_for
from models.common_trend import build_common_model
from models.joint_trend import JointPanel, build_joint_model
from models.panel import EXACT, PanelData


@pytest.mark.parametrize(
    ("kind", "unit", "family"),
    [
        ("stock", "firms", "count"),
        ("flow", "firms_per_year", "count"),
        ("stock", "platforms", "count"),
        ("density", "per_10k_people", "count"),  # patents per 10,000 people: grows like a count
        ("amount", "100m_yuan", "money"),
        ("density", "10k_yuan_per_person", "money"),  # GDP per person
        ("density", "tce_per_10k_yuan", "count"),  # energy per 10,000 yuan: yuan in the denominator only
        ("percent", "percent", "percent"),
    ],
)
def test_family_follows_kind_and_unit(kind, unit, family):
    assert family_of(kind, unit) == family


def test_every_family_has_priors_and_shocks_shrink_from_counts_to_money_to_percentages():
    assert set(PRIORS) == set(FAMILIES)
    assert PRIORS["percent"].common_sd < PRIORS["money"].common_sd < PRIORS["count"].common_sd


def synthetic_panel(scale: str = "log", family: str = "", parents: bool = True) -> PanelData:
    """Two regions, a province and its city, five years each (SYNTHETIC)."""
    years = np.tile(np.arange(2015, 2020), 2)
    z = np.concatenate([np.log(100 * 1.05 ** np.arange(5)), np.log(10 * 1.08 ** np.arange(5))])
    if scale == "logit":
        z = z - 8.0
    parent = np.array([-1, 0]) if parents else np.array([-1, -1])
    return PanelData(("prov", "city"), parent, np.repeat([0, 1], 5), years, z, np.full(10, EXACT), scale, 2019, family)


@pytest.mark.parametrize(
    ("scale", "family", "expected"),
    [("log", "money", "money"), ("log", "count", "count"), ("log", "", "count"), ("logit", "", "percent")],
)
def test_a_panel_gets_its_family_priors_and_the_model_uses_them(scale, family, expected):
    data = synthetic_panel(scale, family)
    assert priors_for(data) == PRIORS[expected]
    model = build_common_model(data)
    sigma_c = model["sigma_common"]
    logp = model.compile_logp(vars=[sigma_c], sum=True, jacobian=False)
    point = model.initial_point()
    at = 0.03
    point[model.rvs_to_values[sigma_c].name] = np.log(at)  # the log-transformed value
    want = stats.lognorm(s=0.5, scale=PRIORS[expected].common_sd).logpdf(at)
    assert logp(point) == pytest.approx(want, rel=1e-6)


def test_tau_child_prior_avoids_zero_and_keeps_the_former_median():
    diff_sd = PRIORS["count"].diff_sd
    alpha, beta = child_gamma(diff_sd)
    gamma = stats.gamma(alpha, scale=1 / beta)
    former = stats.halfnorm(scale=diff_sd / 2)
    assert gamma.median() == pytest.approx(former.median(), rel=0.03)
    assert gamma.pdf(0.0) == 0.0 and gamma.pdf(1e-5) < 0.01 * gamma.pdf(gamma.median())  # the half-normal:
    assert former.pdf(0.0) > former.pdf(former.median())  # highest at zero


def test_both_models_give_tau_child_the_gamma_prior():
    data = synthetic_panel(family="money")
    model = build_common_model(data)
    assert model["tau_child"].owner.op.name == "gamma"
    value = 0.02
    logp = model.compile_logp(vars=[model["tau_child"]], sum=True, jacobian=False)
    point = model.initial_point()
    point[model.rvs_to_values[model["tau_child"]].name] = np.log(value)
    alpha, beta = child_gamma(PRIORS["money"].diff_sd)
    assert logp(point) == pytest.approx(stats.gamma(alpha, scale=1 / beta).logpdf(value), rel=1e-6)
    rows = np.array([(r, y, i) for r in range(2) for y in range(2015, 2020) for i in range(3)])
    z = np.log(1000.0) + 0.05 * (rows[:, 1] - 2015) + np.choose(rows[:, 2], [0.0, -6.0, -4.6])
    joint = JointPanel(
        ("prov", "city"), np.array([-1, 0]), rows[:, 0], rows[:, 1], z, np.full(len(rows), EXACT), rows[:, 2],
        ("gdp", "rd_intensity", "rd_expenditure"), np.array([[1, 0], [0, 1], [1, 1]]), np.array([0.0, 0.0, -4.6]),
        (0.05, 0.03, 0.05), ("gdp", "rd_intensity"), (PRIORS["money"], PRIORS["percent"]), 2019,
    )  # fmt: skip
    model = build_joint_model(joint)
    assert model["tau_child"].owner.op.name == "gamma"
    logp = model.compile_logp(vars=[model["tau_child"]], sum=True, jacobian=False)
    point = model.initial_point()
    point[model.rvs_to_values[model["tau_child"]].name] = np.log([value, value])
    alpha, betas = child_gamma(np.array([PRIORS["money"].diff_sd, PRIORS["percent"].diff_sd]))
    want = sum(stats.gamma(alpha, scale=1 / b).logpdf(value) for b in betas)
    assert logp(point) == pytest.approx(want, rel=1e-6)
