"""Reading the binary formats: XLSX workbooks (first visible sheet) and Parquet files.

Both end as the same text-first conversion as CSV (`loading.py`), within the
same caps; a workbook's zip and a Parquet file's schema are checked before
anything is parsed.
"""
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from datasets.profiling.errors import ProfileError
from datasets.profiling.loading import (
    MAX_CELL_BYTES,
    PARQUET_MAX_ROW_GROUP_BYTES,
    XLSX_MAX_ENTRIES,
    XLSX_MAX_RATIO,
    XLSX_MAX_UNCOMPRESSED,
    LoadedTable,
    check_columns,
    check_rows,
    clean_names,
    convert_text_table,
    without_controls,
)

def read_xlsx(path: Path) -> LoadedTable:
    """Read the first visible sheet of an .xlsx workbook (hidden sheets are passed over and reported).

    1. Inspect the zip's central directory (no decompression): too many
       entries, too many uncompressed bytes or a too high ratio is a zip bomb.
    2. Refuse workbooks with macros or that are not spreadsheets.
    3. Parse with openpyxl in read-only mode; openpyxl uses defusedxml (a
       pinned dependency), so entity expansion (billion laughs) is refused.
    4. Every cell becomes text and goes through the same conversion as a CSV.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, OSError):
        raise ProfileError("bad_format", "This .xlsx file is not a valid Excel workbook.") from None
    uncompressed = sum(entry.file_size for entry in entries)
    compressed = sum(entry.compress_size for entry in entries) or 1
    if len(entries) > XLSX_MAX_ENTRIES or uncompressed > XLSX_MAX_UNCOMPRESSED or (
        uncompressed > 10 * 1024 * 1024 and uncompressed / compressed > XLSX_MAX_RATIO
    ):
        raise ProfileError(
            "zip_bomb",
            "This workbook would expand to far more data than it holds (a “zip bomb”), so it was not opened.",
        )
    names = {entry.filename for entry in entries}
    if any(name.lower().endswith("vbaproject.bin") for name in names):
        raise ProfileError("bad_format", "This workbook contains macros, which are never opened. Save it as .xlsx without macros.")
    if "xl/workbook.xml" not in names:
        raise ProfileError("bad_format", "This .xlsx file is a zip archive but not an Excel workbook.")
    rows, sheet, hidden = _xlsx_rows(path)
    if not rows:
        raise ProfileError("empty_file", f"The sheet “{sheet}”, the first visible one of the workbook, is empty.")
    width = max(len(row) for row in rows)
    check_columns(width)
    header = rows[0] + [""] * (width - len(rows[0]))
    names_, renamed = clean_names(header)
    body = [row + [""] * (width - len(row)) for row in rows[1:]]
    table = pa.table({name: pa.array([row[i] for row in body], pa.string()) for i, name in enumerate(names_)})
    loaded = LoadedTable(
        frame=pd.DataFrame(), format="xlsx", renamed_columns=renamed, sheet=sheet, hidden_sheets_skipped=hidden
    )
    loaded.frame = convert_text_table(table, loaded, decimal_comma=False)
    return loaded


def _xlsx_rows(path: Path) -> tuple[list[list[str]], str, list[str]]:
    """(rows as text, sheet name, hidden sheets before it) of the first visible sheet.

    Trailing empty cells and rows are dropped. A workbook whose sheets are
    all hidden (Excel refuses to save one; other writers do not) is read from
    its first sheet.
    """
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as error:  # defusedxml's refusals and openpyxl's parse errors alike
        if "Entit" in type(error).__name__ or "DTD" in type(error).__name__:
            raise ProfileError("bad_format", "This workbook contains XML entity definitions, which are refused for safety.") from None
        raise ProfileError("bad_format", "This .xlsx file could not be read as an Excel workbook.") from None
    try:
        sheets = workbook.worksheets
        if not sheets:
            raise ProfileError("empty_file", "The workbook has no worksheet (only charts, or nothing).")
        sheet = next((item for item in sheets if getattr(item, "sheet_state", "visible") == "visible"), sheets[0])
        hidden = [item.title for item in sheets[: sheets.index(sheet)]]
        # Some writers declare a sheet as wide as Excel allows; measure the cells instead.
        sheet.reset_dimensions()
        rows: list[list[str]] = []
        for values in sheet.iter_rows(values_only=True):
            check_columns(len(values))
            row = [_xlsx_text(value) for value in values]
            while row and row[-1] == "":
                row.pop()
            rows.append(row)
            check_rows(len(rows) - 1)
    except ProfileError:
        raise
    except Exception as error:
        if "Entit" in type(error).__name__ or "DTD" in type(error).__name__:
            raise ProfileError("bad_format", "This workbook contains XML entity definitions, which are refused for safety.") from None
        raise ProfileError("bad_format", "This .xlsx file could not be read as an Excel workbook.") from None
    finally:
        workbook.close()
    while rows and not rows[-1]:
        rows.pop()
    return rows, sheet.title, hidden


def _xlsx_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if hasattr(value, "isoformat"):
        return value.isoformat()
    text = str(value)
    if len(text.encode()) > MAX_CELL_BYTES:
        raise ProfileError("cell_too_large", f"A cell holds more than {MAX_CELL_BYTES // 1000} KB of text.")
    return text


def read_parquet(path: Path) -> LoadedTable:
    """Read a Parquet file with pyarrow, refusing nested columns and huge row groups first.

    The file's own types are kept, each column converted on its own (see
    _parquet_column): numbers as floats unless that would change them,
    booleans and strings as text (a string column is not re-parsed as
    numbers), dates as datetimes, UUIDs and short binary values as text.
    """
    import pyarrow.parquet as pq

    try:
        parquet = pq.ParquetFile(path)
    except (pa.ArrowException, OSError):
        raise ProfileError("bad_format", "This file could not be read as Parquet.") from None
    meta = parquet.metadata
    check_columns(meta.num_columns)
    check_rows(meta.num_rows)
    for index in range(meta.num_row_groups):
        if meta.row_group(index).total_byte_size > PARQUET_MAX_ROW_GROUP_BYTES:
            raise ProfileError("bad_format", "This Parquet file has a row group too large to read safely.")
    try:
        schema = parquet.schema_arrow
    except (pa.ArrowException, OSError):
        raise ProfileError("bad_format", "This Parquet file's column types could not be read.") from None
    for item in schema:
        if pa.types.is_nested(_storage(item.type)):
            raise ProfileError(
                "bad_format",
                f"Column “{item.name}” holds nested values (lists, maps or records); only flat tables "
                "(numbers, text, dates) are accepted.",
            )
    try:
        table = parquet.read(use_threads=True)
    except (pa.ArrowException, OSError):
        raise ProfileError("bad_format", "This Parquet file is damaged and could not be read.") from None
    names, renamed = clean_names(table.column_names)
    loaded = LoadedTable(frame=pd.DataFrame(), format="parquet", renamed_columns=renamed)
    columns = {}
    for name, column in zip(names, table.columns):
        try:
            columns[name] = _parquet_column(name, column)
        except (pa.ArrowException, OverflowError, ValueError):
            raise ProfileError(
                "bad_format",
                f"Column “{name}” has the Parquet type {column.type}, which the profiler cannot read. "
                "Convert it to numbers, text or dates and upload again.",
            ) from None
    loaded.frame = pd.DataFrame(columns, index=pd.RangeIndex(table.num_rows))
    return loaded


# Integers up to this magnitude are exact as float64; a column with a larger one stays text.
EXACT_FLOAT_INTEGER = 2**53
# Binary values up to this many bytes (ids, hashes) become hex text; longer ones are refused.
MAX_BINARY_ID_BYTES = 64


def _storage(kind: pa.DataType) -> pa.DataType:
    """The plain type underneath dictionary encoding and extension types (except UUID, kept)."""
    if pa.types.is_dictionary(kind):
        kind = kind.value_type
    if isinstance(kind, pa.BaseExtensionType) and not isinstance(kind, pa.UuidType):
        kind = _storage(kind.storage_type)
    return kind


def _parquet_column(name: str, column: pa.ChunkedArray):
    """One Parquet column as numpy values the profiler reads.

    - integers: float64 when every value is within ±2^53 (exact), else
      their exact decimal text, like a CSV code of 16 digits or more;
    - floats and decimals: float64, infinities as missing;
    - dates and times: pandas datetimes (as pyarrow gives them);
    - UUIDs: canonical text (8-4-4-4-12); binary values: text when they are
      UTF-8, else hex when short (ids, hashes), else refused;
    - everything else (booleans, strings): text.
    """
    kind = _storage(column.type)
    if isinstance(column.type, pa.BaseExtensionType) and not isinstance(column.type, pa.UuidType):
        column = pa.chunked_array([chunk.storage for chunk in column.chunks], type=column.type.storage_type)
    if pa.types.is_dictionary(column.type):
        column = column.cast(kind)
    if pa.types.is_integer(kind):
        low, high = pc.min_max(column).values()
        if low.as_py() is None or max(abs(low.as_py()), abs(high.as_py())) <= EXACT_FLOAT_INTEGER:
            return column.cast(pa.float64()).to_numpy()
        return _text_values(name, column.cast(pa.string()))
    if pa.types.is_floating(kind) or pa.types.is_decimal(kind):
        values = column.cast(pa.float64(), safe=False).to_numpy().copy()
        values[~np.isfinite(values)] = np.nan
        return values
    if pa.types.is_temporal(kind):
        return column.to_pandas()
    if isinstance(kind, pa.UuidType):
        storage = pa.chunked_array([chunk.storage for chunk in column.chunks], type=kind.storage_type)
        return _hex_values(storage, uuid=True)
    if pa.types.is_binary(kind) or pa.types.is_large_binary(kind) or pa.types.is_fixed_size_binary(kind) or (
        pa.types.is_binary_view(kind)
    ):
        if not pa.types.is_fixed_size_binary(kind):
            try:
                return _text_values(name, column.cast(pa.string()))
            except pa.ArrowInvalid:  # not UTF-8: bytes, not text
                pass
        longest = pc.max(pc.binary_length(column)).as_py() or 0
        if longest > MAX_BINARY_ID_BYTES:
            raise ProfileError(
                "bad_format",
                f"Column “{name}” holds binary values of up to {longest:,} bytes (images or files?); only "
                "numbers, text, dates and short binary ids are accepted.",
            )
        return _hex_values(column)
    return _text_values(name, column.cast(pa.string()))


def _text_values(name: str, text: pa.ChunkedArray) -> np.ndarray:
    values = without_controls(text, name).to_numpy(zero_copy_only=False)
    values[pd.isna(values)] = np.nan
    return values


def _hex_values(column: pa.ChunkedArray, *, uuid: bool = False) -> np.ndarray:
    """Binary values as lowercase hex text (UUIDs as 8-4-4-4-12), missing as NaN."""
    values = np.array(
        [
            np.nan if value is None
            else (f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}" if uuid else h)
            for value in column.to_pylist()
            for h in [value.hex() if value is not None else ""]
        ],
        dtype=object,
    )
    return values
