"""The profile's numpy scores equal scikit-learn's (the starter notebook prints scikit-learn's)."""
import warnings

import numpy as np
import pytest
from sklearn.metrics import accuracy_score, balanced_accuracy_score, confusion_matrix, f1_score, log_loss

from datasets.profiling import metrics


def _case(seed: int, n_classes: int, rows: int, missing_class: bool):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, n_classes, size=rows)
    if missing_class:  # a test fold without one class, and predictions of a class absent from y
        y[y == 1] = 0
    predicted = np.where(rng.random(rows) < 0.7, y, rng.integers(0, n_classes, size=rows))
    proba = rng.dirichlet(np.ones(n_classes), size=rows)
    proba[rng.random(rows) < 0.1] = 0.0  # a confident miss: probability 0 for every class but one
    proba[np.arange(rows), predicted] = np.maximum(proba[np.arange(rows), predicted], 0.5)
    proba /= proba.sum(axis=1, keepdims=True)
    proba[0, :] = 0.0
    proba[0, (y[0] + 1) % n_classes] = 1.0  # the true class at probability 0
    return y, predicted, proba


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("n_classes", [2, 3, 10])
@pytest.mark.parametrize("missing_class", [False, True])
def test_scores_equal_scikit_learn(seed, n_classes, missing_class):
    y, predicted, proba = _case(seed, n_classes, 157, missing_class)
    labels = list(range(n_classes))
    present = sorted(set(y.tolist()))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = {
            "accuracy": accuracy_score(y, predicted),
            "balanced_accuracy": balanced_accuracy_score(y, predicted),
            "f1_macro": f1_score(y, predicted, labels=present, average="macro", zero_division=0),
            "log_loss": log_loss(y, np.clip(proba, 1e-15, 1), labels=labels),
        }
    got = metrics.scores(y, predicted, proba, n_classes)
    assert got.keys() == expected.keys()
    for key, value in expected.items():
        assert got[key] == pytest.approx(value, rel=1e-12, abs=1e-15), key
    assert metrics.balanced_accuracy(y, predicted, n_classes) == got["balanced_accuracy"]
    assert metrics.log_loss(y, proba) == got["log_loss"]
    assert metrics.confusion(y, predicted, n_classes).tolist() == confusion_matrix(y, predicted, labels=labels).tolist()
