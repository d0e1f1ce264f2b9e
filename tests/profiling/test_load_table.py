"""docs/reliability.md rows 1–21 on real files: the loader reads what it can, says what it did, refuses the rest."""
import time
import zipfile

import numpy as np
import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from datasets.profiling import ProfileError, load_table, profile_frame


def _refused(path) -> ProfileError:
    with pytest.raises(ProfileError) as caught:
        load_table(path)
    return caught.value


@pytest.mark.reliability(1)
def test_zero_byte_file_is_refused_as_empty(write):  # row 1
    assert _refused(write("empty.csv", b"")).code == "empty_file"


@pytest.mark.reliability(2)
def test_header_only_csv_loads_as_zero_rows_and_the_profiler_refuses_clearly(write):  # row 2
    loaded = load_table(write("header.csv", "a,b,label\n"))
    assert list(loaded.frame.columns) == ["a", "b", "label"] and len(loaded.frame) == 0
    with pytest.raises(ProfileError) as caught:
        profile_frame(loaded.frame, load_info=loaded)
    assert caught.value.code == "no_rows"


@pytest.mark.reliability(5)
def test_cp1252_file_with_accents_is_decoded_and_the_encoding_reported(write):  # row 5
    text = "name,città,value\nJosé,Zürich,1\nRenée,Málaga,2\nFrançois,Köln,3\n"
    loaded = load_table(write("latin.csv", text, encoding="cp1252"))
    assert list(loaded.frame.columns) == ["name", "città", "value"]
    assert loaded.frame["name"].tolist() == ["José", "Renée", "François"]
    assert loaded.encoding == "cp1252"


@pytest.mark.reliability(6)
def test_utf16_file_with_bom_is_decoded(write):  # row 6
    loaded = load_table(write("unicode.txt", "a\tb\n1\tx\n2\ty\n", encoding="utf-16"))
    assert loaded.encoding == "utf-16" and loaded.delimiter == "\t"
    assert loaded.frame["b"].tolist() == ["x", "y"]


@pytest.mark.reliability(7)
def test_utf8_bom_does_not_reach_the_column_names(write):  # row 7
    loaded = load_table(write("bom.csv", "\ufeffid,value\n1,2\n"))
    assert list(loaded.frame.columns) == ["id", "value"]


@pytest.mark.reliability(8)
def test_semicolons_with_decimal_commas_are_read_as_numbers_and_reported(write):  # row 8
    loaded = load_table(write("eu.csv", "height;weight;name\n1,75;70,5;Ana\n1,62;55;Bo\n"))
    assert loaded.delimiter == ";"
    assert loaded.frame["height"].tolist() == [1.75, 1.62]
    assert loaded.frame["weight"].tolist() == [70.5, 55.0]
    assert loaded.decimal_comma_columns == ["height", "weight"]
    assert loaded.facts()["delimiter"] == "semicolon"


@pytest.mark.reliability(9)
def test_single_column_file_stays_one_column(write):  # row 9
    loaded = load_table(write("fruit.csv", "fruit\nbanana\nkumquat\nmuskmelon\nplum\nguava\n"))
    assert list(loaded.frame.columns) == ["fruit"]
    assert loaded.frame["fruit"].tolist() == ["banana", "kumquat", "muskmelon", "plum", "guava"]


@pytest.mark.reliability(10)
def test_ragged_rows_are_skipped_counted_and_numbered(write):  # row 10
    loaded = load_table(write("ragged.csv", "a,b,c\n1,2,3\n4,5\n6,7,8,9\n10,11,12\n"))
    assert loaded.frame["a"].tolist() == [1.0, 10.0]
    assert loaded.ragged_rows == 2 and loaded.ragged_row_numbers == [3, 4]


@pytest.mark.reliability(10)
def test_mostly_ragged_file_is_refused_with_the_field_count(write):
    error = _refused(write("bad.csv", "a,b,c\n" + "1,2\n" * 30 + "1,2,3\n"))
    assert error.code == "ragged_rows" and "3 fields" in error.message


@pytest.mark.reliability(11)
def test_duplicate_and_blank_headers_are_renamed_visibly(write):  # row 11
    loaded = load_table(write("dup.csv", "x,x,,y\n1,2,3,4\n"))
    assert list(loaded.frame.columns) == ["x", "x.1", "column_3", "y"]
    assert {"from": "x", "to": "x.1"} in loaded.renamed_columns
    assert {"from": "", "to": "column_3"} in loaded.renamed_columns


@pytest.mark.reliability(12)
def test_na_none_and_leading_zeros_are_preserved_exactly(write):  # row 12
    loaded = load_table(write("codes.csv", "id,region,flag\n007,NA,None\n010,EU,yes\n0001,NA,no\n"))
    assert loaded.frame["id"].tolist() == ["007", "010", "0001"]
    assert loaded.frame["region"].tolist() == ["NA", "EU", "NA"]
    assert loaded.frame["flag"].tolist() == ["None", "yes", "no"]


def test_missing_markers_in_a_numeric_column_count_as_missing(write):
    loaded = load_table(write("num.csv", "a,b\n1,NA\n2,3.5\n3,\n"))
    assert loaded.frame["b"].isna().tolist() == [True, False, True]
    assert loaded.missing_markers == {"b": 1}


@pytest.mark.reliability(13)
def test_mixed_type_column_over_300k_rows_stays_text_deterministically(write):  # row 13
    body = "\n".join(str(i) for i in range(300_500)) + "\nunknown\n"
    loaded = load_table(write("mixed.csv", "value\n" + body))
    column = loaded.frame["value"]
    assert column.dtype == object and column.iloc[0] == "0" and column.iloc[-1] == "unknown"
    assert loaded.mixed_columns == {"value": "unknown"}


@pytest.mark.reliability(14)
def test_nul_and_control_characters_are_stripped_from_cells_and_headers(write):  # row 14
    loaded = load_table(write("nul.csv", b"na\x00me,val\x07ue\nAn\x00na,1\nBo\x1bb,2\n"))
    assert list(loaded.frame.columns) == ["name", "value"]
    assert loaded.frame["name"].tolist() == ["Anna", "Bob"]


@pytest.mark.reliability(15)
def test_twenty_thousand_columns_are_refused_fast(write):  # row 15
    header = ",".join(f"c{i}" for i in range(20_000))
    path = write("wide.csv", header + "\n" + ",".join("1" * 20_000) + "\n")
    started = time.perf_counter()
    assert _refused(path).code == "too_many_columns"
    assert time.perf_counter() - started < 5  # a guard against parsing the body, not a benchmark


@pytest.mark.reliability(15)
def test_ten_megabyte_cell_is_refused_fast(write):  # row 15
    path = write("big_cell.csv", "a,b\n1," + "x" * 10_000_000 + "\n")
    assert _refused(path).code == "cell_too_large"


@pytest.mark.reliability(15)
def test_a_cell_over_the_cap_but_within_a_parser_block_is_refused(write):
    path = write("cell.csv", "a,b\n1," + "x" * 200_000 + "\n")
    error = _refused(path)
    assert error.code == "cell_too_large" and "“b”" in error.message


def _xlsx(path, rows):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    workbook.save(path)
    return path


def test_xlsx_is_read_with_the_same_conversions_as_csv(tmp_path):
    path = _xlsx(tmp_path / "book.xlsx", [["id", "size", "label"], ["007", 1.5, "a"], ["010", 2, "b"], [None, 3, "a"]])
    loaded = load_table(path)
    assert loaded.frame["id"].tolist()[:2] == ["007", "010"] and np.isnan(loaded.frame["id"].iloc[2])
    assert loaded.frame["size"].tolist() == [1.5, 2.0, 3.0]


@pytest.mark.reliability(16)
def test_xlsx_zip_bomb_is_refused_from_the_central_directory_in_under_a_second(tmp_path):  # row 16
    path = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        with archive.open("xl/worksheets/sheet1.xml", "w") as sheet:
            chunk = b"0" * (1 << 20)
            for _ in range(256):
                sheet.write(chunk)
    assert path.stat().st_size < 1 << 20
    started = time.perf_counter()
    assert _refused(path).code == "zip_bomb"
    assert time.perf_counter() - started < 1


@pytest.mark.reliability(17)
def test_xlsx_with_entity_expansion_is_refused(tmp_path):  # row 17
    path = _xlsx(tmp_path / "plain.xlsx", [["a", "b"], [1, 2]])
    laughs = (
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
        '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
        '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">&lol3;</workbook>'
    )
    hostile = tmp_path / "laughs.xlsx"
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(hostile, "w") as target:
        for item in source.infolist():
            data = laughs.encode() if item.filename == "xl/workbook.xml" else source.read(item.filename)
            target.writestr(item, data)
    assert _refused(hostile).code == "bad_format"


@pytest.mark.reliability(18)
def test_xlsx_with_a_macro_project_is_refused(tmp_path):  # row 18
    path = _xlsx(tmp_path / "plain.xlsx", [["a"], [1]])
    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr("xl/vbaProject.bin", b"\x00" * 100)
    assert "macros" in _refused(path).message


@pytest.mark.reliability(19)
def test_parquet_is_read_with_its_own_types(tmp_path):  # row 19
    path = tmp_path / "table.parquet"
    pq.write_table(pa.table({"code": ["007", "010"], "x": [1, 2], "ok": [True, False]}), path)
    loaded = load_table(path)
    assert loaded.frame["code"].tolist() == ["007", "010"]
    assert loaded.frame["x"].tolist() == [1.0, 2.0]


@pytest.mark.reliability(19)
def test_parquet_with_nested_columns_is_refused(tmp_path):  # row 19
    path = tmp_path / "nested.parquet"
    pq.write_table(pa.table({"items": [[1, 2], [3]], "y": ["a", "b"]}), path)
    assert "nested" in _refused(path).message


@pytest.mark.reliability(4)
def test_content_that_does_not_match_the_name_is_refused_when_loading(write):  # rows 4 and 20
    assert _refused(write("image.csv", b"\x89PNG\r\n\x1a\n" + bytes(200))).code == "bad_format"
    assert _refused(write("model.pkl", b"\x80\x04\x95")).code == "bad_format"


def test_loaded_facts_are_plain_json(write):
    loaded = load_table(write("eu.csv", "a;b\n1,5;x\n2,5;y\n"))
    facts = loaded.facts()
    assert facts["decimal"] == "," and facts["encoding"] == "utf-8" and facts["ragged_rows_skipped"] == 0
