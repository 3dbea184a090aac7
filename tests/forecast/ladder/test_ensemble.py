"""Running ensembles: memory refused with the fix, Ctrl-C keeps finished batches and the same call resumes
with the same numbers, Dask workers give the numbers of one process (synthetic small cities)."""

from __future__ import annotations

from contextlib import contextmanager
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from forecast.cache import BatchStore
from forecast.errors import InputError
from forecast.ladder.ensemble import EnsembleInterrupted, check_memory, executor, run_batches
from forecast.progress import Message, message
from forecast.report.labels import ENGLISH, Labels
from models.ladder import LadderParams, LeverSetting
from models.ladder.run import assemble, ensemble_jobs

CITY = dict(stage_counts={"hte": 60, "tech_sme": 600, "startup": 240}, start_year=2020, end_year=2023)
LEVERS = (LeverSetting("certification_reward", 20.0, 2021),)


class Notes:
    """A reporter that keeps its notes (in English words) and counts progress."""

    def __init__(self) -> None:
        self.notes: list[str] = []
        self.advanced = 0

    def note(self, message: Message) -> None:
        self.notes.append(ENGLISH.message(message))

    @contextmanager
    def progress(self, total, desc):
        def advance(n=1):
            self.advanced += n

        yield advance


def jobs(n_runs=12, batch_size=3):
    draws = [LadderParams(pass_rate=p) for p in np.linspace(0.5, 0.8, n_runs)]
    return ensemble_jobs(
        n_runs=n_runs, seed=np.random.SeedSequence(7), param_draws=draws, batch_size=batch_size, levers=LEVERS, **CITY
    )


def test_interrupted_ensemble_resumes_with_the_same_numbers(tmp_path):
    store, batches = BatchStore(tmp_path / "ensembles"), jobs()
    whole = assemble(batches, run_batches(batches))

    def stop_after_second(i):
        if i == 1:
            raise KeyboardInterrupt

    with pytest.raises(EnsembleInterrupted) as stopped:
        run_batches(batches, store=store, on_batch=stop_after_second)
    assert (stopped.value.done_runs, stopped.value.total_runs) == (6, 12)
    assert "6 of 12 runs saved" in str(stopped.value) and "run the same command again" in str(stopped.value)
    assert len(list(store.folder.glob("batch-*.npy"))) == 2

    notes = Notes()
    resumed = assemble(batches, run_batches(batches, store=store, reporter=notes))
    assert any("resumed, 6 of 12 runs loaded" in n for n in notes.notes) and notes.advanced == 12
    for name in ("hte_certified", "tech_sme_registered", "certifications_listed", "param_pass_rate"):
        np.testing.assert_array_equal(resumed[name].values, whole[name].values, err_msg=name)
    assert list(store.folder.glob("batch-*.npy")) == []  # a whole ensemble keeps nothing


def test_a_batch_key_changes_with_anything_its_numbers_depend_on():
    a, b = jobs()[0], jobs()[1]
    other_levers = ensemble_jobs(n_runs=12, seed=np.random.SeedSequence(7), batch_size=3, **CITY)[0]
    other_seed = jobs()[0].__class__(**{**vars(a), "seeds": tuple(np.random.SeedSequence(8).spawn(3))})
    assert len({a.key(), b.key(), other_levers.key(), other_seed.key()}) == 4 and a.key() == jobs()[0].key()


def test_a_damaged_saved_batch_is_run_again(tmp_path):
    store, batches = BatchStore(tmp_path), jobs(n_runs=3, batch_size=3)
    store.path(batches[0].key()).write_bytes(b"not a numpy file")
    cubes = run_batches(batches, store=store)
    np.testing.assert_array_equal(cubes[0], run_batches(batches)[0])


def _plan(runs, batch_size=None, workers=1):
    start = SimpleNamespace(counts=CITY["stage_counts"], year=2020)
    return SimpleNamespace(
        name="synthetic city",
        runs=runs,
        start=start,
        end_year=2023,
        base=LadderParams(),
        params=pd.DataFrame(index=range(runs)),
        levers=LEVERS,
        firm_scale=1,
        workers=workers,
        scheduler=None,
        batch_size=batch_size,
        engine="array",
    )


def test_memory_is_noted_and_a_plan_that_does_not_fit_is_refused_with_the_fix():
    notes = Notes()
    fine = check_memory(_plan(100, batch_size=50), notes, available=8 * 2**30)
    assert "estimated memory about" in notes.notes[0] and fine.batch_runs == 50
    assert "预计内存峰值" in Labels(lang="zh").message(
        message("note_memory", scenario="s", runs=1, gib="0.1", processes=1, batch=1, agents="10", engine="array")
    )
    with pytest.raises(InputError) as refused:
        check_memory(_plan(100, batch_size=50, workers=2), notes, available=fine.peak_bytes / 2)
    text = refused.value.render()
    assert "--batch-size" in text and "--workers" in text and "GiB are free" in text
    with pytest.raises(InputError, match="firm_scale"):
        check_memory(_plan(100, batch_size=1), notes, available=1000.0)


def test_two_dask_workers_give_the_numbers_of_one_process():
    """A LocalCluster of two worker processes on loopback against this process alone (about 20 s, most of it
    starting the workers)."""
    batches = jobs(n_runs=8, batch_size=2)
    alone = assemble(batches, run_batches(batches))
    with executor(2) as client:
        assert len(client.scheduler_info()["workers"]) == 2
        spread = assemble(batches, run_batches(batches, workers=2))
    for name in ("hte_certified", "tech_sme_registered", "rd_spending"):
        np.testing.assert_array_equal(spread[name].values, alone[name].values, err_msg=name)


def test_a_batch_goes_to_the_worker_that_ran_its_runs_before():
    """Batch b of every ensemble of a command to worker b mod n (loosely: another worker may take it)."""
    from forecast.ladder.ensemble import _placement

    first = _placement(jobs(n_runs=7, batch_size=2), ["tcp://b", "tcp://a"])
    assert [p["workers"] for p in first] == [["tcp://b"], ["tcp://a"], ["tcp://b"], ["tcp://a"]]
    assert all(p["allow_other_workers"] for p in first)
    other = jobs(n_runs=7, batch_size=2)[::-1]  # another ensemble of the same runs, in any order
    assert [p["workers"] for p in _placement(other, ["tcp://b", "tcp://a"])][::-1] == [p["workers"] for p in first]
    assert _placement(jobs(n_runs=4, batch_size=2), ["tcp://a"]) == [{}, {}]
