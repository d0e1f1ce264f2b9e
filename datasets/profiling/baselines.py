"""Quick baseline classifiers under stratified cross-validation, within a time budget.

Speed comes from choosing what to fit on how much data, not from defaults:
every model has a row cap (kNN predicts in O(rows²), a forest or an MLP
costs seconds per ten thousand rows), large samples get 3 folds instead of
5, cheap models run first, and a model that would overrun the time budget is
skipped or cut to the folds it finished, and the result says so. The caps and
folds depend only on the table's shape, so the same file gives the same
numbers; the budget is a safety net for a slow machine.
"""
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from sklearn.base import clone
from sklearn.compose import ColumnTransformer
from sklearn.dummy import DummyClassifier
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, balanced_accuracy_score, confusion_matrix, f1_score, log_loss
from sklearn.model_selection import StratifiedKFold
from sklearn.naive_bayes import GaussianNB
from sklearn.neighbors import KNeighborsClassifier
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.tree import DecisionTreeClassifier

SEED = 0
# Models see at most this many rows; the summary always uses every row.
MAX_MODEL_ROWS = 200_000
# A work cap never leaves a model fewer rows than this.
MIN_CAPPED_ROWS = 2_000
GRADIENT_BOOSTING = "Histogram gradient boosting"
FIVE_FOLDS_UP_TO = 5_000
# A one-hot encoder keeps the most frequent categories of a column.
MAX_ONE_HOT = 20
# Learning-curve training sizes, as fractions of a training fold; the full
# size is the cross-validation itself.
CURVE_FRACTIONS = (0.1, 0.25, 0.5)
CURVE_FOLDS = 2
# The smallest training size on the curve (k-nearest neighbours needs 7 rows).
MIN_CURVE_ROWS = 20
# Training scores are measured on at most this many training rows (an
# unbiased estimate, within about 3 points, at a fraction of the cost of predicting them all).
TRAIN_SCORE_ROWS = 1_000


@dataclass(frozen=True)
class Design:
    """The model matrix: numeric columns first, then categorical codes (NaN = missing)."""

    X: np.ndarray
    y: np.ndarray
    names: tuple[str, ...]
    n_numeric: int
    n_categorical: int

    @property
    def numbers_missing(self) -> bool:
        return bool(np.isnan(self.X[:, : self.n_numeric]).any())


@dataclass(frozen=True)
class ModelSpec:
    """A baseline: how to build it and how much data it may see.

    A model fits on at most `max_rows` rows and at most `max_work` cells
    (rows × features, × trees per iteration for boosting), so its cost is
    bounded by the table's shape alone: e.g. gradient boosting gets all of a
    100k × 50 three-class table (3 folds, about 4 s per fit here), a forest
    5,000 of its rows.
    """

    name: str
    max_rows: int
    build: Callable[[Design, bool], object]
    max_work: int | None = None
    # The class weights are balanced when the classes are imbalanced.
    weighted_when_imbalanced: bool = False

    def rows(self, design: Design) -> int:
        rows = min(self.max_rows, len(design.y))
        if self.max_work is not None:
            per_row = max(1, design.X.shape[1]) * (_trees_per_iteration(design) if self.name == GRADIENT_BOOSTING else 1)
            rows = min(rows, max(MIN_CAPPED_ROWS, self.max_work // per_row))
        return rows


def _linear_preprocessor(design: Design):
    """Impute (with missing indicators) and scale numbers; one-hot the categories.

    Without categories the column transformer is left out, and without gaps
    the imputer: on digits that halves the preprocessing time of every fold.
    """
    numeric = list(range(design.n_numeric))
    categorical = list(range(design.n_numeric, design.n_numeric + design.n_categorical))
    numbers = (
        make_pipeline(SimpleImputer(strategy="median", add_indicator=True), StandardScaler())
        if design.numbers_missing
        else StandardScaler()
    )
    if not categorical:
        return numbers
    parts = [("numbers", numbers, numeric)] if numeric else []
    parts.append((
        "categories",
        make_pipeline(
            SimpleImputer(strategy="constant", fill_value=-1),
            OneHotEncoder(handle_unknown="infrequent_if_exist", max_categories=MAX_ONE_HOT, sparse_output=False),
        ),
        categorical,
    ))
    return ColumnTransformer(parts)


def _hgb_categorical(design: Design) -> list[bool] | None:
    """HGB's native categories need codes below its 255 bins; the codes are built that way."""
    mask = [False] * design.n_numeric + [True] * design.n_categorical
    return mask if any(mask) else None


def _gradient_boosting(design: Design, weighted: bool) -> HistGradientBoostingClassifier:
    """Histogram gradient boosting with a bounded number of trees.

    A multiclass model grows one tree per class per iteration, so with many
    classes it gets fewer, bigger steps and smaller trees (digits: 15
    iterations at rate 0.5 with 15 leaves instead of 100 at 0.1 with 31 —
    0.12 s per fold instead of 1 s, for a balanced accuracy of 0.96
    instead of 0.97; the network is the best model there anyway).
    Above 10,000 rows scikit-learn's early stopping (on a 10% validation
    split) ends it when the loss stops improving.
    """
    classes = _trees_per_iteration(design)
    iterations = 100 if classes <= 3 else max(15, 150 // classes)
    rate = min(0.5, 0.1 * 100 / iterations)
    return HistGradientBoostingClassifier(
        max_iter=iterations,
        # A larger step on large tables: on 67k rows × 49 it stops after ~60 iterations, 2.8 s
        # instead of 4.3 s, for 0.004 less balanced accuracy (fewer rows would cost more).
        learning_rate=max(rate, 0.2) if len(design.y) > 20_000 else rate,
        max_leaf_nodes=31 if classes <= 3 else 15,
        categorical_features=_hgb_categorical(design),
        class_weight="balanced" if weighted else None,
        random_state=SEED,
    )


def _random_forest(design: Design, weighted: bool) -> RandomForestClassifier:
    """60 trees; above 2,000 rows each grows on half the rows with leaves of at least 2 (about
    3 times faster than full bootstraps; measured: 0.4 s instead of 1.4 s on 8k × 21). One
    thread: joblib's second thread bought nothing on this machine."""
    large = len(design.y) > 2_000
    return RandomForestClassifier(
        n_estimators=60,
        min_samples_leaf=2 if large else 1,
        max_samples=0.5 if large else None,
        class_weight="balanced" if weighted else None,
        random_state=SEED,
    )


def _trees_per_iteration(design: Design) -> int:
    classes = int(design.y.max()) + 1
    return 1 if classes <= 2 else classes


def _neural_network(design: Design) -> MLPClassifier:
    """One hidden layer of 64 units. Small tables: L-BFGS with strong weight decay converges in
    a fraction of a second where Adam wanders; large ones: Adam with early stopping."""
    if len(design.y) <= 2_000:
        return MLPClassifier(hidden_layer_sizes=(64,), solver="lbfgs", alpha=1.0, max_iter=100, random_state=SEED)
    return MLPClassifier(hidden_layer_sizes=(64,), alpha=1e-3, max_iter=200, early_stopping=True,
                         n_iter_no_change=10, random_state=SEED)


MODELS = (
    ModelSpec("Majority class (dummy)", MAX_MODEL_ROWS, lambda d, w: DummyClassifier(strategy="prior")),
    ModelSpec("Naive Bayes", MAX_MODEL_ROWS, lambda d, w: make_pipeline(_linear_preprocessor(d), GaussianNB())),
    ModelSpec(
        "Logistic regression",
        30_000,
        lambda d, w: make_pipeline(
            _linear_preprocessor(d),
            LogisticRegression(max_iter=300, class_weight="balanced" if w else None),
        ),
        weighted_when_imbalanced=True,
    ),
    ModelSpec(
        GRADIENT_BOOSTING,
        MAX_MODEL_ROWS,
        _gradient_boosting,
        max_work=15_000_000,
        weighted_when_imbalanced=True,
    ),
    ModelSpec(
        "Decision tree",
        MAX_MODEL_ROWS,
        # Trees split on category codes and send missing values down a learned side: no preprocessing.
        lambda d, w: DecisionTreeClassifier(min_samples_leaf=5, random_state=SEED, class_weight="balanced" if w else None),
        max_work=500_000,
        weighted_when_imbalanced=True,
    ),
    ModelSpec(
        "k-nearest neighbours",
        10_000,
        lambda d, w: make_pipeline(_linear_preprocessor(d), KNeighborsClassifier(n_neighbors=7)),
    ),
    ModelSpec(
        "Neural network (MLP)",
        10_000,
        lambda d, w: make_pipeline(_linear_preprocessor(d), _neural_network(d)),
    ),
    ModelSpec(
        "Random forest",
        MAX_MODEL_ROWS,
        _random_forest,
        max_work=500_000,
        weighted_when_imbalanced=True,
    ),
)


@dataclass
class Outcome:
    """One model's cross-validated result, with its out-of-fold predictions."""

    name: str
    rows: int
    folds: int
    weighted: bool
    scores: dict
    train_balanced_accuracy: float
    fit_seconds: float
    predicted: np.ndarray
    covered: np.ndarray

    def as_dict(self) -> dict:
        return {"model": self.name, **self.scores, "train_balanced_accuracy": self.train_balanced_accuracy,
                "fit_seconds": self.fit_seconds, "rows": self.rows, "folds": self.folds,
                "class_weighted": self.weighted}


def folds_for(rows: int, smallest_class: int) -> int:
    """5 folds on small samples, 3 on large ones; never more than the largest class allows."""
    return max(2, min(5 if rows <= FIVE_FOLDS_UP_TO else 3, smallest_class)) if smallest_class >= 2 else 2


def run_model(
    spec: ModelSpec, design: Design, rows: int, n_classes: int, *, weighted: bool, deadline: float
) -> Outcome | None:
    """Cross-validate one model on the first `rows` rows of the (stratified) design.

    1. Split with StratifiedKFold (shuffled, fixed seed).
    2. Fit on each training fold; predict probabilities on its test fold,
       mapped to every class so a fold missing a class does not break.
    3. Stop after the fold during which the deadline passed: two finished
       folds still give a result (marked with its fold count), fewer none.
    4. Score the pooled out-of-fold predictions, so a class absent from one
       test fold does not distort its F1.
    """
    X, y = design.X[:rows], design.y[:rows]
    counts = np.bincount(y, minlength=n_classes)
    folds = folds_for(rows, int(counts[counts > 0].min()))
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=SEED)
    proba = np.zeros((rows, n_classes))
    covered = np.zeros(rows, dtype=bool)
    fit_times, train_scores = [], []
    with warnings.catch_warnings():
        # Small classes and unconverged MLPs warn on every fold; the result says enough.
        warnings.simplefilter("ignore", category=ConvergenceWarning)
        warnings.simplefilter("ignore", category=UserWarning)
        warnings.simplefilter("ignore", category=RuntimeWarning)
        for done, (train, test) in enumerate(splitter.split(X, y), start=1):
            model = clone(spec.build(design, weighted))
            started = time.perf_counter()
            model.fit(X[train], y[train])
            fit_times.append(time.perf_counter() - started)
            train_scores.append(_train_score(model, X, y, train))
            proba[np.ix_(test, model.classes_)] = model.predict_proba(X[test])
            covered[test] = True
            if time.perf_counter() > deadline and done < folds:
                if done < 2:
                    return None
                folds = done
                break
    predicted = proba.argmax(axis=1)
    scores = score(y[covered], predicted[covered], proba[covered], n_classes)
    return Outcome(
        spec.name, rows, folds, weighted, scores, float(np.mean(train_scores)), float(np.mean(fit_times)),
        predicted, covered,
    )


def _train_score(model, X: np.ndarray, y: np.ndarray, train: np.ndarray) -> float:
    """Balanced accuracy on (a sorted, so stratified, prefix of) the training rows."""
    part = np.sort(train)[:TRAIN_SCORE_ROWS]
    return balanced_accuracy_score(y[part], model.predict(X[part]))


def score(y: np.ndarray, predicted: np.ndarray, proba: np.ndarray, n_classes: int) -> dict:
    labels = list(range(n_classes))
    present = sorted(set(y.tolist()))
    return {
        "accuracy": accuracy_score(y, predicted),
        "balanced_accuracy": balanced_accuracy_score(y, predicted),
        "f1_macro": f1_score(y, predicted, labels=present, average="macro", zero_division=0),
        "log_loss": log_loss(y, np.clip(proba, 1e-15, 1), labels=labels),
    }


def confusion(outcome: Outcome, y: np.ndarray, n_classes: int) -> list[list[int]]:
    covered = outcome.covered
    return confusion_matrix(y[: outcome.rows][covered], outcome.predicted[covered], labels=list(range(n_classes))).tolist()


def learning_curve(spec: ModelSpec, design: Design, outcome: Outcome, n_classes: int) -> dict:
    """Training and validation balanced accuracy against training rows.

    1. For the first two cross-validation folds, fit on 10%, 25% and 50%
       of the training part. The design's rows are in stratified order, so a
       prefix of the sorted training indices keeps the class proportions.
    2. Score each fit on the fold's test part and on (up to 2,000 of) its
       own training rows.
    3. The last point is the cross-validation itself: full training folds,
       its out-of-fold score and its training score.
    """
    rows = outcome.rows
    X, y = design.X[:rows], design.y[:rows]
    splitter = StratifiedKFold(n_splits=outcome.folds, shuffle=True, random_state=SEED)
    splits = list(splitter.split(X, y))[:CURVE_FOLDS]
    train_scores = np.zeros(len(CURVE_FRACTIONS))
    test_scores = np.zeros(len(CURVE_FRACTIONS))
    sizes = np.zeros(len(CURVE_FRACTIONS), dtype=int)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for train, test in splits:
            train = np.sort(train)
            for index, fraction in enumerate(CURVE_FRACTIONS):
                part = train[: max(MIN_CURVE_ROWS, 2 * n_classes, int(round(fraction * len(train))))]
                model = clone(spec.build(design, outcome.weighted)).fit(X[part], y[part])
                train_scores[index] += _train_score(model, X, y, part)
                test_scores[index] += balanced_accuracy_score(y[test], model.predict(X[test]))
                sizes[index] += len(part)
    full_size = round(rows * (outcome.folds - 1) / outcome.folds)
    return {
        "model": spec.name,
        "metric": "balanced_accuracy",
        "train_sizes": (sizes // len(splits)).tolist() + [full_size],
        "train_scores": (train_scores / len(splits)).tolist() + [outcome.train_balanced_accuracy],
        "validation_scores": (test_scores / len(splits)).tolist() + [outcome.scores["balanced_accuracy"]],
    }
