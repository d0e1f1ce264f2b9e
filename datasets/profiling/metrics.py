"""The scores of the baselines in plain numpy, equal to scikit-learn's.

scikit-learn's metric functions validate their inputs on every call (type of
target, label binarizers, parameter checks): about 2 ms a call, and a profile
makes hundreds of them (four scores per fold, two on training rows, the
learning curve) — over a second on a table of 150 rows. The class codes here
are already 0..n_classes-1, so each score is one `bincount`. They compute the
same formulas as `balanced_accuracy_score`, `accuracy_score`,
`f1_score(average="macro", labels=<classes present>, zero_division=0)` and
`log_loss(labels=range(n_classes))` (tests/profiling/test_metrics.py checks
them against scikit-learn); the starter notebook prints scikit-learn's.
"""
import numpy as np

# Probabilities are clipped like the profile always did (1e-15) and like log_loss does (1 − eps).
PROBABILITY_FLOOR = 1e-15
_EPS = np.finfo(np.float64).eps


def confusion(y: np.ndarray, predicted: np.ndarray, n_classes: int) -> np.ndarray:
    """Counts of (true class, predicted class), n_classes × n_classes."""
    return np.bincount(y * n_classes + predicted, minlength=n_classes * n_classes).reshape(n_classes, n_classes)


def balanced_accuracy(y: np.ndarray, predicted: np.ndarray, n_classes: int) -> float:
    """The mean recall of the classes present in `y`."""
    table = confusion(y, predicted, n_classes)
    support = table.sum(axis=1)
    present = support > 0
    return float(np.mean(np.diag(table)[present] / support[present]))


def log_loss(y: np.ndarray, proba: np.ndarray) -> float:
    """Mean cross-entropy of the true class's probability (proba has a column per class)."""
    true = proba[np.arange(len(y)), y]
    return float(np.mean(-np.log(np.clip(true, max(PROBABILITY_FLOOR, _EPS), 1 - _EPS))))


def scores(y: np.ndarray, predicted: np.ndarray, proba: np.ndarray, n_classes: int) -> dict:
    """Accuracy, balanced accuracy, macro F1 (over the classes present in `y`) and log loss."""
    table = confusion(y, predicted, n_classes)
    support = table.sum(axis=1)
    present = support > 0
    hits = np.diag(table)
    predicted_counts = table.sum(axis=0)
    f1 = (2.0 * hits[present]) / (support[present] + predicted_counts[present])
    return {
        "accuracy": float(np.mean(y == predicted)),
        "balanced_accuracy": float(np.mean(hits[present] / support[present])),
        "f1_macro": float(np.mean(f1)),
        "log_loss": log_loss(y, proba),
    }
