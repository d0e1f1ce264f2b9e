"""Profile a table for a classification project: types, summary, warnings, baselines.

The result is plain JSON (no NaN or Infinity: it is stored in a jsonb column)
with the keys the report page, the command and the planner read.
"""
import time
from collections.abc import Callable

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from datasets.profiling import baselines as bl
from datasets.profiling import curve as lc
from datasets.profiling.columns import (
    ColumnFacts,
    choose_target,
    column_facts,
    numeric_values,
    single_class_error,
    target_labels,
)
from datasets.profiling.errors import ProfileError
from datasets.profiling.checks import (
    USED_KINDS,
    WEIGHTING_RATIO,
    class_warnings,
    column_warnings,
    duplicate_warning,
    load_warnings,
    memory_warning,
    missing_warnings,
    score_warnings,
    warning,
)
from datasets.profiling.column_report import column_details
from datasets.profiling.jsonable import plain_json
from datasets.profiling.loading import LoadedTable, clean_names
from datasets.profiling.parallel import run_baselines, shared_map, two_cores

DEFAULT_TIME_BUDGET = 20.0
# A single column that predicts the target this well (balanced accuracy) gives it away.
LEAK_SCORE = 0.99
LEAK_BINS = 32
MIN_ROWS = 10
# Seconds a learning curve may take after the budget is spent (see _curve_model).
CURVE_ALLOWANCE = 2.0
# Every class keeps at least this many rows in a model's sample.
MIN_SAMPLE_PER_CLASS = 10
# HistGradientBoosting's native categories need codes below 255.
MAX_CATEGORY_CODES = 254
DROP_REASONS = {
    "identifier": "an identifier",
    "constant": "constant",
    "text": "free text",
}
# Why a column was left out of the models, for the columns table (with the column's own numbers).
DROP_EXPLANATIONS = {
    "identifier": "an identifier ({why}): it names the row, it does not measure anything",
    "constant": "constant ({why}): it cannot tell the classes apart",
    "text": "free text: the quick baselines do not read words",
}


def profile_frame(
    frame: pd.DataFrame,
    *,
    target: str | None = None,
    progress: Callable[[float, str], None] | None = None,
    load_info: LoadedTable | None = None,
    time_budget: float = DEFAULT_TIME_BUDGET,
) -> dict:
    """The profile of a table for the given (or a proposed) target column.

    Raises ProfileError for a table without rows, an unknown target, or no
    plausible target when none is given.
    """
    started = time.perf_counter()
    step = progress or (lambda fraction, stage: None)
    # One thread for BLAS and OpenMP. Measured on the shared 2-core machine:
    # gradient boosting on digits took 0.5 s per fit on one OpenMP thread and
    # 0.6–3.4 s on two (busy-waiting threads collapse when another process
    # runs; a fit that takes 3.6 s alone took 10 s on two threads next to a
    # busy process); small BLAS calls gain nothing from threads, and OpenBLAS
    # reserves memory per thread. Fitting two models at once on two Python
    # threads was slower still (the GIL): one core, used well.
    with threadpool_limits(limits=1):
        result = _profile(frame, target, step, load_info, started + time_budget)
    result["seconds"] = time.perf_counter() - started
    step(1.0, "done")
    return plain_json(result)


def _profile(frame, target, step, load_info, deadline) -> dict:
    """1. Types and target; 2. summary and warnings; 3. features; 4. baselines; 5. curve."""
    step(0.02, "column types")
    frame, renamed = _with_clean_names(frame)
    if frame.shape[1] == 0:
        raise ProfileError("no_columns", "The table has no columns.")
    if len(frame) == 0:
        raise ProfileError("no_rows", "The table has column names but no data rows, so there is nothing to profile.")
    facts = {name: column_facts(frame[name]) for name in frame.columns}
    target, proposed, reason = choose_target(frame, facts, target)

    step(0.08, "summary")
    labels = target_labels(frame[target])
    keep = labels.notna().to_numpy()
    if keep.sum() < MIN_ROWS:
        raise ProfileError(
            "too_few_rows",
            f"Only {keep.sum()} rows have a value in “{target}”; at least {MIN_ROWS} are needed for any score.",
        )
    result = _summary(frame, facts, target, proposed, labels[keep])
    result["target_reason"] = reason
    warnings = result["warnings"] = load_warnings(load_info, renamed, facts)
    if load_info is not None:
        result["load"] = load_info.facts()
    if not keep.all():
        warnings.append(warning(
            "missing_target",
            f"{len(frame) - keep.sum():,} rows have no value in the target “{target}” and were left out.",
            target,
        ))
    classes = result["classes"]
    if len(classes) < 2:
        raise single_class_error(target, next(iter(classes)))
    warnings.extend(class_warnings(classes, target))
    warnings.extend(column_warnings(facts, target))
    warnings.extend(missing_warnings(frame, facts, target))
    warnings.extend(duplicate_warning(frame))
    warnings.extend(memory_warning(frame))

    design, features = _features(frame, facts, target, labels, keep, list(classes), warnings)
    result["features"] = features
    result["column_details"] = column_details(frame, facts, target, features, design)
    py = np.array(list(classes.values()), dtype=float) / sum(classes.values())
    result["target_entropy"] = float(-(py * np.log2(py)).sum())
    step(0.12, "baselines")
    result.update(_baselines(design, classes, features, warnings, step, deadline))
    warnings.extend(score_warnings(result))
    return result


def _summary(frame: pd.DataFrame, facts: dict[str, ColumnFacts], target: str, proposed: bool, labels: pd.Series) -> dict:
    classes = _class_counts(labels)
    return {
        "rows": len(frame),
        "columns": frame.shape[1],
        "target": target,
        "target_proposed": proposed,
        "task": "binary" if len(classes) <= 2 else "multiclass",
        "classes": classes,
        # The file's column order as a list: PostgreSQL's jsonb does not keep the
        # order of an object's keys, so the dicts below cannot carry it.
        "column_names": [str(name) for name in frame.columns],
        "column_types": {name: facts[name].kind for name in frame.columns},
        "majority_accuracy": max(classes.values()) / max(1, sum(classes.values())),
        "missing": {name: facts[name].missing for name in frame.columns},
        "cardinality": {name: facts[name].distinct for name in frame.columns},
        "numeric_summary": _numeric_summary(frame, facts),
        "warnings": [],
        "baselines": [],
        "best_model": None,
        "baseline_to_beat": None,
        "learning_curve": None,
        "confusion_matrix": None,
        "sampled_rows": None,
        "cv_folds": None,
        "features": None,
        "column_details": None,
    }


def _features(frame, facts, target, labels, keep, class_names, warnings) -> tuple[bl.Design, dict]:
    """The model matrix of a stratified sample, without identifier, constant, text or leaking columns.

    The rows are put in a fixed stratified random order first, so that any
    prefix of the matrix (a model's row cap) is a stratified sample.
    """
    rows, y, rank = model_rows(frame, labels, keep, class_names)
    used = [name for name in frame.columns if name != target and facts[name].kind in USED_KINDS]
    design = _design(rows, used, facts, y, rank)
    leaks = _leaks(design, len(class_names))
    for name, value in leaks.items():
        warnings.append(warning(
            "target_leak",
            f"“{name}” alone predicts “{target}” with a balanced accuracy of {value:.2f}: it probably "
            "gives the answer away, so the baselines leave it out.",
            name,
        ))
    if leaks:
        used = [name for name in used if name not in leaks]
        design = _design(rows, used, facts, y, rank)
    if not used:
        warnings.append(warning("no_features", "No column is usable as a feature, so only the dummy model was fitted.", None))
    dropped = {
        name: "target leak" if name in leaks else DROP_REASONS.get(facts[name].kind, facts[name].kind)
        for name in frame.columns
        if name != target and name not in used
    }
    reasons = {
        name: (f"leaks the target: alone it predicts “{target}” with a balanced accuracy of {leaks[name]:.2f}"
               if name in leaks else DROP_EXPLANATIONS.get(facts[name].kind, facts[name].kind).format(why=facts[name].why))
        for name in dropped
    }
    matrix = {
        "numbers": [name for name in design.names[: design.n_numeric] if facts[name].kind == "numeric"],
        "dates": [name for name in design.names[: design.n_numeric] if facts[name].kind == "datetime"],
        "categories": list(design.names[design.n_numeric:]),
        "small_integers": [design.names[i] for i in design.small_integers],
    }
    return design, {"used": used, "dropped": dropped, "reasons": reasons, "matrix": matrix}


def model_rows(frame: pd.DataFrame, labels: pd.Series, keep: np.ndarray, class_names: list[str]):
    """(rows the models may see in the file's order, their class codes, their rank in the stratified order).

    Up to MAX_MODEL_ROWS rows with a target: a larger table keeps the
    stratified sample that comes first in `stratified_order`.
    """
    y_all = pd.Categorical(labels[keep], categories=class_names).codes.astype(np.int64)
    order = stratified_order(y_all, len(class_names))
    rank_all = np.empty(len(order), dtype=np.int64)
    rank_all[order] = np.arange(len(order))
    sample = np.sort(order[: bl.MAX_MODEL_ROWS])
    return frame.iloc[np.flatnonzero(keep)[sample]], y_all[sample], rank_all[sample]


def _baselines(design, classes, features, warnings, step, deadline) -> dict:
    """Baselines, the best one, its confusion matrix and a learning curve, as result keys."""
    class_names = list(classes)
    counts = np.bincount(design.y, minlength=len(class_names))
    weighted = counts.max() / max(1, counts.min()) >= WEIGHTING_RATIO
    outcomes, skipped, failed = run_baselines(design, len(class_names), weighted, bool(features["used"]), step, deadline)
    if failed:
        warnings.append(warning("model_failed", f"Some baselines could not be fitted: {'; '.join(failed)}.", None))
    if skipped:
        warnings.append(warning("time_budget", f"Skipped to stay within the time budget: {', '.join(skipped)}.", None))
    n_rows = sum(classes.values())
    sampled = _sample_warning(outcomes, n_rows)
    if sampled:
        warnings.append(sampled)
    if not outcomes:  # every model failed on this data (e.g. classes too small to split): no scores
        return {"baselines": [], "cv_folds": None, "best_model": None, "baseline_to_beat": None,
                "confusion_matrix": None, "learning_curve": None, "sampled_rows": None}
    scored = [outcome for outcome in outcomes if outcome.name != bl.DUMMY] or outcomes
    best = max(scored, key=lambda outcome: outcome.scores["balanced_accuracy"])
    step(0.9, "learning curve")
    curve_outcome = _curve_model(scored, best, deadline)
    curve = None
    if curve_outcome is not None:
        spec = next(spec for spec in bl.MODELS if spec.name == curve_outcome.name)
        parallel = two_cores(design, lc.CURVE_FOLDS * len(lc.CURVE_FRACTIONS))
        curve = lc.learning_curve(spec, design, curve_outcome, len(class_names),
                                  lambda fits, fit: shared_map(fits, fit, parallel))
    return {
        "baselines": [outcome.as_dict() for outcome in outcomes],
        "sampled_rows": min(outcome.rows for outcome in outcomes) if sampled else None,
        "cv_folds": max(outcome.folds for outcome in outcomes),
        "best_model": best.name,
        "baseline_to_beat": {
            "model": best.name, "metric": "balanced_accuracy", "value": best.scores["balanced_accuracy"],
            "std": best.spread.get("balanced_accuracy"), "log_loss": best.scores["log_loss"],
            "rows": best.rows, "folds": best.folds, "planned_folds": best.planned_folds or best.folds,
            "class_weighted": best.weighted, "seed": bl.SEED,
            # The model as scikit-learn source, for the starter notebook (a few hundred characters).
            "estimator": bl.estimator_source(next(spec for spec in bl.MODELS if spec.name == best.name), design, best.weighted),
        },
        "confusion_matrix": {"labels": class_names, "matrix": bl.confusion(best, design.y, len(class_names))},
        "learning_curve": curve,
    }


def _with_clean_names(frame: pd.DataFrame) -> tuple[pd.DataFrame, list[dict]]:
    names, renamed = clean_names([str(name) for name in frame.columns])
    if names != list(frame.columns):
        frame = frame.set_axis(names, axis=1)
    return frame, renamed


def _class_counts(labels: pd.Series) -> dict[str, int]:
    """Examples per class, in natural order (numbers numerically, else alphabetically)."""
    counts = labels.value_counts()

    def key(label: str):
        try:
            return (0, float(label), "")
        except ValueError:
            return (1, 0.0, label)

    return {str(label): int(counts[label]) for label in sorted(counts.index, key=key)}


def stratified_order(y: np.ndarray, n_classes: int) -> np.ndarray:
    """A fixed random order of the rows in which every prefix is a stratified sample.

    1. Shuffle within each class (fixed seed) and give each row its rank r.
    2. Its key is (r + ½) / class size: classes interleave in proportion.
    3. The first MIN_SAMPLE_PER_CLASS rows of every class come first, so a
       small sample of a big table still has each rare class in every fold.
    """
    rng = np.random.default_rng(bl.SEED)
    noise = rng.random(len(y))
    by_class = np.lexsort((noise, y))
    counts = np.bincount(y, minlength=n_classes)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    rank = np.empty(len(y))
    rank[by_class] = np.arange(len(y)) - starts[y[by_class]]
    key = (rank + 0.5) / counts[y] + noise * 1e-9
    key[rank < MIN_SAMPLE_PER_CLASS] -= 1
    return np.argsort(key, kind="stable")


def _design(frame: pd.DataFrame, used: list[str], facts: dict[str, ColumnFacts], y: np.ndarray,
            rank: np.ndarray | None = None) -> bl.Design:
    """Numbers (dates as days) first, then categories as codes by frequency (ties by text; rare ones pooled)."""
    numeric = [name for name in used if facts[name].kind != "categorical"]
    categorical = [name for name in used if facts[name].kind == "categorical"]
    columns = []
    for name in numeric:
        series = frame[name]
        if facts[name].kind == "datetime":
            stamps = pd.to_datetime(series, errors="coerce", format="mixed") if series.dtype == object else series
            days = stamps.to_numpy(dtype="datetime64[ns]").astype(np.int64) / 86_400e9
            columns.append(np.where(stamps.isna().to_numpy(), np.nan, days))
        else:
            columns.append(numeric_values(series, facts[name]))
    for name in categorical:
        series = frame[name].astype(object).where(frame[name].notna(), None)
        top = category_order(series)[:MAX_CATEGORY_CODES]
        codes = pd.Categorical(series, categories=top).codes.astype(np.float64)
        codes[codes < 0] = MAX_CATEGORY_CODES
        codes[series.isna().to_numpy()] = np.nan
        columns.append(codes)
    X = np.column_stack(columns) if columns else np.zeros((len(frame), 0))
    small = tuple(index for index, name in enumerate(numeric) if facts[name].small_integer)
    return bl.Design(X, y, tuple(numeric + categorical), len(numeric), len(categorical), rank, small)


def category_order(series: pd.Series) -> list:
    """Categories by frequency, most common first; ties in the order of their text (as the notebook does)."""
    counts = series.value_counts()
    return sorted(counts.index, key=lambda value: (-counts[value], str(value)))


def _leaks(design: bl.Design, n_classes: int) -> dict[str, float]:
    """Columns that alone predict the target almost perfectly (balanced accuracy ≥ 0.99).

    Each column is cut into groups (its categories, or up to 32 quantile bins
    of a number; missing is a group) and every group predicts its most common
    class. Columns with too many groups for the rows (more than one per 20
    rows, and more than twice the classes) are not judged: they would
    "predict" by memorising.
    """
    n = len(design.y)
    leaks = {}
    counts = np.bincount(design.y, minlength=n_classes)
    bins = max(2, min(LEAK_BINS, n // 20))
    for index in range(design.X.shape[1]):
        values = design.X[:, index]
        missing = np.isnan(values)
        if index < design.n_numeric:
            edges = np.unique(np.nanquantile(values, np.linspace(0, 1, bins + 1)[1:-1])) if (~missing).any() else []
            groups = np.searchsorted(edges, values, side="right")
        else:
            groups = np.nan_to_num(values, nan=0).astype(np.int64)
        groups = np.where(missing, groups.max(initial=0) + 1, groups)
        n_groups = int(groups.max()) + 1
        if n_groups > max(2 * n_classes, n // 20):
            continue
        table = np.bincount(groups * n_classes + design.y, minlength=n_groups * n_classes).reshape(n_groups, n_classes)
        predicted = table.argmax(axis=1)
        hits = np.zeros(n_classes)
        np.add.at(hits, predicted, table[np.arange(n_groups), predicted])
        score = float(np.mean(hits[counts > 0] / counts[counts > 0]))
        if score >= LEAK_SCORE:
            leaks[design.names[index]] = score
    return leaks


def _numeric_summary(frame: pd.DataFrame, facts: dict[str, ColumnFacts]) -> dict:
    summary = {}
    for name, fact in facts.items():
        if fact.kind == "numeric" and fact.missing < len(frame):
            values = numeric_values(frame[name], fact)
            summary[name] = {
                "min": np.nanmin(values), "max": np.nanmax(values),
                "mean": np.nanmean(values), "std": np.nanstd(values),
            }
    return summary


def _sample_warning(outcomes: list[bl.Outcome], n_rows: int) -> dict | None:
    """Which models saw which sample, in one sentence; None when all saw every row."""
    if all(outcome.rows >= n_rows for outcome in outcomes):
        return None
    by_size: dict[int, list[str]] = {}
    for outcome in outcomes:
        by_size.setdefault(outcome.rows, []).append(outcome.name)
    parts = [
        f"{', '.join(names)} on {'all ' if rows >= n_rows else ''}{rows:,} rows"
        for rows, names in sorted(by_size.items())
    ]
    return warning(
        "sampled",
        "To stay fast, models were trained on stratified random samples: " + "; ".join(parts)
        + f". The summary uses all {n_rows:,} rows.",
        None,
    )


def _curve_model(scored: list[bl.Outcome], best: bl.Outcome, deadline: float) -> bl.Outcome | None:
    """The best model if its learning curve fits in the time left, else the best one that does.

    The curve may overrun a spent budget by CURVE_ALLOWANCE: a report without
    one loses the lesson on over- and under-fitting, so a cheap model draws it.
    """
    left = max(deadline - time.perf_counter(), CURVE_ALLOWANCE)
    fits_per_curve = lc.CURVE_FOLDS * sum(lc.CURVE_FRACTIONS)
    ranked = [best] + sorted(
        (outcome for outcome in scored if outcome is not best), key=lambda o: -o.scores["balanced_accuracy"]
    )
    for outcome in ranked:
        if outcome.fit_seconds * fits_per_curve * 1.3 <= left:
            return outcome
    return None


