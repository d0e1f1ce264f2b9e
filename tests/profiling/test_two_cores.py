"""Speed from the cores you have: a forked copy shares the fits, with the same numbers as one process."""
import os
import time

import numpy as np
import pandas as pd

from datasets.profiling import parallel as engine
from datasets.profiling import profile_frame


def _table(rows: int = 3000) -> pd.DataFrame:
    rng = np.random.default_rng(2)
    frame = pd.DataFrame(rng.normal(size=(rows, 8)), columns=[f"x{i}" for i in range(8)])
    frame["label"] = np.where(frame["x0"] - frame["x1"] + rng.normal(size=rows) > 0, "a", "b")
    return frame


def test_two_cores_give_the_same_numbers_as_one(monkeypatch):
    forks = []
    real_forked = engine._forked
    monkeypatch.setenv("COURSEPROJ_PROFILE_CORES", "2")
    monkeypatch.setattr(engine.threading, "active_count", lambda: 1)
    monkeypatch.setattr(engine, "_forked", lambda work: forks.append(1) or real_forked(work))
    two = profile_frame(_table(), target="label", time_budget=300)
    assert len(forks) == 2  # the baselines, then the learning curve's fits
    monkeypatch.setenv("COURSEPROJ_PROFILE_CORES", "1")
    one = profile_frame(_table(), target="label", time_budget=300)
    assert len(forks) == 2
    strip = lambda p: [{k: v for k, v in b.items() if k != "fit_seconds"} for b in p["baselines"]]  # noqa: E731
    assert strip(two) == strip(one) and len(two["baselines"]) == 8
    assert two["learning_curve"] == one["learning_curve"]
    assert two["baseline_to_beat"] == one["baseline_to_beat"]


def test_both_processes_take_fits_from_opposite_ends():
    def work(item, here):
        time.sleep(0.1)
        return item, os.getpid(), here

    results = engine.shared_map(list(range(8)), work, parallel=True)
    assert [item for item, _, _ in results] == list(range(8))
    here = [flag for _, _, flag in results]
    assert here[0] is True and here[-1] is False  # the cheap end here, the expensive end in the copy
    assert here == sorted(here, reverse=True)  # they met in the middle
    assert len({pid for _, pid, _ in results}) == 2


def test_what_a_dead_copy_left_undone_is_done_here():
    def work(item, here):
        if not here:
            os._exit(3)  # the copy dies (e.g. killed for memory) on its first fit
        return item * 10

    assert engine.shared_map(list(range(5)), work, parallel=True) == [0, 10, 20, 30, 40]


def test_an_error_in_the_copy_reaches_the_caller():
    child = engine._forked(lambda: 1 / 0)
    try:
        child.result()
    except RuntimeError as error:
        assert "ZeroDivisionError" in str(error)
    else:
        raise AssertionError("the copy's error was lost")
    finally:
        child.close()
