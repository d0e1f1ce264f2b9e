"""Turn a profile (the engine's plain dict) into what the report page draws.

Charts are SVG drawn by templates from the geometry computed here: no
JavaScript, no inline styles (the Content Security Policy forbids both), and
every label passes through the template's auto-escaping.
"""
import math
from dataclasses import dataclass

from datasets.selectors import baseline_to_beat

# What to do about each warning, in a sentence a student in week 9 can act on.
WARNING_ADVICE = {
    "small_class": "Cross-validation scores for this class will jump around; consider merging rare classes or "
    "collecting more examples (the course's rule of thumb is at least 30 per class).",
    "identifier_column": "An ID is different for every row and predicts nothing new; drop it before training, "
    "or a model may memorise it.",
    "constant_column": "A column with one value carries no information; drop it.",
    "target_leak": "This column gives the answer away (it is almost the target itself). Drop it, or your scores "
    "will look great and mean nothing.",
    "heavy_imbalance": "Accuracy is misleading here: always predicting the big class already scores high. Read "
    "balanced accuracy and macro-F1 instead, and consider class weights.",
    "single_class": "Every row has the same label, so there is nothing to classify. Choose another target column.",
    "too_large_for_memory": "The full table may not fit in a notebook's memory; work on a sample first.",
    "ragged_rows": "Some rows had a different number of fields and were skipped; check the file for stray "
    "delimiters or line breaks inside cells.",
    "renamed_columns": "Duplicate or blank column names were renamed so every column can be addressed.",
    "encoding_detected": "The file was not UTF-8; it was decoded with the encoding shown. Check that accents look right.",
    "decimal_comma": "Numbers used a decimal comma; they were read as numbers.",
    "sampled": "The table is large, so the models were trained on samples of its rows (each model's row count is "
    "in the table below); the summary still uses every row. Your own model may do a little better on all of it.",
    "time_budget": "Some slower models were skipped to finish in time. They are not necessarily worse; try them "
    "yourself in a notebook.",
    "missing_target": "Rows without a value in the target column cannot be used for training and were left out.",
    "mixed_types": "The column mixes numbers and text, so it was read as text. Look for typos or units written "
    "into the cells.",
    "text_column": "Free text needs its own treatment (for example word counts); the baselines left it out.",
    "model_failed": "One baseline could not be trained on this table; the others still give you a score to beat.",
    "no_features": "No column could be used to predict the target, so only the always-the-majority guess was "
    "scored. Check the target column and the column types.",
}

METRIC_HELP = {
    "accuracy": "The share of examples predicted correctly.",
    "balanced_accuracy": "Accuracy averaged over the classes, so a rare class counts as much as a common one; "
    "always-predict-the-majority scores 1 / number of classes.",
    "f1_macro": "The F1 score (balance of precision and recall) of each class, averaged over classes.",
    "log_loss": "Cross-entropy: how surprised the model is by the true labels, on average. It rewards confident "
    "correct probabilities and punishes confident mistakes; lower is better. Unlike accuracy it looks at the "
    "probabilities, not just the top guess.",
    "fit_seconds": "How long training took on this machine, per cross-validation fold.",
}

CHART_WIDTH = 640
BAR_HEIGHT = 28
LABEL_WIDTH = 210
# Charts in a half-width card get a narrower drawing, so their text is not
# scaled down to a size nobody reads on a projector.
HALF_CHART_WIDTH = 420
HALF_LABEL_WIDTH = 120


# A bar's label is cut to this many characters (about what LABEL_WIDTH holds);
# the tables beside every chart give the full text.
LABEL_CHARS = 24


def short_label(text: str) -> str:
    return text if len(text) <= LABEL_CHARS else text[: LABEL_CHARS - 1].rstrip() + "…"


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    text: str
    y: int
    width: float
    highlight: bool


def bar_chart(
    items: list[tuple[str, float, str, bool]],
    *,
    max_value: float | None = None,
    width: int = CHART_WIDTH,
    label_width: int = LABEL_WIDTH,
) -> dict:
    """Horizontal bars: (label, value, value as text, highlighted?) each."""
    top = max_value or max((value for _, value, _, _ in items), default=1.0) or 1.0
    span = width - label_width - 70
    bars = [
        Bar(short_label(label), value, text, index * BAR_HEIGHT, max(1.0, span * value / top), highlight)
        for index, (label, value, text, highlight) in enumerate(items)
    ]
    return {"bars": bars, "height": len(bars) * BAR_HEIGHT + 4, "width": width, "label_width": label_width}


def curve_floor(values: list[float]) -> float:
    """The lowest y worth drawing: a tenth below the lowest score, so close lines stay apart (never below 0)."""
    low = min((v for v in values if v is not None), default=0.0)
    return max(0.0, math.floor((low - 0.05) * 10) / 10)


def line_chart(xs: list[float], series: dict[str, list[float]], *, y_min: float = 0.0, y_max: float = 1.0) -> dict:
    """Lines over a shared x axis, as SVG polyline points in a 640×300 box."""
    width, height, left, bottom, top, right = CHART_WIDTH, 300, 50, 40, 12, 20
    x_lo, x_hi = (min(xs), max(xs)) if xs else (0, 1)
    x_span = (x_hi - x_lo) or 1
    y_span = (y_max - y_min) or 1

    def point(x: float, y: float) -> tuple[float, float]:
        px = left + (x - x_lo) / x_span * (width - left - right)
        py = top + (1 - (y - y_min) / y_span) * (height - top - bottom)
        return round(px, 1), round(py, 1)

    lines = [
        {"name": name, "index": index, "points": " ".join(f"{px},{py}" for px, py in (point(x, y) for x, y in zip(xs, ys)))}
        for index, (name, ys) in enumerate(series.items())
    ]
    y_ticks = [{"y": point(x_lo, value)[1], "label": f"{value:.2f}"}
               for value in (y_min + (y_max - y_min) * step / 4 for step in range(5))]
    x_ticks = [{"x": point(x, y_min)[0], "label": f"{int(x):,}"} for x in xs]
    return {"lines": lines, "width": width, "height": height, "left": left, "bottom": height - bottom,
            "right": width - right, "y_ticks": y_ticks, "x_ticks": x_ticks}


def confusion_cells(labels: list[str], matrix: list[list[int]]) -> list[dict]:
    """Rows of cells with a shade 0–5 by the share of the true class (row)."""
    rows = []
    for label, counts in zip(labels, matrix):
        total = sum(counts) or 1
        rows.append({"label": label, "cells": [{"count": c, "shade": min(5, round(5 * c / total)),
                                                  "diagonal": i == len(rows)} for i, c in enumerate(counts)]})
    return rows


KIND_LABELS = {
    "numeric": "number",
    "categorical": "category",
    "text": "free text",
    "datetime": "date / time",
    "identifier": "identifier",
    "constant": "constant",
}


def result_column_names(result: dict) -> list[str]:
    """A profile's columns in the file's order. A list, because PostgreSQL's jsonb does not keep
    an object's key order; results from before the list existed fall back to their keys."""
    return result.get("column_names") or list(result.get("column_types") or {})


def column_rows(profile: dict) -> list[dict]:
    """One row per column: its type, missing values, distinct values, and what the baselines did with it."""
    rows = profile.get("rows") or 0
    missing = profile.get("missing") or {}
    distinct = profile.get("cardinality") or {}
    features = profile.get("features") or {}
    used, dropped = set(features.get("used") or []), features.get("dropped") or {}
    table = []
    kinds = profile.get("column_types") or {}
    for name in result_column_names(profile):
        kind = kinds.get(name, "")
        if name == profile.get("target"):
            role = "target"
        elif name in used:
            role = "feature"
        elif name in dropped:
            role = f"left out ({dropped[name]})"
        else:
            role = "—"
        gaps = missing.get(name) or 0
        table.append({
            "name": name, "kind": KIND_LABELS.get(kind, kind), "missing": gaps,
            "missing_percent": 100 * gaps / rows if rows else 0, "distinct": distinct.get(name), "role": role,
        })
    return table


def report_context(profile: dict) -> dict:
    """Everything the report template needs, derived from the profile."""
    baselines = [b for b in profile.get("baselines") or [] if b.get("balanced_accuracy") is not None]
    best = profile.get("best_model")
    curve = profile.get("learning_curve") or {}
    classes = profile.get("classes") or {}
    confusion = profile.get("confusion_matrix") or {}
    return {
        "warnings": [{**w, "advice": WARNING_ADVICE.get(w.get("code"), "")} for w in profile.get("warnings") or []],
        "metric_help": METRIC_HELP,
        "columns": column_rows(profile),
        "model_chart": bar_chart(
            [(b["model"], b["balanced_accuracy"], f"{b['balanced_accuracy']:.3f}", b["model"] == best) for b in baselines],
            max_value=1.0,
        ) if baselines else None,
        "class_chart": bar_chart(
            # Largest class first: jsonb does not keep the dict's order, and this reads best anyway.
            [(str(k), v, f"{v:,}", False) for k, v in sorted(classes.items(), key=lambda kv: (-kv[1], str(kv[0])))],
            width=HALF_CHART_WIDTH,
            label_width=HALF_LABEL_WIDTH,
        ) if classes else None,
        "curve_chart": line_chart(
            curve["train_sizes"], {"Training score": curve["train_scores"], "Validation score": curve["validation_scores"]},
            y_min=curve_floor(curve["train_scores"] + curve["validation_scores"]),
        ) if curve.get("train_sizes") else None,
        "to_beat": baseline_to_beat(profile),
        "curve": curve,
        "confusion": confusion_cells(confusion["labels"], confusion["matrix"]) if confusion.get("labels") else None,
        "confusion_labels": confusion.get("labels") or [],
    }
