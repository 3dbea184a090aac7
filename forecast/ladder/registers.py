"""Which register the ladder's tech-SME count stands for, and whether a target names the same one.

The ladder's registry (`models.ladder` column ``tech_sme_registered``) starts from a
region's tech-SME figure in the scenario's series and is calibrated on the ``main``
series; `data/registers.csv` (`forecast.inputs.registers`) says which register each series
counts (``provincial`` recognition or the ``national`` evaluation registry) and whether it
takes in certified firms (``yes``, ``no``, ``unknown``).

Inclusion of certified firms (``models.ladder.register_includes_certified``)::

    false (the reading when the data say unknown): figure F = registered SMEs only
        start   tech_sme = F
        output  tech_smes = tech_sme_registered
    true: F counts the certified firms of SME size too
        start   tech_sme = F - hte          (every certified firm taken as SME-sized at the start)
        output  tech_smes = tech_sme_incl_hte  (registered + certified firms within the SME size limits)

A scenario setting wins over the data; where the data say ``unknown`` and the scenario is
silent, the first reading is an assumption and the run says so. The calibration reads
the register without certified firms (its observation model); a run that assumes the
other reading on calibrated rates is told so.

A target is judged only against its own register: a target whose indicator's register
(its ``main`` series) is not the ladder's is refused with both named; a start series whose
register differs from the calibration's draws a note.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import pandas as pd

from forecast.inputs.registers import register_of
from forecast.ladder.start import StartState

SME_INDICATOR = "tech_smes"
INCLUDED_COLUMN = "tech_sme_incl_hte"
NAMES = {"provincial": "provincial recognition (省级)", "national": "national evaluation registry (评价入库)"}


@dataclass(frozen=True)
class RegisterReading:
    """The register the ladder's tech-SME count stands for and how it is read."""

    register: str | None
    includes_certified: bool
    assumed: bool
    notes: tuple[str, ...] = ()


def read_register(
    registers: pd.DataFrame | None, start_series: str, calibrated: bool, setting: bool | None
) -> RegisterReading:
    """The ladder's register reading (module docstring); ``calibrated``: its rates come from a calibration."""
    row = register_of(registers, SME_INDICATOR, start_series)
    if row is None:
        return RegisterReading(None, bool(setting), False, ())
    stated = {"yes": True, "no": False}.get(row["includes_certified"])
    includes = stated if setting is None and stated is not None else bool(setting)
    assumed = setting is None and stated is None
    notes = [f"tech-SME register: {NAMES[row['register']]} (series '{start_series}', data/registers.csv)"]
    if assumed:
        notes.append(
            "assumed: the register's figures count tech SMEs without certified firms (data/registers.csv: not stated; "
            "set models.ladder.register_includes_certified to switch)"
        )
    elif setting is not None:
        notes.append(f"scenario: the register {'includes' if includes else 'excludes'} certified firms")
    calibrated_row = register_of(registers, SME_INDICATOR, "main")
    if calibrated and calibrated_row is not None:
        if calibrated_row["register"] != row["register"]:
            notes.append(
                f"warning: the ladder starts from the {NAMES[row['register']]} but its rates are calibrated on the "
                f"{NAMES[calibrated_row['register']]}"
            )
        if includes:
            notes.append("warning: the calibration reads the register without certified firms; this run includes them")
    return RegisterReading(str(row["register"]), includes, assumed, tuple(notes))


def register_problem(reading: RegisterReading | None, registers: pd.DataFrame | None, indicator: str) -> str:
    """Why a target on `indicator` cannot be judged against the ladder's register ('' if it can)."""
    row = register_of(registers, indicator)
    if reading is None or reading.register is None or row is None or row["register"] == reading.register:
        return ""
    return (
        f"the target counts the {NAMES[row['register']]}, the ladder's tech-SME figures the "
        f"{NAMES[reading.register]}: not the same register"
    )


def counted_start(start: StartState, register: RegisterReading) -> StartState:
    """The start with certified firms taken out of the tech-SME figure when the register includes them."""
    if not register.includes_certified or "tech_sme" not in start.counts:
        return start
    sme = max(0, start.counts["tech_sme"] - start.counts.get("hte", 0))
    source = f"{start.sources['tech_sme']} less the {start.counts.get('hte', 0):,} certified firms the register counts"
    return replace(start, counts={**start.counts, "tech_sme": sme}, sources={**start.sources, "tech_sme": source})
