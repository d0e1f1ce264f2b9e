"""The warnings a profile gives a student: each with its numbers and, in the report, one sentence of advice."""
import pandas as pd

from datasets.profiling import baselines as bl
from datasets.profiling.columns import ColumnFacts
from datasets.profiling.loading import LoadedTable

# The course's rule of thumb: fewer than 30 examples of a class is too few.
SMALL_CLASS = 30
# Majority / minority class size from which accuracy misleads (80/20 and worse).
HEAVY_IMBALANCE_RATIO = 4.0
# From this ratio on (60/40 and worse) class-weighted baselines are fitted and
# the imbalance is worth a warning.
WEIGHTING_RATIO = 1.5
# A column missing in more than this share of its rows gets a warning.
MISSING_SHARE = 0.02
# A best balanced accuracy from this on leaves almost nothing to beat (or a leak).
NEAR_PERFECT = 0.98
# A pandas copy of the table above this size strains a notebook (pandas copies a lot).
NOTEBOOK_BYTES = 1024**3
MESSAGES_PER_CODE = 10
USED_KINDS = ("numeric", "categorical", "datetime")


def warning(code: str, message: str, column: str | None) -> dict:
    return {"code": code, "message": message, "column": column}


def load_warnings(load_info: LoadedTable | None, renamed: list[dict], facts: dict | None = None) -> list[dict]:
    """What reading the file did, as warnings: nothing a student should be surprised by later."""
    warnings = []
    renamed = (load_info.renamed_columns if load_info else []) + renamed
    if renamed:
        pairs = ", ".join(f"“{item['from']}” → “{item['to']}”" for item in renamed[:MESSAGES_PER_CODE])
        warnings.append(warning("renamed_columns", f"Duplicate or blank column names were renamed: {pairs}.", None))
    if load_info is None:
        return warnings
    if load_info.encoding and load_info.encoding not in ("utf-8", "utf-8-sig", "ascii"):
        warnings.append(warning(
            "encoding_detected", f"The file is not UTF-8; it was read as {load_info.encoding}.", None
        ))
    if load_info.ragged_rows:
        lines = load_info.ragged_row_numbers[:5]
        where = f" (lines {', '.join(str(n) for n in lines)}{', …' if load_info.ragged_rows > len(lines) else ''})" if lines else ""
        warnings.append(warning(
            "ragged_rows",
            f"{load_info.ragged_rows:,} rows had a different number of fields than the header{where} and were skipped.",
            None,
        ))
    for name in load_info.decimal_comma_columns[:MESSAGES_PER_CODE]:
        warnings.append(warning("decimal_comma", f"“{name}” uses decimal commas (like 3,14); it was read as numbers.", name))
    for name, example in list(load_info.mixed_columns.items())[:MESSAGES_PER_CODE]:
        numeric = facts is not None and name in facts and facts[name].numeric_text
        warnings.append(warning(
            "mixed_types",
            f"“{name}” is mostly numbers but also holds text (e.g. “{example}”)"
            + (": the models read it as numbers, the text as missing." if numeric else
               ", so the whole column was kept as text."),
            name,
        ))
    return warnings


def class_warnings(classes: dict[str, int], target: str) -> list[dict]:
    warnings = []
    small = [(label, count) for label, count in classes.items() if count < SMALL_CLASS]
    for label, count in small[:MESSAGES_PER_CODE]:
        warnings.append(warning(
            "small_class",
            f"Class “{label}” has only {count} example{'s' if count != 1 else ''} (fewer than {SMALL_CLASS}).",
            target,
        ))
    if len(small) > MESSAGES_PER_CODE:
        warnings.append(warning(
            "small_class", f"…and {len(small) - MESSAGES_PER_CODE} more classes have fewer than {SMALL_CLASS} examples.", target
        ))
    largest, smallest = max(classes.items(), key=lambda item: item[1]), min(classes.items(), key=lambda item: item[1])
    share = largest[1] / sum(classes.values())
    advice = (f"Always answering “{largest[0]}” is right {share:.1%} of the time: that accuracy is the one to beat. "
              "Look at balanced accuracy (the mean recall of the classes: that trick scores "
              f"{1 / len(classes):.2f}) and the confusion matrix, not accuracy alone.")
    if largest[1] >= HEAVY_IMBALANCE_RATIO * smallest[1]:
        warnings.append(warning(
            "heavy_imbalance",
            f"The classes are heavily imbalanced: “{largest[0]}” has {largest[1]:,} examples ({share:.0%}), "
            f"“{smallest[0]}” only {smallest[1]:,}. " + advice,
            target,
        ))
    elif largest[1] >= WEIGHTING_RATIO * smallest[1]:
        warnings.append(warning(
            "moderate_imbalance",
            f"The classes are imbalanced: “{largest[0]}” has {largest[1]:,} examples ({share:.0%}), "
            f"“{smallest[0]}” {smallest[1]:,}. " + advice,
            target,
        ))
    return warnings


def missing_warnings(frame: pd.DataFrame, facts: dict[str, ColumnFacts], target: str) -> list[dict]:
    """One warning per used column missing in more than 2% of its rows (the target has its own)."""
    rows = len(frame)
    gappy = [
        (name, fact.missing) for name, fact in facts.items()
        if name != target and fact.kind in USED_KINDS and fact.missing > MISSING_SHARE * rows
    ]
    warnings = []
    for name, missing in sorted(gappy, key=lambda item: -item[1])[:MESSAGES_PER_CODE]:
        how = "the median" if facts[name].kind != "categorical" else "a “missing” category"
        warnings.append(warning(
            "missing_values",
            f"“{name}” is missing in {missing:,} of {rows:,} rows ({missing / rows:.0%}). The linear baselines fill "
            f"the gaps with {how}; find out why values are missing — whether a value is missing can itself "
            "predict the class.",
            name,
        ))
    if len(gappy) > MESSAGES_PER_CODE:
        warnings.append(warning(
            "missing_values", f"…and {len(gappy) - MESSAGES_PER_CODE} more columns miss more than "
            f"{MISSING_SHARE:.0%} of their values.", None,
        ))
    return warnings


def duplicate_warning(frame: pd.DataFrame) -> list[dict]:
    """Rows that repeat an earlier row exactly (every column, the target too)."""
    try:
        duplicated = int(frame.duplicated().sum())
    except TypeError:  # unhashable cells (lists from Parquet): compare their text
        duplicated = int(frame.astype(str).duplicated().sum())
    if not duplicated:
        return []
    return [warning(
        "duplicate_rows",
        f"{duplicated:,} rows ({duplicated / len(frame):.1%}) are exact copies of an earlier row. A copy can land in "
        "a training fold and its twin in the test fold, which makes scores look better than they are: drop them "
        "(df.drop_duplicates()) unless they are real repeated observations.",
        None,
    )]


def score_warnings(result: dict) -> list[dict]:
    """What the baselines' numbers mean for the project: nothing left to beat, over-confident probabilities."""
    warnings = []
    baselines = {b["model"]: b for b in result.get("baselines") or []}
    best = baselines.get(result.get("best_model") or "")
    if best is None or best["model"] == bl.DUMMY:
        return warnings
    if best["balanced_accuracy"] >= NEAR_PERFECT:
        warnings.append(warning(
            "near_perfect",
            f"The best baseline ({best['model']}) already reaches a balanced accuracy of {best['balanced_accuracy']:.3f}: "
            "there is almost nothing left to beat. Check that no column gives the answer away (a leak, like a "
            "column computed from the target), or choose a harder target or dataset for your project.",
            None,
        ))
    dummy = baselines.get(bl.DUMMY)
    if dummy is not None and dummy["log_loss"] is not None and best["log_loss"] is not None and dummy["log_loss"] < best["log_loss"]:
        warnings.append(warning(
            "dummy_log_loss",
            f"The majority-class dummy has a lower log loss ({dummy['log_loss']:.3f}) than the best model "
            f"({best['model']}, {best['log_loss']:.3f}): the model is over-confident — when it is wrong it gives the "
            "right class a tiny probability, and cross-entropy punishes that hard. Compare models on log loss too, "
            "and prefer ones with calibrated probabilities (e.g. logistic regression).",
            None,
        ))
    return warnings


def column_warnings(facts: dict[str, ColumnFacts], target: str) -> list[dict]:
    messages = {
        "identifier": ("identifier_column", "“{}” looks like an identifier (a different value for almost every row); "
                       "the baselines leave it out."),
        "constant": ("constant_column", "“{}” has a single value (or none); the baselines leave it out."),
        "text": ("text_column", "“{}” holds free text, which the quick baselines do not use."),
    }
    warnings = []
    for name, fact in facts.items():
        if name != target and fact.kind in messages:
            code, template = messages[fact.kind]
            warnings.append(warning(code, template.format(name), name))
    return warnings


def memory_warning(frame: pd.DataFrame) -> list[dict]:
    """Estimate the table's size in pandas from the dtypes and a sample of the text cells."""
    sample = frame.iloc[:: max(1, len(frame) // 1000)]
    per_row = sample.memory_usage(deep=True, index=False).sum() / max(1, len(sample))
    estimate = per_row * len(frame)
    if estimate <= NOTEBOOK_BYTES:
        return []
    return [warning(
        "too_large_for_memory",
        f"Loaded in pandas this table takes about {estimate / 1024**3:.1f} GB; a notebook may run out of memory "
        "once the data is copied a few times.",
        None,
    )]


