"""Issue 15: the loader reads what spreadsheets and data tools really write, and names every refusal.

Each test is one finding; each failed on the loader before the fix (noted per test).
"""
import uuid

import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from datasets.profiling import ProfileError, load_table
from datasets.profiling.loading import MAX_COLUMNS, SNIFF_BYTES


def _refused(path) -> ProfileError:
    with pytest.raises(ProfileError) as caught:
        load_table(path)
    return caught.value


def _sixty_rows(header: str = "id,x,label", newline: str = "\n") -> str:
    rows = [header] + [f"{i},{i * 1.5},{'ab'[i % 2]}" for i in range(60)]
    return newline.join(rows) + newline


# --- line endings and headers ------------------------------------------------------------------


def test_cr_only_line_endings_from_excel_for_mac_are_read(write):
    # Before: csv.Error "new-line character seen in unquoted field" (an unexpected error).
    loaded = load_table(write("mac.csv", _sixty_rows(newline="\r")))
    assert list(loaded.frame.columns) == ["id", "x", "label"]
    assert len(loaded.frame) == 60
    assert loaded.frame["x"].tolist()[:3] == [0.0, 1.5, 3.0]
    assert loaded.ragged_rows == 0


def test_cr_only_file_numbers_its_ragged_rows_by_line(write):
    loaded = load_table(write("mac.csv", "a,b,c\r1,2,3\r4,5\r6,7,8\r"))
    assert loaded.frame["a"].tolist() == [1.0, 6.0]
    assert loaded.ragged_rows == 1 and loaded.ragged_row_numbers == [3]


def test_a_quoted_cr_inside_a_cell_stays_in_the_cell(write):
    loaded = load_table(write("notes.csv", 'id,note\r\n1,"first\rsecond"\r\n2,plain\r\n'))
    assert loaded.frame["note"].tolist() == ["first\rsecond", "plain"]


def test_quoted_line_break_in_the_header_does_not_become_a_data_row(write):
    # Before: 61 rows, the header's second line ("measured", " in cm\"", "label") as row 1,
    # and every column text because of it.
    loaded = load_table(write("wrapped.csv", _sixty_rows('id,"x\nmeasured, in cm",label')))
    assert len(loaded.frame) == 60
    assert list(loaded.frame.columns) == ["id", "x\nmeasured, in cm", "label"]
    assert loaded.frame["id"].dtype == float and loaded.frame["id"].tolist()[:2] == [0.0, 1.0]
    assert loaded.ragged_rows == 0


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_quoted_line_break_in_the_header_is_not_reported_as_a_skipped_row(write, newline):
    # Before: the header's second line was skipped as a "ragged row 2" (with \n and \r\n),
    # or the file failed (with \r).
    loaded = load_table(write("wrapped.csv", _sixty_rows(f'id,"x{newline}(cm)",label', newline)))
    assert len(loaded.frame) == 60 and loaded.ragged_rows == 0
    assert loaded.frame.columns[1] == f"x{newline}(cm)"
    assert loaded.frame.iloc[:2, 1].tolist() == [0.0, 1.5]


def test_a_header_cell_over_128_kb_is_refused_as_a_cell_too_large(write):
    # Before: csv.Error "field larger than field limit (131072)".
    error = _refused(write("long_name.csv", "a," + "h" * 140_000 + ",label\n" + "1,2,x\n" * 20))
    assert error.code == "cell_too_large" and "column name" in error.message


def test_a_header_cell_just_over_the_cell_cap_is_refused_with_its_size(write):
    error = _refused(write("long_name.csv", "a," + "h" * 120_000 + ",label\n1,2,x\n"))
    assert error.code == "cell_too_large" and "120,000" in error.message


def _wide(columns: int, rows: int, name_length: int = 150) -> str:
    names = [f"measurement_{i:05d}_" + "z" * (name_length - 19) for i in range(columns)]
    return ",".join(names) + "\n" + (",".join("1" for _ in range(columns)) + "\n") * rows


def test_a_2100_column_file_with_a_header_over_256_kb_is_refused_for_its_real_width(write):
    # Before: the header was cut at 256 KB, so the message said 1,7xx columns.
    text = _wide(2_100, 2)
    assert len(text.split("\n")[0]) > SNIFF_BYTES
    error = _refused(write("wide.csv", text))
    assert error.code == "too_many_columns" and "2,100" in error.message


def test_a_1900_column_file_with_a_header_over_256_kb_is_read_whole(write):
    # Before: 1,7xx columns and 0 rows (every row "ragged" against the cut header).
    text = _wide(1_900, 3)
    assert len(text.split("\n")[0]) > SNIFF_BYTES and 1_900 <= MAX_COLUMNS
    loaded = load_table(write("wide.csv", text))
    assert loaded.frame.shape == (3, 1_900)
    assert loaded.ragged_rows == 0


def test_a_header_with_an_unclosed_quote_is_refused_with_a_named_cause(write):
    error = _refused(write("open_quote.csv", 'a,"b,c\n' + "1,2,3\n" * 300_000))
    assert error.code in ("cell_too_large", "header_too_large")


def test_a_giant_header_line_is_refused_as_too_many_columns(write):
    header = ",".join(f"c{i}" for i in range(300_000))  # 2 MB, beyond the header budget
    error = _refused(write("very_wide.csv", header + "\n1\n"))
    assert error.code == "too_many_columns"


# --- Parquet types -------------------------------------------------------------------------------


def _parquet(tmp_path, **columns):
    path = tmp_path / "table.parquet"
    pq.write_table(pa.table(columns), path)
    return path


def test_parquet_int64_ids_above_2_53_are_kept_exact(tmp_path):
    # Before: ArrowInvalid "Integer value 9007199254740993 not in range" (an unexpected error).
    ids = [2**53 + 1, -(2**62) - 7, 2**63 - 1]
    path = _parquet(tmp_path, id=pa.array(ids, pa.int64()), y=["a", "b", "a"])
    frame = load_table(path).frame
    assert frame["id"].tolist() == [str(value) for value in ids]


def test_parquet_uint64_column_is_kept_exact(tmp_path):
    values = [2**64 - 1, 2**63, 12]
    path = _parquet(tmp_path, u=pa.array(values, pa.uint64()), y=["a", "b", "a"])
    assert load_table(path).frame["u"].tolist() == [str(value) for value in values]


def test_parquet_integers_within_2_53_stay_numbers(tmp_path):
    path = _parquet(tmp_path, n=pa.array([2**53, -3, None], pa.int64()), u=pa.array([1, 2, 3], pa.uint64()))
    frame = load_table(path).frame
    assert frame["n"].dtype == float and frame["n"].tolist()[:2] == [float(2**53), -3.0]
    assert frame["u"].tolist() == [1.0, 2.0, 3.0]


def test_parquet_uuid_column_is_read_as_text(tmp_path):
    # Before: ArrowInvalid "Invalid UTF8 payload" (an unexpected error).
    ids = [uuid.UUID(int=7 * i + 1) for i in range(3)]
    path = _parquet(tmp_path, id=pa.array([value.bytes for value in ids] + [None], pa.uuid()), y=list("abab"))
    frame = load_table(path).frame
    assert frame["id"].tolist()[:3] == [str(value) for value in ids]
    assert frame["id"].isna().tolist() == [False, False, False, True]


def test_parquet_fixed_size_binary_column_is_read_as_hex_text(tmp_path):
    # Before: bytes "decoded" as text with their NULs stripped (all-zero ids became "").
    values = [bytes(16), bytes(range(16)), None]
    path = _parquet(tmp_path, h=pa.array(values, pa.binary(16)), y=["a", "b", "a"])
    assert load_table(path).frame["h"].tolist()[:2] == [bytes(16).hex(), bytes(range(16)).hex()]


def test_parquet_binary_column_holding_utf8_is_text_and_short_bytes_are_hex(tmp_path):
    path = _parquet(
        tmp_path,
        names=pa.array([b"Ana", b"Bo", None], pa.binary()),
        hashes=pa.array([b"\xff\x00\x01", b"\xfe", b"\x80"], pa.binary()),
    )
    frame = load_table(path).frame
    assert frame["names"].tolist()[:2] == ["Ana", "Bo"]
    assert frame["hashes"].tolist() == ["ff0001", "fe", "80"]


def test_parquet_binary_blobs_are_refused_naming_the_column(tmp_path):
    path = _parquet(tmp_path, image=pa.array([b"\x89PNG" + bytes(500)] * 2, pa.binary()), y=["a", "b"])
    error = _refused(path)
    assert error.code == "bad_format" and "“image”" in error.message


# --- workbooks -------------------------------------------------------------------------------------


def test_workbook_whose_first_sheet_is_hidden_is_read_from_the_first_visible_sheet(tmp_path):
    # Before: the hidden sheet ("secret", one row) was profiled.
    workbook = openpyxl.Workbook()
    hidden = workbook.active
    hidden.title = "Lookup"
    hidden.append(["secret"])
    hidden.append([1])
    hidden.sheet_state = "hidden"
    data = workbook.create_sheet("Data")
    data.append(["a", "label"])
    for i in range(20):
        data.append([i, "xy"[i % 2]])
    workbook.active = 1
    workbook.save(tmp_path / "book.xlsx")

    loaded = load_table(tmp_path / "book.xlsx")
    assert list(loaded.frame.columns) == ["a", "label"] and len(loaded.frame) == 20
    assert loaded.sheet == "Data" and loaded.hidden_sheets_skipped == ["Lookup"]
    assert loaded.facts()["sheet"] == "Data"


def test_workbook_names_the_sheet_it_read(tmp_path):
    workbook = openpyxl.Workbook()
    workbook.active.title = "Measurements"
    workbook.active.append(["a", "b"])
    workbook.active.append([1, 2])
    workbook.create_sheet("Notes").append(["ignored"])
    workbook.save(tmp_path / "book.xlsx")
    loaded = load_table(tmp_path / "book.xlsx")
    assert loaded.sheet == "Measurements" and loaded.hidden_sheets_skipped == []


def test_empty_first_visible_sheet_is_refused_naming_it(tmp_path):
    workbook = openpyxl.Workbook()
    workbook.active.title = "Blank"
    workbook.create_sheet("Data").append(["a"])
    workbook.save(tmp_path / "book.xlsx")
    error = _refused(tmp_path / "book.xlsx")
    assert error.code == "empty_file" and "“Blank”" in error.message
