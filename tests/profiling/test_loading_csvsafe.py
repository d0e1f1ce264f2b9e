"""The CSV helper every CSV reader can share (the roster import too): line endings, bounds, named errors."""
import pytest

from datasets.profiling.csvsafe import CsvError, decode_bytes, first_row, iter_lines, read_rows


def test_cr_only_crlf_and_lf_lines_all_split():
    assert read_rows("a,b\r1,2\r") == [(1, ["a", "b"]), (2, ["1", "2"])]
    assert read_rows("a,b\r\n1,2\r\n") == [(1, ["a", "b"]), (2, ["1", "2"])]
    assert read_rows("a,b\n1,2") == [(1, ["a", "b"]), (2, ["1", "2"])]


def test_a_quoted_cr_or_lf_stays_in_its_cell_and_line_numbers_count_physical_lines():
    rows = read_rows('name,note\r"Ana","one\rtwo"\r"Bo","x\ny"\rCy,z\r')
    assert rows == [(1, ["name", "note"]), (2, ["Ana", "one\rtwo"]), (4, ["Bo", "x\ny"]), (6, ["Cy", "z"])]


def test_blank_rows_are_skipped_and_other_line_ends_are_not_line_breaks():
    assert read_rows("a\n\n\x1cb\u2028c\n") == [(1, ["a"]), (3, ["\x1cb\u2028c"])]


def test_a_crlf_split_across_chunks_is_one_line_end():
    assert list(iter_lines(["a,b\r", "\n1,2\r", "", "\n"])) == ["a,b\r\n", "1,2\r\n"]


def test_a_cell_over_the_limit_is_a_named_error_not_csv_error():
    with pytest.raises(CsvError) as caught:
        read_rows("email\n" + "x" * 140_000 + "\n")
    assert caught.value.code == "cell_too_large" and caught.value.line == 2
    with pytest.raises(CsvError) as caught:
        read_rows("email\n" + "x" * 2_000 + "\n", max_cell_chars=1_000)
    assert caught.value.code == "cell_too_large" and caught.value.count == 2_000


def test_too_many_rows_and_columns_are_named_errors():
    with pytest.raises(CsvError) as caught:
        read_rows("a\n1\n2\n3\n", max_rows=3)
    assert caught.value.code == "too_many_rows"
    with pytest.raises(CsvError) as caught:
        read_rows(",".join("x" * 10) + "\n", max_columns=5)
    assert (caught.value.code, caught.value.count) == ("too_many_columns", 10)


def test_first_row_reads_a_header_with_quoted_line_breaks_and_stops_at_its_budget():
    assert first_row(["\n\nid,\"x\r", "(cm)\",y\r1,2,3\r"], max_chars=100) == (3, ["id", "x\r(cm)", "y"])
    with pytest.raises(CsvError) as caught:
        first_row([",".join("c" * 50)] * 10, max_chars=200, max_columns=20)
    assert caught.value.code == "too_many_columns"
    with pytest.raises(CsvError) as caught:
        first_row(["a,\"open quote"] + ["x" * 50] * 10, max_chars=200)
    assert caught.value.code == "header_too_large"


def test_decode_bytes_reads_boms_utf8_and_cp1252():
    assert decode_bytes("\ufeffé".encode("utf-8")) == ("é", "utf-8-sig")
    assert decode_bytes("é,a".encode("utf-16")) == ("é,a", "utf-16")
    assert decode_bytes("é".encode("utf-8")) == ("é", "utf-8")
    assert decode_bytes("é".encode("cp1252")) == ("é", "cp1252")
