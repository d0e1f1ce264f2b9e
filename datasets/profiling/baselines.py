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
from dataclasses import dataclass, field

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
# From this many model columns on, a table is "wide": boosting samples features and stops early,
# the network gets a smaller hidden layer.
WIDE_FEATURES = 200


@dataclass(frozen=True)
class Design:
    """The model matrix: numeric columns first, then categorical codes (NaN = missing)."""

    X: np.ndarray
    y: np.ndarray
    names: tuple[str, ...]
    n_numeric: int
    n_categorical: int
    # Each row's position in the fixed stratified order (None: the file's order
    # is the stratified order): a model capped at r rows sees the rows of rank < r,
    # in the file's order, so a model that sees every row sees the file as it is.
    rank: np.ndarray | None = None
    # Numeric columns (indices) of whole numbers with a few values: linear models also one-hot them.
    small_integers: tuple[int, ...] = ()

    @property
    def numbers_missing(self) -> bool:
        return bool(np.isnan(self.X[:, : self.n_numeric]).any())

    def rank_of(self, index: np.ndarray) -> np.ndarray:
        return self.rank[index] if self.rank is not None else np.asarray(index)

    def subset(self, rows: int) -> np.ndarray:
        """The row indices (in the file's order) of a stratified sample of `rows` rows."""
        if rows >= len(self.y) or self.rank is None:
            return np.arange(min(rows, len(self.y)))
        return np.flatnonzero(self.rank < rows)


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


def _linear_preprocessor(design: Design, with_small_integers: bool = False):
    """Impute (with missing indicators) and scale numbers; one-hot the categories.

    Without categories the column transformer is left out, and without gaps
    the imputer: on digits that halves the preprocessing time of every fold.
    With `with_small_integers` (logistic regression) whole-number columns
    with a few values are one-hot encoded as well as scaled: a rating of 1–7
    may not act in a straight line.
    """
    numeric = list(range(design.n_numeric))
    categorical = list(range(design.n_numeric, design.n_numeric + design.n_categorical))
    numbers = (
        make_pipeline(SimpleImputer(strategy="median", add_indicator=True), StandardScaler())
        if design.numbers_missing
        else StandardScaler()
    )
    one_hot = (list(design.small_integers) if with_small_integers else []) + categorical
    if not one_hot:
        return numbers
    parts = [("numbers", numbers, numeric)] if numeric else []
    parts.append((
        "categories",
        make_pipeline(
            SimpleImputer(strategy="constant", fill_value=-1),
            OneHotEncoder(handle_unknown="infrequent_if_exist", max_categories=MAX_ONE_HOT, sparse_output=False),
        ),
        one_hot,
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
    if design.X.shape[1] > WIDE_FEATURES:
        # Hundreds of measurements (a speech or gene table): each split looks at half of them and
        # boosting stops when a 10% validation part stops improving — a third of the time here.
        return HistGradientBoostingClassifier(
            max_iter=iterations, learning_rate=rate, max_leaf_nodes=31 if classes <= 3 else 15,
            max_features=0.5, early_stopping=True, categorical_features=_hgb_categorical(design),
            class_weight="balanced" if weighted else None, random_state=SEED,
        )
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
        # On a wide table 32 units and 60 steps cost a third of the time for 0.01 less (752 columns).
        wide = design.X.shape[1] > WIDE_FEATURES
        return MLPClassifier(hidden_layer_sizes=(32,) if wide else (64,), solver="lbfgs", alpha=1.0,
                             max_iter=60 if wide else 100, random_state=SEED)
    return MLPClassifier(hidden_layer_sizes=(64,), alpha=1e-3, max_iter=200, early_stopping=True,
                         n_iter_no_change=10, random_state=SEED)


MODELS = (
    ModelSpec("Majority class (dummy)", MAX_MODEL_ROWS, lambda d, w: DummyClassifier(strategy="prior")),
    ModelSpec("Naive Bayes", MAX_MODEL_ROWS, lambda d, w: make_pipeline(_linear_preprocessor(d), GaussianNB())),
    ModelSpec(
        "Logistic regression",
        30_000,
        lambda d, w: make_pipeline(
            _linear_preprocessor(d, with_small_integers=True),
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
        # Above 5,000 rows a network costs a second per fit and gains little from more rows
        # than the other models see: it learns from a stratified sample of 5,000.
        "Neural network (MLP)",
        5_000,
        lambda d, w: make_pipeline(_linear_preprocessor(d), _neural_network(d)),
    ),
    ModelSpec(
        "Random forest",
        MAX_MODEL_ROWS,
        _random_forest,
        max_work=120_000,
        weighted_when_imbalanced=True,
    ),
)
MODEL_NAMES = tuple(spec.name for spec in MODELS)
DUMMY = MODELS[0].name


@dataclass
class Outcome:
    """One model's cross-validated result, with its out-of-fold predictions (on `index` rows)."""

    name: str
    rows: int
    folds: int
    weighted: bool
    scores: dict
    train_balanced_accuracy: float
    fit_seconds: float
    predicted: np.ndarray
    covered: np.ndarray
    # Spread of each score across the folds (standard deviation of the per-fold scores).
    spread: dict = field(default_factory=dict)
    index: np.ndarray | None = None
    train_log_loss: float | None = None
    # The folds of the split (`folds` counts those finished before the deadline).
    planned_folds: int | None = None

    def as_dict(self) -> dict:
        return {"model": self.name, **self.scores, **{f"{key}_std": value for key, value in self.spread.items()},
                "train_balanced_accuracy": self.train_balanced_accuracy,
                "fit_seconds": self.fit_seconds, "rows": self.rows, "folds": self.folds,
                "class_weighted": self.weighted}


def folds_for(rows: int, smallest_class: int) -> int:
    """5 folds on small samples, 3 on large ones; never more than the largest class allows."""
    return max(2, min(5 if rows <= FIVE_FOLDS_UP_TO else 3, smallest_class)) if smallest_class >= 2 else 2


def splits(design: Design, outcome_rows: int, folds: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """StratifiedKFold (shuffled, seed 0) on the model's rows, in the file's order: what the notebook repeats."""
    index = design.subset(outcome_rows)
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=SEED)
    return list(splitter.split(design.X[index], design.y[index]))


def run_model(
    spec: ModelSpec, design: Design, rows: int, n_classes: int, *, weighted: bool, deadline: float
) -> Outcome | None:
    """Cross-validate one model on a stratified sample of `rows` rows (all of them when they fit).

    1. Split with StratifiedKFold (shuffled, fixed seed) in the file's row order.
    2. Fit on each training fold; predict probabilities on its test fold,
       mapped to every class so a fold missing a class does not break.
    3. Stop after the fold during which the deadline passed: two finished
       folds still give a result (marked with its fold count), fewer none.
    4. Score the pooled out-of-fold predictions, so a class absent from one
       test fold does not distort its F1; the spread is the standard
       deviation of the per-fold scores.
    """
    index = design.subset(rows)
    X, y = design.X[index], design.y[index]
    rank = design.rank_of(index)
    counts = np.bincount(y, minlength=n_classes)
    folds = planned = folds_for(rows, int(counts[counts > 0].min()))
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=SEED)
    proba = np.zeros((len(y), n_classes))
    covered = np.zeros(len(y), dtype=bool)
    fit_times, train_scores, fold_scores = [], [], []
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
            train_scores.append(_train_scores(model, X, y, train[np.argsort(rank[train], kind="stable")], n_classes))
            proba[np.ix_(test, model.classes_)] = model.predict_proba(X[test])
            covered[test] = True
            fold_scores.append(score(y[test], proba[test].argmax(axis=1), proba[test], n_classes))
            if done < folds and _out_of_time(deadline, done):
                if done < 2:
                    return None
                folds = done
                break
    predicted = proba.argmax(axis=1)
    scores = score(y[covered], predicted[covered], proba[covered], n_classes)
    spread = {key: float(np.std([fold[key] for fold in fold_scores])) for key in scores}
    train_mean = np.mean(train_scores, axis=0)
    return Outcome(
        spec.name, rows, folds, weighted, scores, float(train_mean[0]), float(np.mean(fit_times)),
        predicted, covered, spread, index, float(train_mean[1]), planned,
    )


def _out_of_time(deadline: float, done: int) -> bool:
    return time.perf_counter() > deadline


def _train_scores(model, X: np.ndarray, y: np.ndarray, train: np.ndarray, n_classes: int) -> tuple[float, float]:
    """Balanced accuracy and log loss on the first (at most 1,000) training rows in stratified order."""
    part = train[:TRAIN_SCORE_ROWS]
    proba = _proba(model, X[part], n_classes)
    return (balanced_accuracy_score(y[part], proba.argmax(axis=1)),
            log_loss(y[part], np.clip(proba, 1e-15, 1), labels=list(range(n_classes))))


def score(y: np.ndarray, predicted: np.ndarray, proba: np.ndarray, n_classes: int) -> dict:
    labels = list(range(n_classes))
    present = sorted(set(y.tolist()))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return {
            "accuracy": accuracy_score(y, predicted),
            "balanced_accuracy": balanced_accuracy_score(y, predicted),
            "f1_macro": f1_score(y, predicted, labels=present, average="macro", zero_division=0),
            "log_loss": log_loss(y, np.clip(proba, 1e-15, 1), labels=labels),
        }


def confusion(outcome: Outcome, y: np.ndarray, n_classes: int) -> list[list[int]]:
    covered = outcome.covered
    index = outcome.index if outcome.index is not None else np.arange(outcome.rows)
    return confusion_matrix(y[index][covered], outcome.predicted[covered], labels=list(range(n_classes))).tolist()


def learning_curve(spec: ModelSpec, design: Design, outcome: Outcome, n_classes: int) -> dict:
    """Training and validation balanced accuracy and log loss against training rows.

    1. For the first cross-validation fold (the first two up to 5,000 rows),
       fit on 10%, 25% and 50% of the training part: the training rows that
       come first in the stratified order, so each part keeps the class
       proportions and contains the smaller ones.
    2. Score each fit on the fold's test part and on (up to 1,000 of) its
       own training rows.
    3. The last point is the cross-validation itself: full training folds,
       its out-of-fold scores and its training score.
    """
    index = outcome.index if outcome.index is not None else np.arange(outcome.rows)
    X, y = design.X[index], design.y[index]
    rank = design.rank_of(index)
    splitter = StratifiedKFold(n_splits=outcome.planned_folds or outcome.folds, shuffle=True, random_state=SEED)
    chosen = list(splitter.split(X, y))[: CURVE_FOLDS if len(y) <= FIVE_FOLDS_UP_TO else 1]
    shape = len(CURVE_FRACTIONS)
    train_scores, test_scores = np.zeros(shape), np.zeros(shape)
    train_losses, test_losses = np.zeros(shape), np.zeros(shape)
    sizes = np.zeros(shape, dtype=int)
    labels = list(range(n_classes))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for train, test in chosen:
            train = train[np.argsort(rank[train], kind="stable")]
            for position, fraction in enumerate(CURVE_FRACTIONS):
                part = train[: max(MIN_CURVE_ROWS, 2 * n_classes, int(round(fraction * len(train))))]
                model = clone(spec.build(design, outcome.weighted)).fit(X[np.sort(part)], y[np.sort(part)])
                seen = part[:TRAIN_SCORE_ROWS]
                train_proba = _proba(model, X[seen], n_classes)
                test_proba = _proba(model, X[test], n_classes)
                train_scores[position] += balanced_accuracy_score(y[seen], train_proba.argmax(axis=1))
                test_scores[position] += balanced_accuracy_score(y[test], test_proba.argmax(axis=1))
                train_losses[position] += log_loss(y[seen], np.clip(train_proba, 1e-15, 1), labels=labels)
                test_losses[position] += log_loss(y[test], np.clip(test_proba, 1e-15, 1), labels=labels)
                sizes[position] += len(part)
    count = len(chosen)
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


def _proba(model, X: np.ndarray, n_classes: int) -> np.ndarray:
    """Probabilities for every class, also those the model did not see in training."""
    out = np.zeros((len(X), n_classes))
    out[:, model.classes_] = model.predict_proba(X)
    return out


def estimator_source(spec: ModelSpec, design: Design, weighted: bool) -> str:
    """The model as scikit-learn source code with every non-default parameter (for the notebook)."""
    from sklearn.utils._pprint import _EstimatorPrettyPrinter

    printer = _EstimatorPrettyPrinter(compact=True, indent=1, indent_at_name=True, n_max_elements_to_show=None)
    return printer.pformat(spec.build(design, weighted))
