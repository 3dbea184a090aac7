"""One source for Python and compiled code: rule and behaviour functions numba can call.

``@compilable`` leaves a function a plain Python function (numpy arrays or scalars
in, the same shape out, as `rules` and `behaviour` are written) and registers it
with numba (`numba.extending.overload`), so a ``numba.njit`` function that calls
it compiles the same source for the argument types it passes: the scalars of one
firm in `kernel`'s step. Python callers (the mean-field, the population draw, the
Mesa reference's eligibility tests, the tests) keep calling it on arrays. A
compilable function may call other compilable functions; it may not use what
numba lacks for scalars (``np.clip``, ``sum`` over a generator, Python objects).

Numba's cache (``cache=True``) checks only the file of the function it caches,
not of the functions compiled into it. `sources_digest` hashes the files that are
compiled into `kernel`'s entry points; the kernel puts it in their closure, which
numba's cache key includes, so an edit to a rule recompiles them (a few seconds,
then cached again) instead of running the old rule.
"""

from __future__ import annotations

import functools
import hashlib
import inspect
from collections.abc import Callable
from types import ModuleType
from typing import TypeVar

from numba.extending import overload

F = TypeVar("F", bound=Callable)


def compilable(func: F) -> F:
    """Register `func` for numba-compiled callers (same source, compiled per argument types); return it unchanged."""

    @functools.wraps(func)  # numba reads the signature (names, defaults) through __wrapped__
    def typer(*args, **kwargs):
        return func

    overload(func)(typer)
    return func


def sources_digest(*modules: ModuleType) -> str:
    """sha256 of the modules' source files, in order (the key of the compiled code built from them)."""
    digest = hashlib.sha256()
    for module in modules:
        digest.update(inspect.getsource(module).encode())
    return digest.hexdigest()
