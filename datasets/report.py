"""Turn a profile (the engine's plain dict) into what the report page draws.

Charts are SVG drawn by templates from the geometry computed here: no
JavaScript, no inline styles (the Content Security Policy forbids both), and
every label passes through the template's auto-escaping.
"""
import io
import math
import zipfile
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.utils.text import slugify

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
    "moderate_imbalance": "Compare your model with the majority-class accuracy above, not with 50 %, and judge it "
    "by balanced accuracy and the confusion matrix; class weights often help the rare class.",
    "missing_values": "Ask why the values are missing before filling them in: if missingness depends on the class, "
    "add a “was missing” indicator column instead of silently imputing.",
    "near_perfect": "There is almost nothing left to beat: check first that no column leaks the answer (an ID, a "
    "date, a result recorded after the outcome); if none does, the task may be too easy for a project.",
    "dummy_log_loss": "The dummy's honest class shares beat the best model's probabilities: the model is "
    "over-confident, so its confident mistakes cost a lot of cross-entropy. Judge it by balanced accuracy, or "
    "calibrate its probabilities.",
    "duplicate_rows": "Drop exact copies (df.drop_duplicates()) before cross-validation, unless they are real "
    "repeated observations; otherwise a copy in the test fold is a question the model has already seen.",
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
# The model scores on a phone: a drawing about as wide as the screen, short labels, room for "0.995 ± 0.006".
PHONE_CHART_WIDTH = 380
PHONE_LABEL_WIDTH = 165
PHONE_VALUE_ROOM = 115
PHONE_LABEL_CHARS = 17


# A bar's label is cut to this many characters (about what LABEL_WIDTH holds);
# the tables beside every chart give the full text.
LABEL_CHARS = 24


def short_label(text: str, chars: int = LABEL_CHARS) -> str:
    return text if len(text) <= chars else text[: chars - 1].rstrip() + "…"


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    text: str
    y: int
    width: float
    highlight: bool
    # The spread across folds (± one standard deviation) as a whisker, in bar coordinates; None without one.
    spread_from: float | None = None
    spread_to: float | None = None
    text_dx: float | None = None  # where the value's text starts: after the bar, or after its whisker


def bar_chart(
    items: list[tuple[str, float, str, bool]],
    *,
    max_value: float | None = None,
    width: int = CHART_WIDTH,
    label_width: int = LABEL_WIDTH,
    spreads: list[float | None] | None = None,
    value_room: int = 70,
    label_chars: int = LABEL_CHARS,
) -> dict:
    """Horizontal bars: (label, value, value as text, highlighted?) each; spreads draws ± whiskers."""
    top = max_value or max((value for _, value, _, _ in items), default=1.0) or 1.0
    span = width - label_width - value_room
    bars = []
    for index, (label, value, text, highlight) in enumerate(items):
        spread = spreads[index] if spreads else None
        whisker = (
            (round(label_width + span * max(0.0, value - spread) / top, 1),
             round(label_width + span * min(top, value + spread) / top, 1))
            if spread else (None, None)
        )
        bar_width = max(1.0, span * value / top)
        text_dx = max(bar_width, whisker[1] - label_width) if spread else bar_width
        bars.append(Bar(short_label(label, label_chars), value, text, index * BAR_HEIGHT, bar_width, highlight, *whisker,
                        text_dx=round(text_dx, 1)))
    return {"bars": bars, "height": len(bars) * BAR_HEIGHT + 4, "width": width, "label_width": label_width}


def with_spread(value: float | None, std: float | None) -> str:
    """A score with its spread across folds: 0.953 ± 0.021 (the spread left out when unknown)."""
    if value is None:
        return "—"
    return f"{value:.3f}" if std is None else f"{value:.3f} ± {std:.3f}"


def curve_floor(values: list[float]) -> float:
    """The lowest y worth drawing: a tenth below the lowest score, so close lines stay apart (never below 0)."""
    low = min((v for v in values if v is not None), default=0.0)
    return max(0.0, math.floor((low - 0.05) * 10) / 10)


def line_chart(
    xs: list[float], series: dict[str, list[float]], *, y_min: float = 0.0, y_max: float = 1.0,
    width: int = CHART_WIDTH, height: int = 300,
) -> dict:
    """Lines over a shared x axis, as SVG polyline points in a width×height box."""
    left, bottom, top, right = 50, 40, 12, 20
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
    # On a narrow chart every other size is labelled, so the numbers do not run into each other.
    step = 2 if width < CHART_WIDTH and len(xs) > 5 else 1
    x_ticks = [{"x": point(x, y_min)[0], "label": f"{int(x):,}"} for i, x in enumerate(xs)
               if i % step == 0 or i == len(xs) - 1]
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


# A column's distribution is drawn in a small box that fits a table cell on a phone.
SPARK_WIDTH, SPARK_HEIGHT, SPARK_BARS = 160, 40, 12


def distribution_chart(distribution: dict | None) -> dict | None:
    """Bars of a histogram (bins in order) or of the top categories (largest first, "other" last)."""
    if not distribution or not distribution.get("counts"):
        return None
    counts = list(distribution["counts"])
    if distribution.get("type") == "histogram":
        edges = distribution.get("edges") or []
        names = [f"{edges[i]:g} to {edges[i + 1]:g}" for i in range(len(counts))] if len(edges) > len(counts) else []
        caption = f"{edges[0]:g} … {edges[-1]:g}" if edges else ""
    else:
        names = [str(label) for label in distribution.get("labels") or []]
        if distribution.get("other"):
            counts.append(distribution["other"])
            names.append("all other values")
        total = sum(counts) or 1
        caption = f"{short_label(names[0])} {100 * counts[0] / total:.0f}%" if names else ""
    counts, names = counts[:SPARK_BARS], (names or [""] * len(counts))[:SPARK_BARS]
    top, slot = max(counts) or 1, SPARK_WIDTH / len(counts)
    bars = []
    for index, (count, name) in enumerate(zip(counts, names)):
        height = round(max(1.0, (SPARK_HEIGHT - 2) * count / top), 1)
        bars.append({"x": round(index * slot + 0.5, 1), "width": round(max(1.0, slot - 1.5), 1),
                     "y": round(SPARK_HEIGHT - height, 1), "height": height, "label": name, "count": count})
    return {"type": distribution.get("type"), "bars": bars, "width": SPARK_WIDTH, "height": SPARK_HEIGHT,
            "caption": caption}


def column_rows(profile: dict) -> list[dict]:
    """One row per column: its type, missing values, distinct values, what the baselines did with it and why,
    its association with the target (mutual information) and a small chart of its values."""
    rows = profile.get("rows") or 0
    missing = profile.get("missing") or {}
    distinct = profile.get("cardinality") or {}
    features = profile.get("features") or {}
    used, dropped = set(features.get("used") or []), features.get("dropped") or {}
    details = {d.get("name"): d for d in profile.get("column_details") or []}
    table = []
    kinds = profile.get("column_types") or {}
    for name in result_column_names(profile):
        kind, detail = kinds.get(name, ""), details.get(name) or {}
        reason = ""
        if name == profile.get("target"):
            role = "target"
        elif name in used:
            role = "feature"
        elif name in dropped:
            role = "left out"
            reason = detail.get("reason") or (features.get("reasons") or {}).get(name) or dropped[name]
        else:
            role = "—"
        gaps = missing.get(name) or 0
        table.append({
            "name": name, "kind": KIND_LABELS.get(kind, kind), "missing": gaps,
            "missing_percent": 100 * gaps / rows if rows else 0, "distinct": distinct.get(name), "role": role,
            "reason": reason, "why": detail.get("why") or "", "small_integer": bool(detail.get("small_integer")),
            "mutual_information": detail.get("mutual_information"),
            "chart": distribution_chart(detail.get("distribution")),
        })
    return table


# Both learning curves are drawn narrow, side by side on a desktop and one above the other on a phone.
CURVE_WIDTH, CURVE_HEIGHT = 420, 280


def curve_charts(curve: dict) -> tuple[dict | None, dict | None]:
    """The learning curve in balanced accuracy, and (when the profile has it) in log loss from 0 up."""
    if not curve.get("train_sizes"):
        return None, None
    sizes = curve["train_sizes"]
    scores = line_chart(
        sizes, {"Training": curve["train_scores"], "Validation": curve["validation_scores"]},
        y_min=curve_floor(curve["train_scores"] + curve["validation_scores"]), width=CURVE_WIDTH, height=CURVE_HEIGHT,
    )
    losses = [v for v in (curve.get("train_log_loss") or []) + (curve.get("validation_log_loss") or []) if v is not None]
    if not losses or len(curve.get("validation_log_loss") or []) != len(sizes):
        return scores, None
    top = max(0.4, math.ceil(max(losses) / 0.4) * 0.4)  # ticks every tenth of a multiple of 0.4
    loss = line_chart(
        sizes, {"Training": curve["train_log_loss"], "Validation": curve["validation_log_loss"]},
        y_min=0.0, y_max=top, width=CURVE_WIDTH, height=CURVE_HEIGHT,
    )
    return scores, loss


def curve_points(curve: dict) -> list[dict]:
    """The learning curve's numbers, one row per training size (for the chart's text alternative)."""
    keys = ("train_scores", "validation_scores", "train_log_loss", "validation_log_loss")
    columns = [curve.get(key) or [] for key in keys]
    return [
        {"size": size, **{key: (values[i] if i < len(values) else None) for key, values in zip(keys, columns)}}
        for i, size in enumerate(curve.get("train_sizes") or [])
    ]


def report_context(profile: dict) -> dict:
    """Everything the report template needs, derived from the profile."""
    baselines = [b for b in profile.get("baselines") or [] if b.get("balanced_accuracy") is not None]
    best = profile.get("best_model")
    model_bars = [(b["model"], b["balanced_accuracy"], with_spread(b["balanced_accuracy"], b.get("balanced_accuracy_std")),
                   b["model"] == best) for b in baselines]
    model_spreads = [b.get("balanced_accuracy_std") for b in baselines]
    curve = profile.get("learning_curve") or {}
    classes = profile.get("classes") or {}
    confusion = profile.get("confusion_matrix") or {}
    return {
        "warnings": [{**w, "advice": WARNING_ADVICE.get(w.get("code"), "")} for w in profile.get("warnings") or []],
        "metric_help": METRIC_HELP,
        "columns": column_rows(profile),
        "model_chart": bar_chart(model_bars, max_value=1.0, spreads=model_spreads, value_room=130) if baselines else None,
        # The same bars drawn for a 390 px phone: text at about its own size instead of a chart to scroll sideways.
        "model_chart_phone": bar_chart(
            model_bars, max_value=1.0, spreads=model_spreads, width=PHONE_CHART_WIDTH, label_width=PHONE_LABEL_WIDTH,
            value_room=PHONE_VALUE_ROOM, label_chars=PHONE_LABEL_CHARS,
        ) if baselines else None,
        "scores": [{**b, **{f"{key}_text": with_spread(b.get(key), b.get(f"{key}_std"))
                            for key in ("accuracy", "balanced_accuracy", "f1_macro", "log_loss")}}
                   for b in profile.get("baselines") or []],
        "class_chart": bar_chart(
            # Largest class first: jsonb does not keep the dict's order, and this reads best anyway.
            [(str(k), v, f"{v:,}", False) for k, v in sorted(classes.items(), key=lambda kv: (-kv[1], str(kv[0])))],
            width=HALF_CHART_WIDTH,
            label_width=HALF_LABEL_WIDTH,
        ) if classes else None,
        "curve_chart": curve_charts(curve)[0],
        "loss_chart": curve_charts(curve)[1],
        "curve_points": curve_points(curve),
        "to_beat": baseline_to_beat(profile),
        "curve": curve,
        "confusion": confusion_cells(confusion["labels"], confusion["matrix"]) if confusion.get("labels") else None,
        "confusion_labels": confusion.get("labels") or [],
    }


def notebook_offer(job, *, title: str = "") -> dict | None:
    """What the report says about the starter notebook: offered (ran and printed the profile's baseline),
    or why not. None when the job has no notebook outcome (profiled before notebooks existed)."""
    outcome = (job.notebook or {}) if job else {}
    if not outcome:
        return None
    slug = slugify(title) or "dataset"
    offered = bool(outcome.get("executed") and outcome.get("matches_profile") and outcome.get("path"))
    reason = outcome.get("error_message") or ""
    if not offered and not reason:
        reason = (f"It ran but printed a balanced accuracy of {outcome.get('baseline_balanced_accuracy')}, "
                  "not the profile's, so it is not offered.")
    return {"offered": offered, "reason": reason, "file_name": f"{slug}-starter-notebook.zip",
            "baseline": outcome.get("baseline_balanced_accuracy")}


def notebook_zip(job) -> io.BytesIO:
    """The executed notebook and its data file side by side, as the notebook expects them."""
    media = Path(settings.MEDIA_ROOT)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for key in ("path", "data_path"):
            path = media / job.notebook[key]
            archive.write(path, arcname=path.name)
    buffer.seek(0)
    return buffer
