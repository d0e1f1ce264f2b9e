"""Column types, and the target column: checked when named, proposed (with a reason) when not.

Types are semantic, not pandas dtypes:

- constant: at most one distinct value (an empty column is constant too);
- identifier: a label per row — text with ≥ 95% distinct short values, or
  whole numbers all distinct that count up or whose name says "id"/"key"/"code".
  A number with a fractional part is a measurement, never an identifier,
  however many distinct values it has (and so is text that reads as numbers);
- datetime: dates or timestamps (a datetime dtype, or text that is ISO or
  d/m/y dates throughout);
- text: free text (long multi-word values, mostly distinct);
- numeric: numbers (also text columns whose values read as numbers);
  categorical: everything else.

Whole-number columns with a few values (3 to 12: a rating, a count of rooms)
stay numeric but are flagged `small_integer`: linear models see them both as
a number and as categories.
"""
import difflib
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from datasets.profiling.errors import ProfileError

ID_NAME = re.compile(
    r"(^|[_\s.-])(id|ids|uuid|guid|key|index|idx|row|rownum|record|code|no|nr|number)$|^(id|key|code)[_\s.-]|^unnamed: ?\d+$",
    re.I,
)
DATE = re.compile(r"^\d{4}-\d{1,2}-\d{1,2}([ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$|^\d{1,2}[/.]\d{1,2}[/.]\d{2,4}$")
# Text that reads as a number (a decimal comma too): a measurement stored as text.
CODE_LIKE = re.compile(r"^\s*[+-]?0\d|\d{16,}")
NUMBER_TEXT = re.compile(r"^\s*[+-]?(\d+([.,]\d*)?|[.,]\d+)([eE][+-]?\d+)?\s*$")
# Names a target column usually has, most telling first.
TARGET_NAMES = (
    "target", "label", "class", "outcome", "y", "species", "diagnosis", "labels", "classes", "category",
    "survived", "churn", "default", "result", "grade", "quality", "status", "type", "variety", "cultivar", "digit",
    "response", "decision", "verdict", "vote", "choice",
)
# A classification target has a handful of classes; more looks like regression.
MAX_CLASSES = 100
MAX_PROPOSED_CLASSES = 20
# A numeric target with more distinct values than this (or fractional values and
# more than REGRESSION_FRACTIONAL_VALUES) is a quantity to predict: regression.
REGRESSION_VALUES = 30
REGRESSION_FRACTIONAL_VALUES = 10
MIN_ROWS_FOR_IDENTIFIER = 20
SMALL_INTEGER_VALUES = (3, 12)
# "Did you mean": at most this many suggestions, this close (difflib ratio).
SUGGESTIONS = 3
SUGGESTION_CUTOFF = 0.6
LISTED_COLUMNS = 40


@dataclass(frozen=True)
class ColumnFacts:
    kind: str
    missing: int
    distinct: int
    # Why the column has this kind, in a few words ("12 different whole numbers counting up").
    why: str = ""
    # Whole numbers with 3–12 values: numeric, and one-hot too for linear models.
    small_integer: bool = False
    # Text that reads as numbers: converted in the model matrix.
    numeric_text: bool = False


def column_facts(series: pd.Series) -> ColumnFacts:
    """The type, missing count and distinct count of one column."""
    missing = int(series.isna().sum())
    present = len(series) - missing
    distinct = int(series.nunique(dropna=True))
    kind, why, numeric_text = _kind(series, present, distinct)
    small = kind == "numeric" and not numeric_text and _small_integer(series, distinct)
    return ColumnFacts(kind, missing, distinct, why, small, numeric_text)


def _kind(series: pd.Series, present: int, distinct: int) -> tuple[str, str, bool]:
    if distinct <= 1:
        return "constant", "a single value" if distinct else "no values", False
    if pd.api.types.is_bool_dtype(series) or isinstance(series.dtype, pd.CategoricalDtype):
        return "categorical", f"{distinct} categories", False
    if pd.api.types.is_datetime64_any_dtype(series):
        return "datetime", "dates", False
    if pd.api.types.is_numeric_dtype(series):
        if _numeric_identifier(series, present, distinct):
            return "identifier", f"{distinct:,} different whole numbers, one per row, like a row number or a code", False
        return "numeric", "numbers", False
    values = series.dropna()
    sample = values.iloc[:: max(1, len(values) // 500)].astype(str)
    if len(sample) and sample.str.match(DATE).all():
        return "datetime", "dates", False
    # Codes with leading zeros ("007", a postcode) stay text, as the loader kept them on purpose.
    if (len(sample) and sample.str.match(NUMBER_TEXT).mean() >= 0.98 and not sample.str.match(CODE_LIKE).any()
            and _numbers(values).notna().mean() >= 0.95):
        return "numeric", "numbers stored as text", True
    if present >= MIN_ROWS_FOR_IDENTIFIER and distinct >= 0.95 * present:
        lengths = sample.str.len()
        words = sample.str.count(" ") + 1
        if lengths.mean() >= 25 and words.mean() >= 4:
            return "text", "free text", False
        return "identifier", f"{distinct:,} different labels for {present:,} rows: a name or code per row", False
    if distinct > 0.5 * present and distinct > 50 and sample.str.len().mean() >= 25 and (sample.str.count(" ") + 1).mean() >= 4:
        return "text", "free text", False
    return "categorical", f"{distinct:,} categories", False


def _numbers(values: pd.Series) -> pd.Series:
    """Text as numbers; decimal commas ("3,14") read as points when the column has no points."""
    text = values.astype(str).str.strip()
    if not text.str.contains(".", regex=False).any():
        text = text.str.replace(",", ".", regex=False)
    return pd.to_numeric(text, errors="coerce")


def numeric_values(series: pd.Series, facts: ColumnFacts) -> np.ndarray:
    """A numeric column as float64 (NaN = missing), text numbers converted."""
    if facts.numeric_text:
        present = series.notna()
        out = np.full(len(series), np.nan)
        out[present.to_numpy()] = _numbers(series[present]).to_numpy(dtype=np.float64, na_value=np.nan)
        return out
    return series.to_numpy(dtype=np.float64, na_value=np.nan)


def _numeric_identifier(series: pd.Series, present: int, distinct: int) -> bool:
    """Whole numbers, one per row, that count up or are named like an id. Never fractional numbers."""
    if present < MIN_ROWS_FOR_IDENTIFIER or distinct < present or pd.api.types.is_bool_dtype(series):
        return False
    values = series.dropna().to_numpy(dtype=np.float64)
    if not np.all(np.mod(values, 1) == 0):
        return False
    return bool(ID_NAME.search(str(series.name)) or np.all(np.diff(values) > 0) or np.all(np.diff(values) < 0))


def _small_integer(series: pd.Series, distinct: int) -> bool:
    low, high = SMALL_INTEGER_VALUES
    if not low <= distinct <= high or pd.api.types.is_bool_dtype(series):
        return False
    return _whole_numbers(series)


def target_labels(series: pd.Series) -> pd.Series:
    """Target values as text labels ("3", not "3.0"), missing kept missing."""
    if pd.api.types.is_float_dtype(series):
        present = series.dropna()
        if len(present) and np.all(np.mod(present.to_numpy(), 1) == 0):
            return series.map(lambda v: str(int(v)) if pd.notna(v) else np.nan)
    return series.map(lambda v: str(v) if pd.notna(v) else np.nan)


def is_regression_target(series: pd.Series, facts: ColumnFacts) -> bool:
    """Numbers with many values (or fractional ones with more than a few) are a quantity, not classes."""
    if facts.kind not in ("numeric", "identifier"):
        return False
    if facts.distinct > REGRESSION_VALUES:
        return True
    return facts.distinct > REGRESSION_FRACTIONAL_VALUES and not _whole_numbers(series)


def _plausible_target(series: pd.Series, facts: ColumnFacts) -> bool:
    """2–20 classes with at least 2 examples each on average; text, or whole numbers that are not a quantity."""
    if not 2 <= facts.distinct <= MAX_PROPOSED_CLASSES or 2 * facts.distinct > len(series) - facts.missing:
        return False
    if is_regression_target(series, facts):
        return False
    return facts.kind == "categorical" or (facts.kind == "numeric" and _whole_numbers(series))


def suggestions(name: str, columns: list[str]) -> list[str]:
    """Columns close to a mistyped name: same letters ignoring case and spaces first, then by edit distance."""
    def norm(text: str) -> str:
        return re.sub(r"[\s_\-.]+", "", str(text)).lower()

    exact = [column for column in columns if norm(column) == norm(name)]
    if exact:
        return exact[:SUGGESTIONS]
    by_norm = {norm(column): column for column in columns}
    close = [by_norm[match] for match in difflib.get_close_matches(norm(name), list(by_norm), n=SUGGESTIONS, cutoff=SUGGESTION_CUTOFF)]
    return list(dict.fromkeys(exact + close))[:SUGGESTIONS]


def unknown_target_error(target: str, columns: list[str]) -> ProfileError:
    close = suggestions(target, columns)
    listed = ", ".join(f"“{column}”" for column in columns[:LISTED_COLUMNS])
    if len(columns) > LISTED_COLUMNS:
        listed += f" and {len(columns) - LISTED_COLUMNS:,} more"
    hint = f" Did you mean {' or '.join(f'“{c}”' for c in close)}?" if close else ""
    return ProfileError(
        "unknown_target",
        f"“{target}” is not a column of this table.{hint} The columns are: {listed}.",
        target=target, suggestions=close, columns=columns,
    )


def choose_target(frame: pd.DataFrame, facts: dict[str, ColumnFacts], target: str | None) -> tuple[str, bool, str]:
    """(target column, proposed by us?, why it is the target).

    A named target must be a column (else `unknown_target`, with "did you
    mean"), must not be a quantity (`regression_target`) and must have at most
    100 classes (`too_many_classes`). When none is named, in this order:

    1. a plausible column (2–20 classes, text or whole numbers) named like a
       target ("target", "label", "class", "outcome", …; the earliest name
       in that list wins, then the last such column);
    2. the last column, if plausible (tables usually put the target last);
    3. the last plausible text column (categories, not numbers);
    4. the last yes/no column coded 0/1.

    A count such as "rooms" in the middle of a house-price table is never
    proposed; a table whose last column is a quantity gets `no_target` that
    says so and suggests binning it.
    """
    columns = [str(name) for name in frame.columns]
    if target is not None:
        if target not in frame.columns:
            raise unknown_target_error(target, columns)
        fact = facts[target]
        if is_regression_target(frame[target], fact):
            raise regression_error(target, fact)
        if fact.distinct > MAX_CLASSES:
            raise ProfileError(
                "too_many_classes",
                f"“{target}” has {fact.distinct:,} different values: too many classes for a classification project. "
                f"Choose a column with at most {MAX_CLASSES} classes, or group its values into a few.",
                target=target,
            )
        return target, False, "chosen by you"
    plausible = [name for name in frame.columns if _plausible_target(frame[name], facts[name])]
    named = [
        (TARGET_NAMES.index(token), -position, name)
        for position, name in enumerate(frame.columns)
        if name in plausible
        for token in [_target_token(name)]
        if token in TARGET_NAMES
    ]
    if named:
        name = min(named)[2]
        return name, True, f"its name “{name}” is a usual name for the column to predict; it has {facts[name].distinct} classes"
    last = frame.columns[-1]
    if last in plausible:
        return last, True, f"it is the last column (where tables usually put the target) and has {facts[last].distinct} classes"
    text = [name for name in plausible if facts[name].kind == "categorical" and not pd.api.types.is_numeric_dtype(frame[name])]
    if text:
        return text[-1], True, f"it is the last column of categories ({facts[text[-1]].distinct} classes)"
    binary = [name for name in plausible if facts[name].distinct == 2]
    if binary:
        return binary[-1], True, "it is the last yes/no (two-value) column"
    if is_regression_target(frame[last], facts[last]):
        raise ProfileError(
            "no_target",
            f"No column looks like classes to predict. The last column, “{last}”, holds numbers with "
            f"{facts[last].distinct:,} different values: predicting it is regression, and this profiler is for "
            "classification. Bin it into a few classes (for example low / medium / high with pandas.qcut) "
            "and upload that, or name the target column yourself.",
        )
    raise ProfileError(
        "no_target",
        "No column looks like classes to predict (a column with 2 to 20 distinct values). "
        "Name the target column yourself.",
    )


def regression_error(target: str, fact: ColumnFacts) -> ProfileError:
    return ProfileError(
        "regression_target",
        f"“{target}” holds numbers with {fact.distinct:,} different values: predicting it is regression, "
        "and this profiler is for classification projects. Bin it into a few classes (for example low / "
        "medium / high with pandas.qcut) and use that column as the target, or choose another column.",
        target=target,
    )


def single_class_error(target: str, label: str) -> ProfileError:
    return ProfileError(
        "single_class",
        f"Every row with a value in “{target}” has the same value ({label}), so there is nothing to classify. "
        "Choose a column with at least two classes.",
        target=target,
    )


def _target_token(name: str) -> str:
    tokens = [token for token in re.split(r"[^a-z0-9]+", str(name).lower()) if token]
    if not tokens:
        return ""
    whole = "".join(tokens)
    return whole if whole in TARGET_NAMES else tokens[-1]


def _whole_numbers(series: pd.Series) -> bool:
    if not pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series):
        return False
    values = series.dropna().to_numpy(dtype=np.float64)
    return bool(len(values)) and bool(np.all(np.mod(values, 1) == 0))
