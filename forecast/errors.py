"""Input problems reported the way a planner can act on them.

Every check at the edge (data files, the target catalogue, scenario files, command
options) collects `Problem`s instead of stopping at the first one, then raises one
`InputError` holding all of them. The CLI prints them and exits with code 2 before
anything is written.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input: where it is, what is wrong, how to fix it."""

    file: str
    where: str
    what: str
    fix: str = ""

    def __str__(self) -> str:
        text = f"{self.file}, {self.where}: {self.what}"
        return f"{text}. Fix: {self.fix}" if self.fix else text


class InputError(Exception):
    """Raised with every problem found in one input."""

    def __init__(self, problems: Iterable[Problem]):
        self.problems = list(problems)
        super().__init__(self.render())

    def render(self) -> str:
        count = len(self.problems)
        head = f"{count} problem{'s' if count != 1 else ''} found:"
        return "\n".join([head, *(f"  - {p}" for p in self.problems)])


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """A 'did you mean' hint for a misspelt key, or a list of valid keys."""
    choices = sorted(set(choices))
    close = difflib.get_close_matches(str(word), choices, n=1, cutoff=0.6)
    if close:
        return f"did you mean '{close[0]}'?"
    shown = ", ".join(choices[:12]) + (", ..." if len(choices) > 12 else "")
    return f"valid values: {shown}"


def raise_if(problems: list[Problem]) -> None:
    if problems:
        raise InputError(problems)
