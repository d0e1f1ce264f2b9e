"""Issue 12, point 5: distributions, association with the target, spread across folds, log-loss curve."""
import json

import numpy as np
import pandas as pd
import pytest

from datasets.builtins import load_builtin
from datasets.profiling import profile_frame
from datasets.profiling.jsonable import plain_json


@pytest.fixture(scope="module")
def penguins():
    return profile_frame(load_builtin("penguins"), target="species", time_budget=10)


def test_every_column_has_a_small_distribution(penguins):
    details = {d["name"]: d for d in penguins["column_details"]}
    assert list(details) == penguins["column_names"]
    bill = details["bill_length_mm"]["distribution"]
    assert bill["type"] == "histogram" and len(bill["edges"]) == len(bill["counts"]) + 1
    assert sum(bill["counts"]) == 344 - penguins["missing"]["bill_length_mm"]
    island = details["island"]["distribution"]
    assert island["type"] == "bars" and island["labels"][0] == "Biscoe" and island["counts"][0] == 168
    year = details["year"]["distribution"]
    assert year["type"] == "bars" and year["labels"] == ["2007", "2008", "2009"]


def test_mutual_information_ranks_informative_columns_above_noise(penguins):
    mi = {d["name"]: d["mutual_information"] for d in penguins["column_details"]}
    assert mi["flipper_length_mm"] > 0.5 and mi["bill_length_mm"] > 0.5
    assert mi["year"] < 0.05
    assert 0 < max(v for v in mi.values() if v is not None) <= penguins["target_entropy"] + 1e-6


def test_each_score_has_its_spread_across_folds(penguins):
    for baseline in penguins["baselines"]:
        for metric in ("accuracy", "balanced_accuracy", "f1_macro", "log_loss"):
            assert baseline[f"{metric}_std"] >= 0
    assert any(b["balanced_accuracy_std"] > 0 for b in penguins["baselines"])
    assert penguins["baseline_to_beat"]["std"] is not None


def test_learning_curve_in_log_loss_beside_balanced_accuracy(penguins):
    curve = penguins["learning_curve"]
    n = len(curve["train_sizes"])
    assert len(curve["train_log_loss"]) == len(curve["validation_log_loss"]) == n == 4
    assert all(value >= 0 for value in curve["validation_log_loss"])
    best = next(b for b in penguins["baselines"] if b["model"] == curve["model"])
    assert curve["validation_log_loss"][-1] == best["log_loss"]


def test_payload_stays_small_even_for_wide_tables():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.normal(size=(300, 400)), columns=[f"f{i}" for i in range(400)])
    frame["label"] = np.where(frame["f0"] + rng.normal(size=300) > 0, "a", "b")
    profile = profile_frame(frame, target="label", time_budget=10)
    assert len(json.dumps(profile)) < 150_000
    charted = [d for d in profile["column_details"] if d.get("distribution") is not None]
    assert len(charted) <= 41


def test_plain_json_is_importable_and_cleans_numpy_and_nan():
    assert plain_json({1: np.float64("nan"), "b": [np.int64(2), (np.True_,)]}) == {"1": None, "b": [2, [True]]}
