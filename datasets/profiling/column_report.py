"""Per column, for the report: used or why not, a small distribution, the association with the target."""
import numpy as np
import pandas as pd

from datasets.profiling import baselines as bl
from datasets.profiling.columns import ColumnFacts, numeric_values

# Distributions: histogram bins, top categories, rows used for mutual information.
HISTOGRAM_BINS = 10
TOP_CATEGORIES = 6
MI_ROWS = 2_000


def column_details(frame: pd.DataFrame, facts: dict[str, ColumnFacts], target: str, features: dict,
                    design: bl.Design) -> list[dict]:
    """Per column, in the file's order: type and why, used or why not, a small distribution, association.

    `mutual_information` is in bits, estimated on the model rows from at most
    10 quantile bins of a number (or the top categories), minus its bias
    (Miller–Madow), so a column unrelated to the target scores about 0; the
    target's own entropy (`target_entropy` in the profile) is the ceiling.
    Distributions are kept for the MAX_CHARTS most associated columns (and
    the target) to keep the stored profile small.
    """
    information = _mutual_information(design)
    charted = set(sorted(information, key=lambda name: -information[name])[:MAX_CHARTS]) | {target}
    used = set(features["used"])
    details = []
    for name in frame.columns:
        fact = facts[name]
        # Compact (a 752-column table has 752 of these): type, missing and distinct counts are in
        # column_types / missing / cardinality; keys at their default are left out.
        detail = {"name": name, "used": name in used, "mutual_information": information.get(name)}
        if fact.why and fact.why != "numbers":
            detail["why"] = fact.why
        if fact.small_integer:
            detail["small_integer"] = True
        if name not in used and name != target:
            detail["reason"] = features["reasons"].get(name)
        if name in charted:
            detail["distribution"] = _distribution(frame[name], fact)
        details.append(detail)
    return details


MAX_CHARTS = 40


def _distribution(series: pd.Series, fact: ColumnFacts) -> dict | None:
    """A histogram (10 bins) of a number or date, or the top categories with the rest pooled."""
    if fact.kind in ("numeric", "datetime"):
        if fact.kind == "numeric":
            values = numeric_values(series, fact)
        else:
            stamps = pd.to_datetime(series, errors="coerce", format="mixed") if series.dtype == object else series
            values = np.where(stamps.isna().to_numpy(), np.nan,
                              stamps.to_numpy(dtype="datetime64[ns]").astype(np.int64) / 86_400e9)
        values = values[np.isfinite(values)]
        if not len(values):
            return None
        if fact.small_integer or (fact.distinct <= HISTOGRAM_BINS and np.all(np.mod(values, 1) == 0)):
            levels, counts = np.unique(values, return_counts=True)
            return {"type": "bars", "labels": [_number_text(v) for v in levels], "counts": counts.tolist()}
        counts, edges = np.histogram(values, bins=HISTOGRAM_BINS)
        if fact.kind == "datetime":
            labels = [str(np.datetime64(int(edge * 86_400), "s").astype("datetime64[D]")) for edge in edges]
            return {"type": "histogram", "edges": labels, "counts": counts.tolist()}
        return {"type": "histogram", "edges": [float(f"{edge:.4g}") for edge in edges], "counts": counts.tolist()}
    if fact.kind in ("categorical", "constant"):
        counts = series.astype(object).where(series.notna(), None).value_counts()
        order = sorted(counts.index, key=lambda value: (-counts[value], str(value)))
        top = order[:TOP_CATEGORIES]
        return {"type": "bars", "labels": [str(value) for value in top], "counts": [int(counts[v]) for v in top],
                "other": int(counts.sum() - sum(counts[v] for v in top))}
    return None


def _number_text(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.4g}"


def _mutual_information(design: bl.Design) -> dict[str, float]:
    """Binned mutual information (bits) of each model column with the target, bias-corrected, on ≤ 2,000 rows."""
    index = design.subset(MI_ROWS)
    y = design.y[index]
    n = len(y)
    if not n or not design.X.shape[1]:
        return {}
    classes = int(y.max()) + 1
    py = np.bincount(y, minlength=classes) / n
    result = {}
    for column in range(design.X.shape[1]):
        values = design.X[index, column]
        missing = np.isnan(values)
        if column < design.n_numeric and len(np.unique(values[~missing])) > HISTOGRAM_BINS:
            edges = np.unique(np.nanquantile(values[~missing], np.linspace(0, 1, HISTOGRAM_BINS + 1)[1:-1]))
            groups = np.searchsorted(edges, values, side="right")
        else:
            _, groups = np.unique(np.nan_to_num(values, nan=-2.0), return_inverse=True)
        groups = np.where(missing, groups.max(initial=0) + 1, groups).astype(np.int64)
        k = int(groups.max()) + 1
        joint = np.bincount(groups * classes + y, minlength=k * classes).reshape(k, classes) / n
        px = joint.sum(axis=1)
        nonzero = joint > 0
        mi = float(np.sum(joint[nonzero] * np.log2(joint[nonzero] / (px[:, None] * py[None, :])[nonzero])))
        # Miller–Madow: a plug-in estimate overstates by about (cells − 1) / (2 n ln 2) bits.
        bias = ((px > 0).sum() - 1) * ((py > 0).sum() - 1) / (2 * n * np.log(2))
        result[design.names[column]] = round(max(0.0, mi - bias), 4)
    return result
