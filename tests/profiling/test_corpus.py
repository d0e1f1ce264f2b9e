"""Issue 12: on real tables that install offline, the profile is as good as plain scikit-learn.

The yardstick (plain LogisticRegression, RandomForest and HistGradientBoosting with default
settings, 5-fold stratified CV, seed 0) is precomputed by `bench/profile_bench.py --corpus`
into plain_reference.json beside this file (it takes minutes; the profiles take seconds).
"""
import json
from pathlib import Path

import numpy as np
import pytest

from datasets.profiling import corpus, profile_frame

REFERENCE = json.loads((Path(__file__).parent / "plain_reference.json").read_text())
TOLERANCE = 0.02


@pytest.mark.parametrize("name", corpus.available())
def test_best_balanced_accuracy_is_within_two_points_of_plain_scikit_learn(name):
    frame, target = corpus.load(name)
    # A generous budget: the check is about the models, not about a busy CI machine's clock.
    profile = profile_frame(frame, target=target, time_budget=120)
    best = max(b["balanced_accuracy"] for b in profile["baselines"] if b["model"] != "Majority class (dummy)")
    plain = max(REFERENCE[name]["plain"].values())
    assert best >= plain - TOLERANCE, (name, best, REFERENCE[name]["plain"])
    for column, kind in profile["column_types"].items():
        if kind == "identifier" and np.issubdtype(frame[column].dtype, np.number):
            values = frame[column].dropna().to_numpy(dtype=float)
            assert np.all(np.mod(values, 1) == 0), f"{column} has fractional numbers but is typed identifier"


def test_every_corpus_table_has_a_reference():
    assert set(corpus.available()) <= set(REFERENCE)
