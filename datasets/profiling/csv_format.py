"""Reading CSV text: the header by streaming (quoted line breaks, any line ending), the body with pyarrow.

Every cell is read as text first, then converted by `loading.convert_text_table`.
"""
import codecs
from pathlib import Path

import pandas as pd
import pyarrow as pa

from datasets.profiling import csvsafe
from datasets.profiling.errors import ProfileError
from datasets.profiling.loading import (
    CSV_BLOCK_BYTES,
    MAX_CELL_BYTES,
    MAX_COLUMNS,
    MAX_HEADER_CHARS,
    THREADED_CSV_BYTES,
    LoadedTable,
    check_columns,
    check_rows,
    clean_names,
    convert_text_table,
    detect_delimiter,
    detect_encoding,
    text_head,
)


def read_csv(path: Path) -> LoadedTable:
    """Read a delimited text file.

    1. Detect the encoding and the delimiter from the first bytes.
    2. Parse the header ourselves, so names are cleaned and made unique and
       a 20,000-column file is refused before its body is parsed.
    3. Parse the body with pyarrow, every cell as text; rows with a field
       count other than the header's are skipped and counted (their line
       numbers kept); a row longer than a parser block is a giant cell.
    4. Convert every column deliberately (see the module docstring).
    """
    import pyarrow.csv as pacsv

    encoding, _ = detect_encoding(path)
    sample = text_head(path, encoding)
    if not sample.strip():
        raise ProfileError("empty_file", "The file contains no table (only blank space).")
    delimiter = detect_delimiter(sample, path.name)
    header = _read_header(path, encoding, delimiter)
    names, renamed = clean_names(header)

    ragged: list[int] = []

    def skip_ragged(row) -> str:
        ragged.append(row.number if row.number is not None else -1)
        return "skip"

    try:
        table = pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(
                column_names=names,
                # The header row is parsed again as the first row and dropped below:
                # pyarrow's skip_rows counts physical lines, so a quoted line break in a
                # header would turn the header's second line into a data row.
                skip_rows=0,
                # pyarrow skips a UTF-8 BOM itself: plain UTF-8 spares a transcoding pass.
                encoding="utf8" if encoding == "utf-8-sig" else encoding,
                block_size=CSV_BLOCK_BYTES,
                use_threads=path.stat().st_size > THREADED_CSV_BYTES,
            ),
            parse_options=pacsv.ParseOptions(
                delimiter=delimiter, newlines_in_values=True, invalid_row_handler=skip_ragged
            ),
            convert_options=pacsv.ConvertOptions(
                column_types={name: pa.string() for name in names},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except pa.ArrowInvalid as error:
        if "straddling" in str(error) or "block" in str(error):
            raise ProfileError(
                "cell_too_large",
                f"A row of the file is longer than {CSV_BLOCK_BYTES // 2**20} MB; cells may hold at most "
                f"{MAX_CELL_BYTES // 1000} KB.",
            ) from None
        raise ProfileError("bad_format", f"The file could not be read as a table: {error}") from None
    except (pa.ArrowException, OSError) as error:
        raise ProfileError("bad_format", f"The file could not be read as a table: {error}") from None
    except UnicodeError:
        raise ProfileError("encoding", "The file's text encoding could not be recognised. Save it as UTF-8 CSV.") from None
    table = _drop_header_row(table, header)
    check_rows(table.num_rows)
    total = table.num_rows + len(ragged)
    if ragged and len(ragged) > max(10, total // 2):
        where = ", ".join(str(n) for n in sorted(n for n in ragged if n >= 0)[:5])
        raise ProfileError(
            "ragged_rows",
            f"{len(ragged):,} of {total:,} rows do not have the header's {len(names)} fields (e.g. lines {where}). "
            "Check the delimiter and quotes in the file.",
        )
    loaded = LoadedTable(
        frame=pd.DataFrame(),
        format="csv",
        encoding=encoding,
        delimiter=delimiter,
        ragged_rows=len(ragged),
        ragged_row_numbers=sorted(n for n in ragged if n >= 0)[:20],
        renamed_columns=renamed,
    )
    loaded.frame = convert_text_table(table, loaded, decimal_comma=delimiter != ",")
    return loaded


def _read_header(path: Path, encoding: str, delimiter: str) -> list[str]:
    """The header row's cells, read from the start of the file however long it is.

    Quoted line breaks keep a header cell whole, and any line ending counts
    (CR-only from Excel for Mac too). Reading stops after MAX_HEADER_CHARS
    characters: a longer header is too many columns or has no end.
    """
    decoder = codecs.getincrementaldecoder(encoding)(errors="replace")

    def chunks():
        with path.open("rb") as handle:
            while block := handle.read(64 * 1024):
                yield decoder.decode(block)
        yield decoder.decode(b"", final=True)

    try:
        first = csvsafe.first_row(
            chunks(), delimiter=delimiter, max_chars=MAX_HEADER_CHARS, max_cell_chars=MAX_CELL_BYTES,
            max_columns=MAX_COLUMNS,
        )
    except csvsafe.CsvError as error:
        if error.code == "too_many_columns":
            check_columns(error.count or MAX_COLUMNS + 1)
        if error.code == "cell_too_large":
            raise ProfileError(
                "cell_too_large",
                f"A column name in the header holds {f'{error.count:,}' if error.count else 'more than 131,072'} "
                f"characters; names and cells may hold at most {MAX_CELL_BYTES // 1000} KB. "
                "(A missing closing quote makes the rest of the file one cell.)",
            ) from None
        if error.code == "header_too_large":
            raise ProfileError(
                "header_too_large",
                f"The header row (the column names) is longer than {MAX_HEADER_CHARS:,} characters. "
                "Check the quotes in the first line, or shorten the column names.",
            ) from None
        raise ProfileError("bad_format", f"The header row could not be read: {error.message}") from None
    if first is None:
        raise ProfileError("empty_file", "The file contains no table (only blank space).")
    header = first[1]
    header[0] = header[0].lstrip("\ufeff")
    check_columns(len(header))
    return header


def _drop_header_row(table: pa.Table, header: list[str]) -> pa.Table:
    """The table without its first row, which must be the header pyarrow parsed again."""
    if table.num_rows and all(
        (column[0].as_py() or "").lstrip("\ufeff") == name for column, name in zip(table.columns, header)
    ):
        return table.slice(1)
    raise ProfileError(
        "bad_header",
        "The header row (the column names) could not be read consistently: check the quotes in the first line.",
    )


