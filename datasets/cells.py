"""Cells of a table as the pages show them: the preview and text safe for both databases."""
import math

import pandas as pd

PREVIEW_ROWS = 10


def clean_text(value: str) -> str:
    """NUL bytes break PostgreSQL text columns (SQLite stores them): drop them everywhere."""
    return value.replace("\x00", "")


def preview_rows(frame) -> list[list[str]]:
    head = frame.head(PREVIEW_ROWS)
    return [[clean_text(_cell_text(value))[:80] for value in row] for row in head.astype(object).itertuples(index=False)]


def _cell_text(value) -> str:
    """A cell as the file had it: a gap stays empty, a whole number has no ".0" (the loader reads numbers as floats)."""
    if value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return str(value)


