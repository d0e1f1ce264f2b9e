"""Recognise and read an uploaded table robustly, and say what was done to it.

Every cell is first read as text (so "NA", "None" and "007" survive), then
each column is converted deliberately:

- a column is **numeric** only when every non-empty cell is a number, or one of
  a few missing-value markers ("NA", "N/A", "NaN", "null", "None", "?", "-");
  those markers then count as missing, since no number can mean them;
- a column with a number that starts with a zero ("007", "0123") or whose
  whole part has more than 15 digits stays text: it is a code, not a
  quantity (a long fraction, "8.3945900000000009" as R and spreadsheets
  write a double, is a measurement);
- with a delimiter other than the comma, a column whose numbers all use a
  decimal comma ("3,14") is numeric and reported;
- every other column, including a mixed one ("12", "n/a yet", "7"), stays text
  exactly as written, whatever the file's size (no chunk-dependent guess), and
  a mixed column is reported with an example;
- empty and whitespace-only cells are missing (NaN) in every column.
"""
import codecs
import csv
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from datasets.profiling import csvsafe
from datasets.profiling.errors import ProfileError

# Caps checked before anything is profiled: beyond them a file is refused, not
# slowly chewed on (20,000 columns parse fast but profile slowly).
MAX_COLUMNS = 2_000
MAX_ROWS = 2_000_000
MAX_CELL_BYTES = 100_000
MAX_FILE_BYTES = 1024 * 1024 * 1024
# pyarrow parses in blocks; a row longer than a block is refused as a giant cell.
CSV_BLOCK_BYTES = 4 * 1024 * 1024
# Zip-bomb limits for .xlsx, read from the central directory before any parsing.
XLSX_MAX_UNCOMPRESSED = 200 * 1024 * 1024
XLSX_MAX_RATIO = 100
XLSX_MAX_ENTRIES = 10_000
# Parquet: one row group must be readable on its own within a job's memory.
PARQUET_MAX_ROW_GROUP_BYTES = 512 * 1024 * 1024
# Bytes used to choose the encoding and the delimiter.
SNIFF_BYTES = 256 * 1024
# Characters read looking for the end of the header row (2,000 names of 500
# characters); it also fits in one pyarrow block, which parses it again.
MAX_HEADER_CHARS = 1_000_000
# Smaller files are parsed on one thread, which numbers the skipped rows.
THREADED_CSV_BYTES = 32 * 1024 * 1024
LATIN_CODECS = {
    codecs.lookup(name).name
    for name in ("cp1252", "latin-1", "iso8859-15", "cp1250", "iso8859-2", "mac-roman", "cp850", "cp437",
                 "iso8859-9", "cp1254", "iso8859-3", "iso8859-4", "iso8859-13", "cp1257", "iso8859-10",
                 "iso8859-14", "iso8859-16", "mac-latin2", "ascii")
}

DELIMITERS = (",", ";", "\t", "|")
DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
MISSING_MARKERS = ["NA", "N/A", "n/a", "na", "NaN", "nan", "null", "NULL", "None", "none", "?", "-", "--"]
CONTROL_CHARS = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]"
NUMBER = r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$"
DECIMAL_COMMA_NUMBER = r"^[+-]?\d*,?\d+$"
CODE_LIKE = r"^[+-]?0\d|^[+-]?\d{16,}"

CSV_NAMES = (".csv", ".tsv", ".txt")
ALLOWED = {**{ext: "csv" for ext in CSV_NAMES}, ".xlsx": "xlsx", ".parquet": "parquet"}
EXPORT_HINT = "Export it as CSV (or .xlsx / Parquet) and upload that instead."
REFUSED = {
    ".xls": "Old Excel files (.xls) are not accepted. Open the file in Excel or LibreOffice and save it as .xlsx or CSV.",
    ".xlsm": "Excel files with macros (.xlsm) are not accepted: macros can run code. Save the sheet as .xlsx or CSV.",
    ".xlsb": "Binary Excel files (.xlsb) are not accepted. Save the sheet as .xlsx or CSV.",
    ".pkl": "Python pickle files can run code when opened, so they are never accepted. " + EXPORT_HINT,
    ".pickle": "Python pickle files can run code when opened, so they are never accepted. " + EXPORT_HINT,
    ".joblib": "joblib files are pickles, which can run code when opened, so they are never accepted. " + EXPORT_HINT,
    ".npy": "NumPy files are not accepted (they can hold pickled objects). " + EXPORT_HINT,
    ".npz": "NumPy files are not accepted (they can hold pickled objects). " + EXPORT_HINT,
    ".feather": "Feather/Arrow files are not accepted. " + EXPORT_HINT,
    ".arrow": "Feather/Arrow files are not accepted. " + EXPORT_HINT,
    ".zip": "Compressed archives are not accepted. Unzip it and upload the table itself.",
    ".gz": "Compressed files are not accepted. Decompress it and upload the table itself.",
}
# Content signatures that a text table never starts with.
MAGIC = [
    (b"PK\x03\x04", "a ZIP archive (or an Excel file)"),
    (b"PAR1", "a Parquet file"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"%PDF", "a PDF document"),
    (b"\xd0\xcf\x11\xe0", "an old Office file (.xls or .doc)"),
    (b"\x1f\x8b", "a gzip-compressed file"),
    (b"BZh", "a bzip2-compressed file"),
    (b"7z\xbc\xaf", "a 7-Zip archive"),
    (b"\x93NUMPY", "a NumPy file"),
    (b"ARROW1", "an Arrow/Feather file"),
    (b"\x80\x02", "a Python pickle"),
    (b"\x80\x03", "a Python pickle"),
    (b"\x80\x04", "a Python pickle"),
    (b"\x80\x05", "a Python pickle"),
]


@dataclass
class LoadedTable:
    """A table read from a file, with the facts a student should see about the reading."""

    frame: pd.DataFrame
    format: str
    encoding: str | None = None
    delimiter: str | None = None
    # Workbooks: the sheet read (the first visible one) and the hidden sheets passed over.
    sheet: str | None = None
    hidden_sheets_skipped: list[str] = field(default_factory=list)
    decimal_comma_columns: list[str] = field(default_factory=list)
    ragged_rows: int = 0
    ragged_row_numbers: list[int] = field(default_factory=list)
    renamed_columns: list[dict] = field(default_factory=list)
    mixed_columns: dict[str, str] = field(default_factory=dict)
    missing_markers: dict[str, int] = field(default_factory=dict)

    def facts(self) -> dict:
        """The load facts as plain JSON for the profile."""
        return {
            "format": self.format,
            "encoding": self.encoding,
            "delimiter": DELIMITER_NAMES.get(self.delimiter, self.delimiter),
            "sheet": self.sheet,
            "hidden_sheets_skipped": self.hidden_sheets_skipped,
            "decimal": "," if self.decimal_comma_columns else ".",
            "decimal_comma_columns": self.decimal_comma_columns,
            "ragged_rows_skipped": self.ragged_rows,
            "ragged_row_numbers": self.ragged_row_numbers,
            "renamed_columns": self.renamed_columns,
            "mixed_type_columns": self.mixed_columns,
            "missing_markers": self.missing_markers,
        }


# --- format -------------------------------------------------------------------


def detect_format(head: bytes, name: str) -> str:
    """The format of an upload from its name and first bytes: "csv", "xlsx" or "parquet".

    1. An empty head is an empty file.
    2. The name must be on the allow-list; known dangerous or unsupported
       formats get a message saying what to do instead.
    3. The content must match the name: an .xlsx is a zip, a .parquet starts
       with PAR1, a text table is none of the binary formats and not binary junk.
    """
    if not head:
        raise ProfileError("empty_file", "The file is empty.")
    suffix = Path(name.lower().strip()).suffix
    if suffix in REFUSED:
        raise ProfileError("bad_format", REFUSED[suffix])
    if suffix not in ALLOWED:
        raise ProfileError(
            "bad_format",
            f"Files of type “{suffix or 'without an extension'}” are not accepted: upload CSV (.csv, .tsv, .txt), "
            "Excel (.xlsx) or Parquet (.parquet).",
        )
    fmt = ALLOWED[suffix]
    if fmt == "xlsx" and not head.startswith(b"PK\x03\x04"):
        raise ProfileError("bad_format", "This .xlsx file is not a real Excel workbook (its content is not a zip archive).")
    if fmt == "parquet" and not head.startswith(b"PAR1"):
        raise ProfileError("bad_format", "This .parquet file is not a real Parquet file (it lacks the PAR1 signature).")
    if fmt == "csv":
        for magic, what in MAGIC:
            if head.startswith(magic):
                raise ProfileError("bad_format", f"This file is named like a text table but its content is {what}.")
        if _looks_binary(head):
            raise ProfileError("bad_format", "This file does not contain text: it looks like binary data, not a CSV table.")
    return fmt


def _looks_binary(head: bytes) -> bool:
    """Binary junk has many control bytes; UTF-16 text has NULs in a regular pattern instead."""
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or _bomless_utf16(head):
        return False
    controls = sum(1 for byte in head if byte < 9 or 13 < byte < 32)
    return controls > max(4, len(head) // 20)


def _bomless_utf16(head: bytes) -> str | None:
    sample = head[:4096]
    if len(sample) < 8:
        return None
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    if odd > 0.4 * len(sample) / 2 and even == 0:
        return "utf-16-le"
    if even > 0.4 * len(sample) / 2 and odd == 0:
        return "utf-16-be"
    return None


# --- loading ------------------------------------------------------------------


def load_table(path: Path, fmt: str | None = None) -> LoadedTable:
    """Read a CSV, XLSX or Parquet file into a typed DataFrame, within the caps."""
    path = Path(path)
    size = path.stat().st_size
    if size == 0:
        raise ProfileError("empty_file", "The file is empty.")
    if size > MAX_FILE_BYTES:
        raise ProfileError("too_large", f"The file is larger than {MAX_FILE_BYTES // 2**20} MB, the most the profiler reads.")
    if fmt is None:
        with path.open("rb") as handle:
            fmt = detect_format(handle.read(8192), path.name)
    # The readers build on this module's detection and conversion.
    from datasets.profiling.binary_formats import read_parquet, read_xlsx
    from datasets.profiling.csv_format import read_csv

    readers = {"csv": read_csv, "xlsx": read_xlsx, "parquet": read_parquet}
    if fmt not in readers:
        raise ProfileError("bad_format", f"Unknown format “{fmt}”.")
    return readers[fmt](path)


def detect_encoding(path: Path) -> tuple[str, bool]:
    """(codec, reported?) for a text file.

    1. A byte-order mark decides (UTF-8 with BOM, UTF-16 LE/BE); so does the
       regular NUL pattern of BOM-less UTF-16.
    2. A file that decodes as UTF-8 from start to end is UTF-8 (checked in
       chunks, never all in memory).
    3. Otherwise charset-normalizer's best guess on the first bytes, falling
       back to cp1252 (a Windows Excel export), and to latin-1, which decodes
       any byte.
    """
    with path.open("rb") as handle:
        head = handle.read(SNIFF_BYTES)
        if head.startswith(codecs.BOM_UTF8):
            return "utf-8-sig", False
        if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return "utf-16", True
        bomless = _bomless_utf16(head)
        if bomless:
            return bomless, True
        decoder = codecs.getincrementaldecoder("utf-8")()
        handle.seek(0)
        try:
            while chunk := handle.read(8 * 1024 * 1024):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
            return "utf-8", False
        except UnicodeDecodeError:
            pass
    from charset_normalizer import from_bytes

    guess = from_bytes(head).best()
    # On a short sample the detector confuses Western code pages with each
    # other (cp1250 for cp1252); it is trusted only for other scripts.
    other_script = guess is not None and codecs.lookup(guess.encoding).name not in LATIN_CODECS
    candidates = ([guess.encoding] if other_script else []) + ["cp1252", "latin-1"]
    for encoding in candidates:
        try:
            head.decode(encoding)
        except (UnicodeDecodeError, LookupError):
            continue
        return codecs.lookup(encoding).name, True
    return "latin-1", True


def text_head(path: Path, encoding: str) -> str:
    """The first bytes as text, cut at the last complete line."""
    with path.open("rb") as handle:
        raw = handle.read(SNIFF_BYTES)
        complete = len(raw) < SNIFF_BYTES
    text = raw.decode(encoding, errors="replace").lstrip("\ufeff")
    end = max(text.rfind("\n"), text.rfind("\r"))
    if not complete and end > 0:
        text = text[:end]
    return text


def detect_delimiter(sample: str, name: str) -> str:
    """The delimiter among , ; tab | that splits the sample's lines most consistently.

    Only these four are considered: an unrestricted sniffer splits a
    one-column file on a letter. A candidate must give the header and at
    least 90% of the lines the same field count, above one; the best share
    wins, then the most fields. None qualifies: the file has one column.
    """
    # Only CR, LF and CRLF end a line (str.splitlines would also split on \x1c, \x85, …).
    lines = csvsafe.LINE_END.split(sample)[:200]
    best, best_score = ",", (0.0, 1)
    for delimiter in DELIMITERS:
        try:
            counts = [len(row) for row in csv.reader(lines, delimiter=delimiter) if row]
        except csv.Error:
            continue
        if not counts:
            continue
        mode = max(set(counts), key=counts.count)
        share = counts.count(mode) / len(counts)
        if mode < 2 or counts[0] != mode or share < 0.9:
            continue
        score = (share + (0.01 if name.lower().endswith(".tsv") and delimiter == "\t" else 0), mode)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def clean_names(raw: list[str]) -> tuple[list[str], list[dict]]:
    """Header names without BOM/control characters; blank ones become column_N, repeats x.1, x.2."""
    names, renamed, seen = [], [], set()
    cleaned = [re.sub(CONTROL_CHARS, "", str(name).replace("\ufeff", "")).strip() for name in raw]
    taken = set(cleaned)
    for index, (original, name) in enumerate(zip(raw, cleaned)):
        new = name or f"column_{index + 1}"
        if new in seen or (not name and new in taken):
            base, suffix = new, 1
            while f"{base}.{suffix}" in seen or f"{base}.{suffix}" in taken:
                suffix += 1
            new = f"{base}.{suffix}"
        if new != name:
            renamed.append({"from": str(original), "to": new})
        seen.add(new)
        names.append(new)
    return names, renamed


def check_columns(count: int) -> None:
    if count > MAX_COLUMNS:
        raise ProfileError(
            "too_many_columns",
            f"The table has {count:,} columns; the profiler accepts at most {MAX_COLUMNS:,}. "
            "Keep the columns you need and upload again.",
        )


def check_rows(count: int) -> None:
    if count > MAX_ROWS:
        raise ProfileError(
            "too_many_rows",
            f"The table has more than {MAX_ROWS:,} rows, the most the profiler reads. Upload a sample of it.",
        )


def convert_text_table(table: pa.Table, loaded: LoadedTable, *, decimal_comma: bool) -> pd.DataFrame:
    """Convert the columns on two threads (pyarrow's kernels release the GIL), each
    dropped from the pending set once converted, so the text and the result
    are not both held whole."""
    pending = dict(zip(table.column_names, table.columns))
    rows = table.num_rows
    del table

    def convert(name: str):
        return _convert_text_column(name, pending.pop(name), loaded, decimal_comma=decimal_comma)

    names = list(pending)
    with ThreadPoolExecutor(max_workers=2) as pool:
        columns = dict(zip(names, pool.map(convert, names)))
    pa.default_memory_pool().release_unused()
    # Notes were appended in thread order; report them in column order.
    loaded.decimal_comma_columns.sort(key=names.index)
    loaded.mixed_columns = {name: loaded.mixed_columns[name] for name in names if name in loaded.mixed_columns}
    loaded.missing_markers = {name: loaded.missing_markers[name] for name in names if name in loaded.missing_markers}
    return pd.DataFrame(columns, index=pd.RangeIndex(rows))


def _convert_text_column(name: str, column: pa.ChunkedArray, loaded: LoadedTable, *, decimal_comma: bool):
    """One column of text cells as floats or as text (see the module docstring)."""
    column = without_controls(column, name)
    trimmed = pc.utf8_trim_whitespace(column)
    empty = pc.equal(trimmed, "")
    markers = pc.is_in(trimmed, value_set=pa.array(MISSING_MARKERS))
    present = pc.if_else(pc.or_(empty, markers), None, trimmed)
    if present.null_count < len(present):
        number = _as_number(present, decimal_comma)
        if number is not None:
            if number[1]:
                loaded.decimal_comma_columns.append(name)
            marked = pc.sum(markers).as_py() or 0
            if marked:
                loaded.missing_markers[name] = marked
            values = number[0].to_numpy(zero_copy_only=False).astype(np.float64)
            values[~np.isfinite(values)] = np.nan
            return values
        _note_mixed(name, present, loaded)
    # to_pandas shares one Python object per distinct string (to_numpy makes one per cell).
    values = column.to_pandas().to_numpy()
    values[empty.to_numpy(zero_copy_only=False)] = np.nan
    return values


def without_controls(column: pa.ChunkedArray, name: str) -> pa.ChunkedArray:
    """NUL and control characters are dropped (PostgreSQL refuses NUL); giant cells are refused."""
    longest = pc.max(pc.binary_length(column)).as_py() or 0
    if longest > MAX_CELL_BYTES:
        raise ProfileError(
            "cell_too_large",
            f"A cell of column “{name}” holds {longest:,} bytes; cells may hold at most {MAX_CELL_BYTES // 1000} KB.",
        )
    if pc.any(pc.match_substring_regex(column, CONTROL_CHARS)).as_py():
        return pc.replace_substring_regex(column, CONTROL_CHARS, "")
    return column


def _as_number(present: pa.ChunkedArray, decimal_comma: bool) -> tuple[pa.ChunkedArray, bool] | None:
    """(floats, used a decimal comma?) when every present cell is a number, else None."""
    if pc.any(pc.match_substring_regex(present, CODE_LIKE)).as_py():
        return None
    try:
        return pc.cast(present, pa.float64()), False
    except pa.ArrowInvalid:
        pass
    if decimal_comma and pc.all(pc.match_substring_regex(present, DECIMAL_COMMA_NUMBER)).as_py():
        return pc.cast(pc.replace_substring(present, ",", "."), pa.float64()), True
    return None


def _note_mixed(name: str, present: pa.ChunkedArray, loaded: LoadedTable) -> None:
    """A text column where most cells are numbers is reported with a non-number example."""
    is_number = pc.match_substring_regex(present, NUMBER)
    numbers = pc.sum(is_number).as_py() or 0
    others = len(present) - present.null_count - numbers
    if others and numbers >= others:
        example = pc.filter(present, pc.invert(is_number))[0].as_py()
        loaded.mixed_columns[name] = example[:40]
