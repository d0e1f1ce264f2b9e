"""Column types, and the target column when nobody named one.

Types are semantic, not pandas dtypes:

- constant: at most one distinct value (an empty column is constant too);
- identifier: a value per row, like a row number, a code or a name
  (text with ≥ 95% distinct values, or whole numbers all distinct that count
  up or whose name says "id");
- datetime: dates or timestamps (a datetime dtype, or text that is ISO or
  d/m/y dates throughout);
- text: free text (long multi-word values, mostly distinct);
- numeric: numbers; categorical: everything else.
"""
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from datasets.profiling.errors import ProfileError

ID_NAME = re.compile(r"(^|[_\s.-])(id|ids|uuid|guid|key|index|idx|row|rownum|record)$|^unnamed: ?\d+$", re.I)
DATE = re.compile(r"^\d{4}-\d{1,2}-\d{1,2}([ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$|^\d{1,2}[/.]\d{1,2}[/.]\d{2,4}$")
# Names a target column usually has, most telling first.
TARGET_NAMES = (
    "target", "label", "class", "species", "diagnosis", "outcome", "y", "labels", "classes", "category",
    "survived", "churn", "default", "result", "grade", "quality", "status", "type", "variety", "cultivar", "digit",
)
# A classification target has a handful of classes; more looks like regression.
MAX_CLASSES = 100
MAX_PROPOSED_CLASSES = 20
MIN_ROWS_FOR_IDENTIFIER = 20


@dataclass(frozen=True)
class ColumnFacts:
    kind: str
    missing: int
    distinct: int


def column_facts(series: pd.Series) -> ColumnFacts:
    """The type, missing count and distinct count of one column."""
    missing = int(series.isna().sum())
    present = len(series) - missing
    distinct = int(series.nunique(dropna=True))
    return ColumnFacts(_kind(series, present, distinct), missing, distinct)


def _kind(series: pd.Series, present: int, distinct: int) -> str:
    if distinct <= 1:
        return "constant"
    if pd.api.types.is_bool_dtype(series) or isinstance(series.dtype, pd.CategoricalDtype):
        return "categorical"
    if pd.api.types.is_datetime64_any_dtype(series):
        return "datetime"
    if pd.api.types.is_numeric_dtype(series):
        return "identifier" if _numeric_identifier(series, present, distinct) else "numeric"
    values = series.dropna()
    sample = values.iloc[:: max(1, len(values) // 500)].astype(str)
    if sample.str.match(DATE).all():
        return "datetime"
    if present >= MIN_ROWS_FOR_IDENTIFIER and distinct >= 0.95 * present:
        lengths = sample.str.len()
        words = sample.str.count(" ") + 1
        return "text" if lengths.mean() >= 25 and words.mean() >= 4 else "identifier"
    if distinct > 0.5 * present and distinct > 50 and sample.str.len().mean() >= 25 and (sample.str.count(" ") + 1).mean() >= 4:
        return "text"
    return "categorical"


def _numeric_identifier(series: pd.Series, present: int, distinct: int) -> bool:
    """Whole numbers, one per row, that count up or are named like an id."""
    if present < MIN_ROWS_FOR_IDENTIFIER or distinct < present:
        return False
    values = series.dropna().to_numpy()
    if not np.all(np.mod(values, 1) == 0):
        return False
    return bool(ID_NAME.search(str(series.name)) or np.all(np.diff(values) > 0))


def target_labels(series: pd.Series) -> pd.Series:
    """Target values as text labels ("3", not "3.0"), missing kept missing."""
    if pd.api.types.is_float_dtype(series):
        present = series.dropna()
        if len(present) and np.all(np.mod(present.to_numpy(), 1) == 0):
            return series.map(lambda v: str(int(v)) if pd.notna(v) else np.nan)
    return series.map(lambda v: str(v) if pd.notna(v) else np.nan)


def _plausible_target(facts: ColumnFacts) -> bool:
    return facts.kind in ("categorical", "numeric") and 2 <= facts.distinct <= MAX_PROPOSED_CLASSES


def choose_target(frame: pd.DataFrame, facts: dict[str, ColumnFacts], target: str | None) -> tuple[str, bool]:
    """(target column, proposed by us?).

    1. A given target must be a column and look categorical (≤ 100 classes).
    2. Otherwise a plausible column (2–20 classes) named like a target
       ("target", "label", "class", "species", …; the earliest name in that
       list wins, then the last such column).
    3. Otherwise the last plausible categorical column, then the last
       plausible whole-number column.
    4. Nothing plausible: no_target, with advice to name one.
    """
    if target is not None:
        if target not in frame.columns:
            raise ProfileError("unknown_target", f"“{target}” is not a column of this table.")
        if facts[target].distinct > MAX_CLASSES:
            raise ProfileError(
                "too_many_classes",
                f"“{target}” has {facts[target].distinct:,} different values: that is a number to predict "
                f"(regression), not classes. Choose a column with at most {MAX_CLASSES} classes.",
            )
        return target, False
    plausible = [name for name in frame.columns if _plausible_target(facts[name])]
    named = [
        (TARGET_NAMES.index(token), -position, name)
        for position, name in enumerate(frame.columns)
        if name in plausible
        for token in [_target_token(name)]
        if token in TARGET_NAMES
    ]
    if named:
        return min(named)[2], True
    for kind in ("categorical", "numeric"):
        candidates = [name for name in plausible if facts[name].kind == kind]
        if kind == "numeric":
            candidates = [name for name in candidates if _whole_numbers(frame[name])]
        if candidates:
            return candidates[-1], True
    raise ProfileError(
        "no_target",
        "No column looks like classes to predict (a column with 2 to 20 distinct values). "
        "Name the target column yourself.",
    )


def _target_token(name: str) -> str:
    tokens = [token for token in re.split(r"[^a-z0-9]+", str(name).lower()) if token]
    if not tokens:
        return ""
    whole = "".join(tokens)
    return whole if whole in TARGET_NAMES else tokens[-1]


def _whole_numbers(series: pd.Series) -> bool:
    values = series.dropna().to_numpy()
    return bool(len(values)) and bool(np.all(np.mod(values, 1) == 0))
