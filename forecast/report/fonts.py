"""Fonts of the charts: Chinese text is set in Noto Sans CJK SC, shipped by the ``noto-cjk-sans-otc`` package
(SIL Open Font License 1.1) and registered with matplotlib's font manager the first time a Chinese chart is drawn
(`font_family`); whatever it lacks falls back to matplotlib's own DejaVu Sans."""

from __future__ import annotations

import functools
from importlib.resources import as_file, files
from typing import Literal

Lang = Literal["zh", "en"]
CJK_FAMILY = "Noto Sans CJK SC"
FALLBACK_FAMILY = "DejaVu Sans"  # matplotlib's own font: whatever the CJK font lacks


@functools.cache
def register_cjk_font() -> str:
    """Add Noto Sans CJK (the ``noto-cjk-sans-otc`` package's font collection) to matplotlib's font manager once;
    return the Simplified Chinese family's name."""
    from matplotlib import font_manager

    resource = files("noto_cjk_sans_otc").joinpath("NotoSansCJK-Regular.ttc")
    with as_file(resource) as path:  # a real file wherever the package is installed (not zipped)
        font_manager.fontManager.addfont(str(path))
    if not any(f.name == CJK_FAMILY for f in font_manager.fontManager.ttflist):
        raise RuntimeError(f"{CJK_FAMILY} is not in {resource}; reinstall noto-cjk-sans-otc")
    return CJK_FAMILY


def font_family(lang: Lang) -> list[str]:
    """matplotlib ``font.family`` for a language: for Chinese the CJK font first, DejaVu Sans for what it lacks; for
    English the other way round (a scenario's own name may still hold Chinese)."""
    families = [register_cjk_font(), FALLBACK_FAMILY]
    return families if lang == "zh" else families[::-1]
