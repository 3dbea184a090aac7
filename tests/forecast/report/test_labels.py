"""Labels from the bundle's tables, in Chinese and English; Chinese charts drawn with every glyph found."""

import re
import warnings

import matplotlib
import numpy as np
import pandas as pd
import pytest
from matplotlib import font_manager

from forecast.inputs.bundle import load_inputs
from forecast.inputs.targets import Target
from forecast.report.charts import plot_fan
from forecast.report.fonts import CJK_FAMILY
from forecast.report.labels import default_language, labels_for, number_text

matplotlib.use("Agg")

LANGFANG_2025 = Target(
    target_id="langfang-2025-high_tech_enterprises",
    region="langfang",
    indicator="high_tech_enterprises",
    comparator="at_least",
    target_year=2025,
    target_value=1500,
    unit="firms",
)
CODE_KEY = re.compile(r"[a-z]+_[a-z_]+")


@pytest.fixture(scope="module")
def inputs():
    return load_inputs()


def test_targets_in_words_from_the_tables(inputs):
    zh, en = labels_for(inputs, "zh"), labels_for(inputs, "en")
    assert zh.target(LANGFANG_2025) == "廊坊市 高新技术企业 ≥ 1,500 家（2025年）"
    assert en.target(LANGFANG_2025) == "Langfang: Certified high-tech enterprises (stock) ≥ 1,500 firms by 2025"
    # the plan's own phrase (targets.csv, phrase_zh) marks the target on a Chinese chart
    assert zh.target_marker(LANGFANG_2025) == "规划目标：高新技術企業由905家增長到1500家"
    growth = LANGFANG_2025.model_copy(
        update={
            "comparator": "growth_rate_per_year",
            "indicator": "rd_expenditure",
            "base_year": 2020,
            "target_value": 10,
        }
    )
    assert zh.target(growth) == "廊坊市 R&D经费 年均增长 ≥ 10%（2020–2025年）"


def test_no_code_key_in_any_catalogue_target_label(inputs):
    from forecast.inputs.catalogue import catalogue_target, is_forecastable

    rows = inputs.catalogue[inputs.catalogue.apply(is_forecastable, axis=1)]
    for lang in ("zh", "en"):
        labels = labels_for(inputs, lang)
        for _, row in rows.iterrows():
            target = catalogue_target(row)
            text = labels.target(target) + labels.target_marker(target) + labels.axis(target.indicator, target.unit)
            assert not CODE_KEY.search(text), text
            assert target.region not in text and target.indicator not in text


def test_garbled_catalogue_phrase_is_not_shown(inputs):
    zh = labels_for(inputs, "zh")
    garbled = LANGFANG_2025.model_copy(update={"target_id": "langfang-2025-tech_smes"})
    assert "?" in inputs.catalogue.set_index("target_id").loc["langfang-2025-tech_smes", "phrase_zh"]
    assert zh.phrase(garbled) is None and "?" not in zh.target_marker(garbled)


def test_chinese_by_default_for_regions_in_china(inputs):
    assert default_language("langfang", inputs.regions) == "zh"
    assert default_language(list(inputs.regions["region"]), inputs.regions) == "zh"
    outside = pd.concat([inputs.regions, pd.DataFrame([{"region": "bavaria", "parent": None}])])
    assert default_language(["langfang", "bavaria"], outside) == "en"


def test_numbers_as_people_write_them():
    assert number_text(1500.0) == "1,500" and number_text(2.76) == "2.76" and number_text(1e6) == "1,000,000"


def _fan(labels):
    rng = np.random.default_rng(5)
    years = np.arange(2020, 2026)
    paths = 900 * np.exp(0.1 * (years - 2020)) * rng.lognormal(0, 0.05, size=(2, 40, years.size))
    history = pd.DataFrame({"year": [2019, 2020, 2021], "value": [800.0, 905.0, 1000.0], "flag": ["", "", "bound"]})
    return plot_fan(
        years,
        paths,
        history,
        LANGFANG_2025,
        0.42,
        0.01,
        outcome=1400.0,
        cutoff=2021,
        status="WARNING: x",
        labels=labels,
    )


def test_chinese_fan_chart_finds_every_glyph(inputs):
    """Rendered with Agg, a missing glyph is a UserWarning ('Glyph ... missing from font(s) ...'): none may occur,
    and the title is set in the CJK font shipped with the package."""
    labels = labels_for(inputs, "zh")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # every warning, the missing-glyph one included, fails the test
        fig = _fan(labels)
        fig.canvas.draw()
    ax = fig.axes[0]
    texts = [ax.title, ax.xaxis.label, ax.yaxis.label, *ax.get_legend().get_texts(), *ax.texts]
    assert "廊坊市 高新技术企业 ≥ 1,500 家（2025年）" in ax.get_title()
    assert ax.get_ylabel() == "高新技术企业（家）" and ax.get_xlabel() == "年份"
    assert any("规划目标" in t.get_text() for t in ax.get_legend().get_texts())
    for text in texts:
        assert not CODE_KEY.search(text.get_text().replace("WARNING: x", "")), text.get_text()
        assert text.get_fontfamily()[0] == CJK_FAMILY
    used = font_manager.findfont(ax.title.get_fontproperties(), fallback_to_default=False)
    assert font_manager.get_font(used).family_name == CJK_FAMILY
    assert "noto_cjk_sans_otc" in str(used)


def test_a_missing_glyph_would_be_caught(inputs):
    """The check above can fail: text in a font without Chinese glyphs warns."""
    fig = _fan(labels_for(inputs, "zh"))
    fig.axes[0].set_title("高新技术企业", fontfamily="DejaVu Sans")
    with pytest.warns(UserWarning, match="missing from font"):
        fig.canvas.draw()


def test_english_fan_chart_has_words_not_keys(inputs):
    fig = _fan(labels_for(inputs, "en"))
    ax = fig.axes[0]
    assert ax.get_title().startswith("Langfang: Certified high-tech enterprises (stock) ≥ 1,500 firms by 2025")
    assert ax.get_ylabel() == "Certified high-tech enterprises (stock) (firms)"
    for text in [ax.title, *ax.get_legend().get_texts()]:
        assert not CODE_KEY.search(text.get_text()), text.get_text()


def test_every_bundled_scenario_has_a_title_in_both_languages(inputs):
    from forecast.inputs.bundled import bundled_scenarios
    from forecast.report.labels import scenario_names
    from forecast.scenario import load_scenario

    for path in bundled_scenarios().values():
        spec = load_scenario(path)[0]
        names = scenario_names(spec, inputs)
        assert names["en"] == spec.name and spec.name_zh and names["zh"] == spec.name_zh, path.name
        assert re.search(r"[\u4e00-\u9fff]", names["zh"]) and not CODE_KEY.search(names["zh"]), path.name


def test_a_scenario_without_a_chinese_title_is_named_by_its_region_model_and_levers(inputs):
    from forecast.report.labels import scenario_names
    from forecast.scenario import Scenario

    spec = Scenario(
        name="mine",
        region="langfang",
        horizon=2025,
        targets=[{"ref": "langfang-2025-high_tech_enterprises"}],
        models={"ladder": {"runs": 10}},
        levers=[{"lever": "certification_reward", "size": 20, "start": 2021, "end": 2025}],
        seed=1,
    )
    names = scenario_names(spec, inputs)
    # the region's and the lever's names from data/regions.csv and data/ladder_factors.csv, the unit without its remark
    assert names == {
        "en": "mine",
        "zh": "廊坊市，至 2025 年：培育梯队模型（高新技术企业首次认定奖励 20 万元/家 2021–2025年）",
    }
    zh, en = labels_for(inputs, "zh"), labels_for(inputs, "en")
    assert zh.scenario(names) == names["zh"] and en.scenario(names) == "mine"
    assert zh.scenario({"en": "only English"}) == "only English" and en.scenario("kept as it was") == "kept as it was"
    # a name written in Chinese is the Chinese title (and stays the English one: the file gives no other)
    chinese = spec.model_copy(update={"name": "无锡 基线"})
    assert scenario_names(chinese, inputs) == {"en": "无锡 基线", "zh": "无锡 基线"}
