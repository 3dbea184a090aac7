"""The posterior cache reads a saved posterior once per process while its file is unchanged."""

from __future__ import annotations

import os

import arviz as az
import numpy as np

from forecast.cache import PosteriorCache


def _posterior(value: float) -> az.InferenceData:
    return az.from_dict(posterior={"x": np.full((1, 3), value)})


def test_a_posterior_is_read_once_while_its_file_is_unchanged(tmp_path):
    cache = PosteriorCache(tmp_path)
    assert cache.load("fit.nc") is None
    cache.save("fit.nc", _posterior(1.0))
    first = cache.load("fit.nc")
    assert cache.load("fit.nc") is first and float(first.posterior["x"].mean()) == 1.0
    cache.save("fit.nc", _posterior(2.0))  # a refit replaces the file: read again
    os.utime(cache.path("fit.nc"), ns=(0, 1))  # a different modification time even within the clock's resolution
    again = cache.load("fit.nc")
    assert again is not first and float(again.posterior["x"].mean()) == 2.0
