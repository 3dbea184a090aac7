import matplotlib
import numpy as np
import pandas as pd

from forecast.inputs.targets import Target
from forecast.report.charts import plot_fan

matplotlib.use("Agg")


def test_fan_chart_marks_target_outcome_and_probability():
    rng = np.random.default_rng(3)
    years = np.arange(2018, 2024)
    paths = 100 * np.exp(0.1 * (years - 2018)) * rng.lognormal(0, 0.05, size=(2, 50, years.size))
    history = pd.DataFrame(
        {"year": [2018, 2019, 2020], "value": [100.0, 110.0, 121.0], "flag": ["", "non_year_end", ""]}
    )
    target = Target(
        target_id="t",
        region="langfang",
        indicator="high_tech_enterprises",
        comparator="at_least",
        target_year=2023,
        target_value=170,
        unit="firms",
    )
    fig = plot_fan(
        years, paths, history, target, 0.42, 0.01, outcome=160.0, cutoff=2020, status="WARNING: R-hat 1.05 > 1.01"
    )
    ax = fig.axes[0]
    assert "P(met) = 0.42" in ax.get_title()
    labels = [line.get_label() for line in ax.get_lines()]
    assert any(label.startswith("target") for label in labels) and "outcome 160" in labels
    star = next(line for line in ax.get_lines() if line.get_label().startswith("target"))
    assert star.get_xdata()[0] == 2023 and star.get_ydata()[0] == 170
    assert len(ax.collections) == 3  # the 95%, 80% and 50% bands
    assert any("R-hat" in text.get_text() for text in ax.texts)
