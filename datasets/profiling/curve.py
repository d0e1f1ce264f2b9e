"""The learning curve of the best baseline: its fits are independent, so both cores can share them."""
import warnings
from collections.abc import Callable

import numpy as np
from sklearn.base import clone
from sklearn.model_selection import StratifiedKFold

from datasets.profiling import metrics
from datasets.profiling.baselines import (
    FIVE_FOLDS_UP_TO,
    SEED,
    TRAIN_SCORE_ROWS,
    Design,
    ModelSpec,
    Outcome,
    class_proba,
)

# Learning-curve training sizes, as fractions of a training fold; the full
# size is the cross-validation itself.
CURVE_FRACTIONS = (0.1, 0.25, 0.5)
CURVE_FOLDS = 2
# The smallest training size on the curve (k-nearest neighbours needs 7 rows).
MIN_CURVE_ROWS = 20


def _serial(items: list, work: Callable) -> list:
    return [work(item, True) for item in items]


def learning_curve(spec: ModelSpec, design: Design, outcome: Outcome, n_classes: int,
                   map_fits: Callable[[list, Callable], list] = _serial) -> dict:
    """Training and validation balanced accuracy and log loss against training rows.

    1. For the first cross-validation fold (the first two up to 1,000 rows),
       fit on 10%, 25% and 50% of the training part: the training rows that
       come first in the stratified order, so each part keeps the class
       proportions and contains the smaller ones.
    2. Score each fit on the fold's test part and on (up to 1,000 of) its
       own training rows.
    3. The last point is the cross-validation itself: full training folds,
       its out-of-fold scores and its training score.

    The fits are listed smallest first and handed to `map_fits` (e.g.
    `parallel.shared_map`, which gives a forked copy the largest); their
    scores are added up in the same order whoever fitted them, so the curve
    is the same on one core or two.
    """
    index = outcome.index if outcome.index is not None else np.arange(outcome.rows)
    X, y = design.X[index], design.y[index]
    rank = design.rank_of(index)
    splitter = StratifiedKFold(n_splits=outcome.planned_folds or outcome.folds, shuffle=True, random_state=SEED)
    chosen = list(splitter.split(X, y))[: CURVE_FOLDS if len(y) <= FIVE_FOLDS_UP_TO else 1]
    folds = [(train[np.argsort(rank[train], kind="stable")], test) for train, test in chosen]
    fits = [(fold, position) for position in range(len(CURVE_FRACTIONS)) for fold in range(len(folds))]

    def fit(item, here):
        fold, position = item
        train, test = folds[fold]
        part = train[: max(MIN_CURVE_ROWS, 2 * n_classes, int(round(CURVE_FRACTIONS[position] * len(train))))]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = clone(spec.build(design, outcome.weighted)).fit(X[np.sort(part)], y[np.sort(part)])
            seen = part[:TRAIN_SCORE_ROWS]
            train_proba = class_proba(model, X[seen], n_classes)
            test_proba = class_proba(model, X[test], n_classes)
        return (metrics.balanced_accuracy(y[seen], train_proba.argmax(axis=1), n_classes),
                metrics.balanced_accuracy(y[test], test_proba.argmax(axis=1), n_classes),
                metrics.log_loss(y[seen], train_proba), metrics.log_loss(y[test], test_proba), len(part))

    points = dict(zip(fits, map_fits(fits, fit)))
    shape = len(CURVE_FRACTIONS)
    train_scores, test_scores = np.zeros(shape), np.zeros(shape)
    train_losses, test_losses = np.zeros(shape), np.zeros(shape)
    sizes = np.zeros(shape, dtype=int)
    for fold in range(len(folds)):  # the sums in fold order, as one process adds them
        for position in range(shape):
            train_score, test_score, train_loss, test_loss, size = points[fold, position]
            train_scores[position] += train_score
            test_scores[position] += test_score
            train_losses[position] += train_loss
            test_losses[position] += test_loss
            sizes[position] += size
    count = len(folds)
    full_size = round(len(y) * (outcome.folds - 1) / outcome.folds)
    return {
        "model": spec.name,
        "metric": "balanced_accuracy",
        "train_sizes": (sizes // count).tolist() + [full_size],
        "train_scores": (train_scores / count).tolist() + [outcome.train_balanced_accuracy],
        "validation_scores": (test_scores / count).tolist() + [outcome.scores["balanced_accuracy"]],
        "train_log_loss": (train_losses / count).tolist() + [outcome.train_log_loss],
        "validation_log_loss": (test_losses / count).tolist() + [outcome.scores["log_loss"]],
    }
