"""Units as bureaus write them: the one alias table, and the conversion to the indicator's unit key.

Statistical bulletins and Excel sheets write units in Chinese or with symbols (``%``,
``家``, ``亿元``, ``万元``, ``万人``). Each indicator has one unit key
(``data/indicators.csv``: ``percent``, ``firms``, ``100m_yuan``, ``10k_persons``, ...);
a figure written in an alias of that key is accepted and converted:

    value_in_key_unit = value_as_written * factor

where `factor` is the alias's row in `ALIASES` for the indicator's key (``万元`` is
10,000 yuan, so ``factor = 1e-4`` to 100 million yuan). One alias may stand for
several keys (``家`` counts firms, agencies or organisations; ``项`` projects or
items): the indicator's key decides which row applies. Aliases are compared after
Unicode NFKC normalisation (full-width ``％`` is ``%``) with spaces removed.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass


@dataclass(frozen=True)
class UnitAlias:
    """A unit as written (`alias`) standing for `key`: value_in_key = value_as_written * factor."""

    alias: str
    key: str
    factor: float = 1.0


def _rows(key: str, *aliases: str | tuple[str, float]) -> list[UnitAlias]:
    return [UnitAlias(a, key) if isinstance(a, str) else UnitAlias(a[0], key, a[1]) for a in aliases]


ALIASES: tuple[UnitAlias, ...] = tuple(
    _rows("percent", "%", "百分比", "pct")
    + _rows("firms", "家", "户", "家企业", "个企业")
    + _rows("firms_per_year", "家/年", "户/年", "家", "户")
    + _rows("100m_yuan", "亿元", "亿", ("万元", 1e-4), ("元", 1e-8), ("千万元", 0.1), ("百万元", 0.01), ("万亿元", 1e4))
    + _rows("10k_persons", "万人", ("人", 1e-4))
    + _rows("persons", "人", "名", "位", ("万人", 1e4))
    + _rows("person_times_per_year", "人次", "人次/年", ("万人次", 1e4))
    + _rows("10k_yuan_per_person", "万元/人", ("元/人", 1e-4), ("元", 1e-4))
    + _rows("per_10k_people", "件/万人", "个/万人", "人/万人", "件每万人")
    + _rows("per_10k_employed", "人年/万人")
    + _rows("platforms", "个", "家", "座", "处")
    + _rows("zones", "个", "家", "处")
    + _rows("counties", "个", "县")
    + _rows("agencies", "家", "个")
    + _rows("organizations", "家", "个")
    + _rows("funds", "支", "只", "个")
    + _rows("teams", "个", "支")
    + _rows("projects_per_year", "项", "项/年", "个")
    + _rows("items", "项", "个", "件", "期")
    + _rows("items_per_year", "项", "件", "项/年", "件/年", "个")
    + _rows("per_county", "个/县")
    + _rows("per_university", "个/所")
    + _rows("per_park", "个/园区")
    + _rows("tce_per_10k_yuan", "吨标准煤/万元", "吨标煤/万元")
    + _rows("ug_per_m3", "微克/立方米", "μg/m3", "ug/m3")
    + _rows("rank_places", "位", "名", "位次")
)
"""Every accepted way of writing a unit key, with its factor to the key (1 unless stated)."""

_BY_KEY: dict[tuple[str, str], UnitAlias] = {}
for _row in ALIASES:
    _BY_KEY.setdefault((unicodedata.normalize("NFKC", _row.alias), _row.key), _row)


def normalise(unit: str) -> str:
    """A unit as written, compared form: NFKC (full-width to ASCII, µ to μ, ³ to 3), no spaces."""
    return "".join(unicodedata.normalize("NFKC", str(unit)).split())


def alias_for(unit: str, key: str) -> UnitAlias | None:
    """The alias row converting `unit` (as written) to the unit key `key`; None if it is not one."""
    return _BY_KEY.get((normalise(unit), key))


def aliases_of(key: str) -> list[str]:
    """The ways of writing `key` that are accepted, for messages."""
    return [row.alias for row in ALIASES if row.key == key]


def describe(row: UnitAlias) -> str:
    """'value / 10,000' or 'value x 100' or 'same value', for notes."""
    if row.factor == 1:
        return "same value"
    if row.factor < 1:
        return f"value / {1 / row.factor:,.0f}"
    return f"value x {row.factor:,.0f}"
