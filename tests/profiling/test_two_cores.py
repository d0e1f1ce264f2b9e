"""Speed from the cores you have: a forked copy fits half the models, with the same numbers as one process."""
import numpy as np
import pandas as pd

from datasets.profiling import parallel as engine
from datasets.profiling import profile_frame


def _table(rows: int = 3000) -> pd.DataFrame:
    rng = np.random.default_rng(2)
    frame = pd.DataFrame(rng.normal(size=(rows, 8)), columns=[f"x{i}" for i in range(8)])
    frame["label"] = np.where(frame["x0"] - frame["x1"] + rng.normal(size=rows) > 0, "a", "b")
    return frame


def test_two_lanes_give_the_same_numbers_as_one(monkeypatch):
    seen = []
    real_lanes = engine._lanes
    monkeypatch.setenv("COURSEPROJ_PROFILE_CORES", "2")
    monkeypatch.setattr(engine.threading, "active_count", lambda: 1)
    monkeypatch.setattr(engine, "_lanes", lambda specs, design: seen.append(real_lanes(specs, design)) or seen[-1])
    two = profile_frame(_table(), target="label", time_budget=300)
    assert len(seen[-1]) == 2
    monkeypatch.setenv("COURSEPROJ_PROFILE_CORES", "1")
    one = profile_frame(_table(), target="label", time_budget=300)
    assert len(seen[-1]) == 1
    strip = lambda p: [{k: v for k, v in b.items() if k != "fit_seconds"} for b in p["baselines"]]  # noqa: E731
    assert strip(two) == strip(one) and len(two["baselines"]) == 8
    assert two["learning_curve"] == one["learning_curve"]


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
