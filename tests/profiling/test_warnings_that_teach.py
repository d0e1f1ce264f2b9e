"""Issue 12, point 4: each warning has a table that must raise it and one that must not."""
import numpy as np
import pandas as pd
import pytest

from datasets.profiling import profile_frame

BUDGET = 10


def _table(rows: int = 300, share_yes: float = 0.5, noise: float = 0.8, seed: int = 0) -> pd.DataFrame:
    """Two informative numbers, a category, a binary target with the given share of "yes"."""
    rng = np.random.default_rng(seed)
    x1, x2 = rng.normal(size=rows), rng.normal(size=rows)
    score = x1 + 0.5 * x2 + rng.normal(scale=noise, size=rows)
    label = np.where(score > np.quantile(score, 1 - share_yes), "yes", "no")
    return pd.DataFrame({"x1": x1, "x2": x2, "colour": rng.choice(["red", "green", "blue"], size=rows), "label": label})


def _warnings(frame, code):
    profile = profile_frame(frame, target="label", time_budget=BUDGET)
    return [w for w in profile["warnings"] if w["code"] == code], profile


def test_moderate_imbalance_names_the_majority_accuracy_to_beat():
    found, profile = _warnings(_table(share_yes=0.3), "moderate_imbalance")
    assert len(found) == 1 and "70.0%" in found[0]["message"] and "balanced accuracy" in found[0]["message"]
    assert profile["majority_accuracy"] == pytest.approx(0.7)
    assert not _warnings(_table(share_yes=0.5), "moderate_imbalance")[0]
    assert not _warnings(_table(share_yes=0.2), "moderate_imbalance")[0]  # 80/20 is heavy


def test_heavy_imbalance_has_advice_too():
    found, _ = _warnings(_table(share_yes=0.2), "heavy_imbalance")
    assert found and "80.0%" in found[0]["message"] and "the one to beat" in found[0]["message"]


def test_missing_values_above_two_percent_per_column():
    frame = _table()
    frame.loc[frame.index[:12], "x2"] = np.nan  # 4%
    frame.loc[frame.index[:3], "colour"] = None  # 1%: below the threshold
    found, _ = _warnings(frame, "missing_values")
    assert [w["column"] for w in found] == ["x2"] and "12 of 300 rows (4%)" in found[0]["message"]
    assert not _warnings(_table(), "missing_values")[0]


def test_near_perfect_baseline_says_there_is_little_to_beat():
    found, _ = _warnings(_table(noise=0.01), "near_perfect")
    assert found and "almost nothing left to beat" in found[0]["message"] and "leak" in found[0]["message"]
    assert not _warnings(_table(noise=0.8), "near_perfect")[0]


def test_dummy_with_lower_log_loss_explains_over_confidence():
    # Pure noise: every model is wrong half the time; confident wrong answers cost more than the prior.
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({f"x{i}": rng.normal(size=200) for i in range(6)})
    frame["label"] = rng.choice(["yes", "no"], size=200)
    found, profile = _warnings(frame, "dummy_log_loss")
    assert found and "over-confident" in found[0]["message"]
    dummy = next(b for b in profile["baselines"] if b["model"] == "Majority class (dummy)")
    assert f"{dummy['log_loss']:.3f}" in found[0]["message"]
    assert not _warnings(_table(noise=0.3), "dummy_log_loss")[0]


def test_duplicate_rows_are_counted():
    frame = _table()
    frame = pd.concat([frame, frame.iloc[:15]], ignore_index=True)
    found, _ = _warnings(frame, "duplicate_rows")
    assert found and found[0]["message"].startswith("15 rows") and "drop_duplicates" in found[0]["message"]
    assert not _warnings(_table(), "duplicate_rows")[0]


def test_small_class_below_thirty():
    frame = _table(rows=200)
    frame.loc[:11, "label"] = "rare"
    assert _warnings(frame, "small_class")[0]
    assert not _warnings(_table(rows=200), "small_class")[0]
