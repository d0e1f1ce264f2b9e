"""Read CSV text the way spreadsheets write it, with bounds and a named error for every failure.

Plain Python (no pandas, no Django), for every CSV the app reads: the
profiler's header, the roster import, the preferences file.

- Lines end in ``\\r\\n``, ``\\n`` or a lone ``\\r`` (Excel for Mac); a line
  break inside quotes stays in the cell, whichever kind it is.
- Cells, columns, rows and the characters read are bounded: a cell over the
  limit, too many columns or rows, or a header that never ends is a
  ``CsvError`` with a stable ``code`` and a sentence, never ``csv.Error``.

Typical use (a small upload held in memory)::

    text, encoding = decode_bytes(data)
    try:
        rows = read_rows(text, max_rows=20_000)
    except CsvError as error:
        raise ValidationError(error.message)
    for line_number, cells in rows:
        ...
"""
import codecs
import csv
import re
from collections.abc import Iterable, Iterator

# Python's csv module refuses a field longer than this many characters (its
# process-wide default, never changed here: other code shares it).
CSV_FIELD_LIMIT = 131_072
DEFAULT_MAX_CELL_CHARS = 100_000
DEFAULT_MAX_COLUMNS = 2_000
LINE_END = re.compile(r"\r\n|\r|\n")


class CsvError(ValueError):
    """A CSV file that cannot be read, with a stable code and a sentence a user understands.

    Codes: ``cell_too_large``, ``too_many_columns``, ``too_many_rows``,
    ``header_too_large``, ``bad_csv``, ``empty_file``.
    """

    def __init__(self, code: str, message: str, line: int | None = None, count: int | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.line = line
        # The number that broke the limit (columns or characters), when it is known.
        self.count = count

    def __str__(self) -> str:
        return self.message


def decode_bytes(data: bytes) -> tuple[str, str]:
    """(text, encoding) of a small CSV upload: a BOM decides (UTF-8, UTF-16), then UTF-8, then cp1252.

    The BOM is removed; cp1252 cannot fail (undefined bytes become U+FFFD).
    """
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8):].decode("utf-8", errors="replace"), "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16", errors="replace").lstrip("\ufeff"), "utf-16"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace"), "cp1252"


def iter_lines(chunks: Iterable[str]) -> Iterator[str]:
    """Physical lines, line ends kept, from text arriving in chunks of any size.

    A line ends at ``\\r\\n``, ``\\n`` or a lone ``\\r``; a ``\\r`` at the end of
    a chunk waits for the next chunk in case a ``\\n`` follows. Only the
    characters CSV treats as line ends split (not ``\\x0b``, ``\\x1c`` or
    ``\\u2028``, which ``str.splitlines`` would).
    """
    pending = ""
    for chunk in chunks:
        if not chunk:
            continue
        pending += chunk
        start = 0
        for match in LINE_END.finditer(pending):
            if match.group() == "\r" and match.end() == len(pending):
                break
            yield pending[start:match.end()]
            start = match.end()
        pending = pending[start:]
    if pending:
        yield pending


def _chunks(text: str, size: int = 1 << 16) -> Iterator[str]:
    for start in range(0, len(text), size):
        yield text[start:start + size]


def rows(
    lines: Iterable[str],
    *,
    delimiter: str = ",",
    max_cell_chars: int = DEFAULT_MAX_CELL_CHARS,
    max_columns: int = DEFAULT_MAX_COLUMNS,
    max_rows: int | None = None,
    skip_blank: bool = True,
) -> Iterator[tuple[int, list[str]]]:
    """(line number where the row starts, cells) for each CSV row of the lines.

    Blank rows are skipped unless ``skip_blank`` is false. Raises CsvError on
    a cell longer than ``max_cell_chars`` (at most the csv module's 131,072),
    a row with more than ``max_columns`` cells, more than ``max_rows`` rows,
    or anything the csv module refuses.
    """
    reader = csv.reader(lines, delimiter=delimiter, strict=False)
    count = 0
    while True:
        start = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            if "field larger than field limit" in str(error):
                raise CsvError(
                    "cell_too_large",
                    f"A cell starting on line {start:,} is longer than {min(max_cell_chars, CSV_FIELD_LIMIT):,} "
                    "characters (a missing closing quote makes the rest of the file one cell).",
                    start,
                ) from None
            raise CsvError("bad_csv", f"Line {start:,} is not valid CSV ({error}).", start) from None
        if skip_blank and not row:
            continue
        if len(row) > max_columns:
            raise CsvError(
                "too_many_columns",
                f"Line {start:,} has {len(row):,} columns; at most {max_columns:,} are accepted.",
                start,
                len(row),
            )
        longest = max((len(cell) for cell in row), default=0)
        if longest > max_cell_chars:
            raise CsvError(
                "cell_too_large",
                f"A cell on line {start:,} holds {longest:,} characters; at most {max_cell_chars:,} are accepted.",
                start,
                longest,
            )
        count += 1
        if max_rows is not None and count > max_rows:
            raise CsvError("too_many_rows", f"The file has more than {max_rows:,} rows.", start)
        yield start, row


def read_rows(text: str, **limits) -> list[tuple[int, list[str]]]:
    """Every non-blank row of CSV text as (line number, cells); see ``rows`` for the limits."""
    return list(rows(iter_lines(_chunks(text)), **limits))


def first_row(
    chunks: Iterable[str],
    *,
    delimiter: str = ",",
    max_chars: int,
    max_cell_chars: int = DEFAULT_MAX_CELL_CHARS,
    max_columns: int = DEFAULT_MAX_COLUMNS,
) -> tuple[int, list[str]] | None:
    """(line number, cells) of the first non-blank row, reading at most ``max_chars`` characters.

    A header whose quotes hold line breaks is one row, however many lines it
    spans. A first row still unfinished after ``max_chars`` characters is
    ``too_many_columns`` when what was read already splits into more than
    ``max_columns`` fields, else ``header_too_large``. None: no row at all.
    """
    seen: list[str] = []
    total = 0

    def bounded() -> Iterator[str]:
        nonlocal total
        for chunk in chunks:
            total += len(chunk)
            seen.append(chunk)
            if total > max_chars:
                raise _Overrun
            yield chunk

    try:
        return next(
            rows(iter_lines(bounded()), delimiter=delimiter, max_cell_chars=max_cell_chars, max_columns=max_columns),
            None,
        )
    except _Overrun:
        fields = "".join(seen).count(delimiter) + 1
        if fields > max_columns:
            raise CsvError(
                "too_many_columns",
                f"The first row has more than {max_columns:,} columns; at most {max_columns:,} are accepted.",
                1,
            ) from None
        raise CsvError(
            "header_too_large",
            f"The first row is longer than {max_chars:,} characters without ending (an unclosed quote?), "
            "so the file has no readable header.",
            1,
        ) from None


class _Overrun(Exception):
    pass
