"""Quick baseline classifiers under stratified cross-validation, within a time budget.

Speed comes from choosing what to fit on how much data, not from defaults:
every model has a row cap (kNN predicts in O(rows²), a forest or an MLP
costs seconds per ten thousand rows), samples of more than 1,000 rows get 3
folds instead of 5, boosting gets coarser histograms on small tables and
early stopping on large ones, cheap models run first (the expensive ones on
the second core, see parallel.py), scores are computed in numpy (metrics.py),
and a model that would overrun the time budget is skipped or cut to the
folds it finished, and the result says so. The caps and folds depend only on
the table's shape, so the same file gives the same numbers; the budget is a
safety net for a slow machine.
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
from sklearn.model_selection import StratifiedKFold
from sklearn.naive_bayes import GaussianNB
from sklearn.neighbors import KNeighborsClassifier
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.tree import DecisionTreeClassifier

from datasets.profiling import metrics

SEED = 0
# Models see at most this many rows; the summary always uses every row.
MAX_MODEL_ROWS = 200_000
# A work cap never leaves a model fewer rows than this.
MIN_CAPPED_ROWS = 2_000
GRADIENT_BOOSTING = "Histogram gradient boosting"
# 5 folds up to this many rows, 3 above: from a thousand rows on, a third of the rows is a test fold
# large enough, and 3 folds fit 40% less (digits: 1.7 s instead of 3.4 s on one core, the best model's
# balanced accuracy 0.981 instead of 0.980).
FIVE_FOLDS_UP_TO = 1_000
# A one-hot encoder keeps the most frequent categories of a column.
MAX_ONE_HOT = 20
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
    Above 5,000 rows early stopping (on a 10% validation split) ends it when
    the loss stops improving (scikit-learn's default starts at 10,000; on
    10k × 22, 0.95 s instead of 1.27 s for 3 folds, balanced accuracy 0.835
    instead of 0.837). Up to 20,000 rows a number
    is cut into 63 bins instead of 255 (see `_bins`).
    """
    classes = _trees_per_iteration(design)
    iterations = 100 if classes <= 3 else max(15, 150 // classes)
    rate = min(0.5, 0.1 * 100 / iterations)
    if design.X.shape[1] > WIDE_FEATURES:
        # Hundreds of measurements (a speech or gene table): each split looks at half of them and
        # boosting stops when a 10% validation part stops improving — a third of the time here.
        return HistGradientBoostingClassifier(
            max_iter=iterations, learning_rate=rate, max_leaf_nodes=31 if classes <= 3 else 15,
            max_features=0.5, early_stopping=True, categorical_features=_hgb_categorical(design), max_bins=_bins(design),
            class_weight="balanced" if weighted else None, random_state=SEED,
        )
    return HistGradientBoostingClassifier(
        max_iter=iterations,
        # A larger step on large tables: on 67k rows × 49 it stops after ~60 iterations, 2.8 s
        # instead of 4.3 s, for 0.004 less balanced accuracy (fewer rows would cost more).
        learning_rate=max(rate, 0.2) if len(design.y) > 20_000 else rate,
        max_leaf_nodes=31 if classes <= 3 else 15,
        categorical_features=_hgb_categorical(design),
        max_bins=_bins(design),
        early_stopping=True if len(design.y) > 5_000 else "auto",
        class_weight="balanced" if weighted else None,
        random_state=SEED,
    )


def _bins(design: Design) -> int:
    """Histogram bins per column: 63 up to 20,000 rows, when every category code fits, else 255.

    Every split scans a histogram of each column, so its cost grows with the
    bins; a training fold of a few thousand rows has a few dozen rows per bin
    with 63. Measured (5-fold, one core): 756 × 753 2.5 s instead of 9.5 s
    (balanced accuracy 0.659 instead of 0.664), 10k × 22 1.0 s instead of
    1.5 s (0.837 instead of 0.835), digits 1.0 s instead of 1.5 s (the same).
    """
    codes = design.X[:, design.n_numeric:]
    if len(design.y) > 20_000 or (codes.size and np.nanmax(codes, initial=0) >= 63):
        return 255
    return 63


def _random_forest(design: Design, weighted: bool) -> RandomForestClassifier:
    """40 trees (60 cost half as much again for ±0.01 of balanced accuracy on digits, 10k × 22 and
    756 × 753); above 2,000 rows each grows on half the rows with leaves of at least 2 (about 3
    times faster than full bootstraps; measured: 0.4 s instead of 1.4 s on 8k × 21). One thread:
    joblib's second thread bought nothing on this machine."""
    large = len(design.y) > 2_000
    return RandomForestClassifier(
        n_estimators=40,
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
        # Predicting compares every test row with every training row: 5,000 rows cost a quarter of
        # 10,000 (10k × 22: 0.3 s instead of 0.6 s, balanced accuracy 0.615 instead of 0.625).
        "k-nearest neighbours",
        5_000,
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


@dataclass(frozen=True)
class Plan:
    """One model's cross-validation: its stratified sample (`index`) and its folds, fitted one by one."""

    spec: ModelSpec
    rows: int
    weighted: bool
    n_classes: int
    index: np.ndarray
    splits: tuple

    @property
    def folds(self) -> int:
        return len(self.splits)


@dataclass(frozen=True)
class FoldResult:
    """One fold's fit: its time, training scores, out-of-fold probabilities (every class) and scores."""

    fit_seconds: float
    train_scores: tuple[float, float]
    proba: np.ndarray
    scores: dict


def plan_model(spec: ModelSpec, design: Design, rows: int, n_classes: int, *, weighted: bool) -> Plan:
    """A stratified sample of `rows` rows (all of them when they fit) and its StratifiedKFold splits
    (shuffled, fixed seed, in the file's row order)."""
    index = design.subset(rows)
    y = design.y[index]
    counts = np.bincount(y, minlength=n_classes)
    splitter = StratifiedKFold(n_splits=folds_for(rows, int(counts[counts > 0].min())), shuffle=True, random_state=SEED)
    return Plan(spec, rows, weighted, n_classes, index, tuple(splitter.split(np.zeros(len(y)), y)))


def fit_fold(plan: Plan, design: Design, fold: int) -> FoldResult:
    """Fit on a training fold; predict probabilities on its test fold, mapped to every class so a fold
    missing a class does not break; score both (training rows: the first 1,000 in stratified order)."""
    train, test = plan.splits[fold]
    index, n_classes = plan.index, plan.n_classes
    y = design.y[index]
    model = clone(plan.spec.build(design, plan.weighted))
    with warnings.catch_warnings():
        # Small classes and unconverged MLPs warn on every fold; the result says enough.
        warnings.simplefilter("ignore", category=ConvergenceWarning)
        warnings.simplefilter("ignore", category=UserWarning)
        warnings.simplefilter("ignore", category=RuntimeWarning)
        started = time.perf_counter()
        model.fit(design.X[index[train]], y[train])
        fit_seconds = time.perf_counter() - started
        ordered = train[np.argsort(design.rank_of(index)[train], kind="stable")][:TRAIN_SCORE_ROWS]
        train_scores = _train_scores(model, design.X[index[ordered]], y[ordered], n_classes)
        proba = class_proba(model, design.X[index[test]], n_classes)
    return FoldResult(fit_seconds, train_scores, proba, score(y[test], proba.argmax(axis=1), proba, n_classes))


def outcome_of(plan: Plan, design: Design, fitted: list[FoldResult]) -> Outcome | None:
    """The model's result from its first folds (all, or at least two when the deadline cut it short).

    The pooled out-of-fold predictions are scored, so a class absent from one
    test fold does not distort its F1; the spread is the standard deviation
    of the per-fold scores.
    """
    folds = len(fitted)
    if folds < min(2, plan.folds):
        return None
    y = design.y[plan.index]
    proba = np.zeros((len(y), plan.n_classes))
    covered = np.zeros(len(y), dtype=bool)
    for (_, test), result in zip(plan.splits, fitted):
        proba[test] = result.proba
        covered[test] = True
    predicted = proba.argmax(axis=1)
    scores = score(y[covered], predicted[covered], proba[covered], plan.n_classes)
    spread = {key: float(np.std([result.scores[key] for result in fitted])) for key in scores}
    train_mean = np.mean([result.train_scores for result in fitted], axis=0)
    return Outcome(
        plan.spec.name, plan.rows, folds, plan.weighted, scores, float(train_mean[0]),
        float(np.mean([result.fit_seconds for result in fitted])), predicted, covered, spread, plan.index,
        float(train_mean[1]), plan.folds,
    )


def fold_due(deadline: float, fold: int) -> bool:
    """Whether fold `fold` (0-based) still runs: the first always; a later one not after the deadline."""
    return fold == 0 or not _out_of_time(deadline, fold)


def run_model(
    spec: ModelSpec, design: Design, rows: int, n_classes: int, *, weighted: bool, deadline: float
) -> Outcome | None:
    """Cross-validate one model, fold after fold (parallel.py spreads the folds over both cores instead).

    It stops after the fold during which the deadline passed: two finished
    folds still give a result (marked with its fold count), fewer none.
    """
    plan = plan_model(spec, design, rows, n_classes, weighted=weighted)
    fitted = []
    for fold in range(plan.folds):
        if not fold_due(deadline, fold):
            break
        fitted.append(fit_fold(plan, design, fold))
    return outcome_of(plan, design, fitted)


def _out_of_time(deadline: float, done: int) -> bool:
    return time.perf_counter() > deadline


def _train_scores(model, X: np.ndarray, y: np.ndarray, n_classes: int) -> tuple[float, float]:
    """Balanced accuracy and log loss on (at most 1,000) training rows."""
    proba = class_proba(model, X, n_classes)
    return metrics.balanced_accuracy(y, proba.argmax(axis=1), n_classes), metrics.log_loss(y, proba)


def score(y: np.ndarray, predicted: np.ndarray, proba: np.ndarray, n_classes: int) -> dict:
    return metrics.scores(y, predicted, proba, n_classes)


def confusion(outcome: Outcome, y: np.ndarray, n_classes: int) -> list[list[int]]:
    covered = outcome.covered
    index = outcome.index if outcome.index is not None else np.arange(outcome.rows)
    return metrics.confusion(y[index][covered], outcome.predicted[covered], n_classes).tolist()


def class_proba(model, X: np.ndarray, n_classes: int) -> np.ndarray:
    """Probabilities for every class, also those the model did not see in training."""
    out = np.zeros((len(X), n_classes))
    out[:, model.classes_] = model.predict_proba(X)
    return out


def estimator_source(spec: ModelSpec, design: Design, weighted: bool) -> str:
    """The model as scikit-learn source code with every non-default parameter (for the notebook)."""
    from sklearn.utils._pprint import _EstimatorPrettyPrinter

    printer = _EstimatorPrettyPrinter(compact=True, indent=1, indent_at_name=True, n_max_elements_to_show=None)
    return printer.pformat(spec.build(design, weighted))
