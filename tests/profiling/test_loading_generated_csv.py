"""Issue 15: the loader on generated CSV variants never fails with anything but a named ProfileError.

Variants: line endings (LF, CRLF, CR), quoting (minimal, all), delimiters
(, ; tab |), encodings (UTF-8, UTF-8 with BOM, cp1252, UTF-16), header sizes
(short names, a name over the cell cap, 1,900 and 2,100 columns behind a
header over 256 KB), cells with quotes, delimiters and line breaks, and
damaged copies (cut short, a stray quote, stray bytes).

An intact file within the caps must load with exactly the columns and rows
written; every other file may load or be refused, but only with a
ProfileError whose code is one of the loader's named causes; a loaded table
then profiles or fails with a ProfileError.
"""
import string

import pytest
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st

from datasets.profiling import ProfileError, load_table, profile_frame
from datasets.profiling.loading import MAX_COLUMNS, SNIFF_BYTES

LOADER_CODES = {
    "empty_file", "too_large", "bad_format", "encoding", "too_many_columns", "too_many_rows",
    "cell_too_large", "ragged_rows", "header_too_large", "bad_header",
}
DELIMITERS = [",", ";", "\t", "|"]
NEWLINES = ["\n", "\r\n", "\r"]
ENCODINGS = ["utf-8", "utf-8-sig", "cp1252", "utf-16"]
# Letters every encoding above can write; the delimiters are added per file (see _cell).
LETTERS = string.ascii_letters + string.digits + " .-_éüñßçÀ€'"
HEADERS = ["short"] * 5 + ["long_name", "wide_ok", "wide_refused"]


def _field(value: str, delimiter: str, quote_all: bool, single_column: bool) -> str:
    special = delimiter in value or '"' in value or "\n" in value or "\r" in value
    if quote_all or special or (single_column and value == ""):
        return '"' + value.replace('"', '""') + '"'
    return value


def _render(rows: list[list[str]], delimiter: str, newline: str, quote_all: bool) -> str:
    single = len(rows[0]) == 1
    return "".join(
        delimiter.join(_field(cell, delimiter, quote_all, single) for cell in row) + newline for row in rows
    )


@st.composite
def _cell(draw, delimiter: str) -> str:
    kind = draw(st.sampled_from(["int", "float", "decimal_comma", "text", "tricky", "empty", "marker"]))
    if kind == "int":
        return str(draw(st.integers(-10**6, 10**6)))
    if kind == "float":
        return repr(draw(st.floats(-1e6, 1e6, allow_nan=False)))
    if kind == "decimal_comma":
        return f"{draw(st.integers(0, 999))},{draw(st.integers(0, 99))}"
    if kind == "empty":
        return ""
    if kind == "marker":
        return draw(st.sampled_from(["NA", "None", "?", "-", "null", "007"]))
    alphabet = LETTERS + (delimiter + '"\n\r' if kind == "tricky" else "")
    return draw(st.text(alphabet, max_size=12))


@st.composite
def csv_files(draw):
    delimiter = draw(st.sampled_from(DELIMITERS))
    newline = draw(st.sampled_from(NEWLINES))
    encoding = draw(st.sampled_from(ENCODINGS))
    quote_all = draw(st.booleans())
    header_kind = draw(st.sampled_from(HEADERS))
    n_rows = draw(st.integers(0, 25))
    if header_kind == "short":
        n_columns = draw(st.integers(1, 6))
        header = [draw(st.text(LETTERS + delimiter + '"\n', max_size=10)) for _ in range(n_columns)]
    elif header_kind == "long_name":
        n_columns = draw(st.integers(1, 4))
        header = [f"c{i}" for i in range(n_columns)]
        header[draw(st.integers(0, n_columns - 1))] = "n" * draw(st.integers(100_001, 140_000))
    else:
        n_columns = 1_900 if header_kind == "wide_ok" else 2_100
        header = [f"measurement_{i:05d}_" + "z" * 130 for i in range(n_columns)]
        n_rows = min(n_rows, 3)
    if header_kind == "short":
        body = [[draw(_cell(delimiter)) for _ in range(n_columns)] for _ in range(n_rows)]
        if n_columns == 1:  # a one-column file may hold commas only where the sniffer cannot misread them
            body = [[cell.replace(",", ".") for cell in row] for row in body]
    else:
        body = [[str(draw(st.integers(0, 9))) for _ in range(n_columns)] for _ in range(n_rows)]
    text = _render([header, *body], delimiter, newline, quote_all)
    data = text.encode(encoding)
    damage = draw(st.sampled_from(["none"] * 4 + ["cut", "stray_quote", "stray_bytes"]))
    if damage == "cut" and len(data) > 1:
        data = data[: draw(st.integers(1, len(data) - 1))]
    elif damage == "stray_quote":
        at = draw(st.integers(0, len(data)))
        data = data[:at] + '"'.encode(encoding).removeprefix(b"\xff\xfe").removeprefix(b"\xef\xbb\xbf") + data[at:]
    elif damage == "stray_bytes":
        at = draw(st.integers(0, len(data)))
        data = data[:at] + draw(st.binary(min_size=1, max_size=8)) + data[at:]
    return {
        "data": data, "delimiter": delimiter, "newline": newline, "encoding": encoding, "header": header_kind,
        "columns": n_columns, "rows": n_rows, "damaged": damage != "none", "blank": not text.strip(), "header_bytes": len(text.split(newline)[0]),
    }


@pytest.mark.reliability(5, 6, 8, 15)
# No shrinking: each example profiles a table, and shrinking one failure took over five minutes
# on the shared 2-core machine; the unshrunk example is printed whole.
@settings(
    max_examples=80, deadline=None, phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(case=csv_files())
# Found by this test: 17 whole numbers, each once, proposed as the target; every baseline
# failed and profile.py took max() of no outcomes (a ValueError, not a named cause).
@example(case={
    "data": b",\n0,0\n0,-525797\n0,2\n3,80\n500982,-540329\n0,-97391\n2,51\n0.0,\n0,-922039\n0,-762374\n"
            b",70946\n,-999999.0\n0,23\n0,NA\n,4\n0,3\n0,-2\n0,-1\n0,1\n,\n",
    "delimiter": ",", "newline": "\n", "encoding": "utf-8", "header": "short", "columns": 2, "rows": 20,
    "damaged": False, "blank": False, "header_bytes": 1,
})
def test_every_generated_csv_loads_or_is_refused_with_a_named_cause(case, tmp_path_factory):
    path = tmp_path_factory.mktemp("generated") / "data.csv"
    path.write_bytes(case["data"])
    try:
        loaded = load_table(path)
    except ProfileError as error:
        assert error.code in LOADER_CODES, (error.code, error.message)
        assert error.message.strip()
        expected = _expected_refusal(case)
        if expected is not None:
            assert error.code in expected, (case["header"], error.code, error.message)
        else:
            assert case["damaged"], f"an intact file within the caps was refused: {error.code}: {error.message}"
        return
    if not case["damaged"]:
        assert case["header"] in ("short", "wide_ok"), f"{case['header']} file loaded"
        assert loaded.frame.shape == (case["rows"], case["columns"]), (loaded.delimiter, loaded.encoding)
        if case["header"] == "wide_ok":
            assert case["header_bytes"] > SNIFF_BYTES and case["columns"] <= MAX_COLUMNS
            return  # the loader is under test; profiling 1,900 columns adds minutes, nothing more
    try:
        profile_frame(loaded.frame, load_info=loaded, time_budget=1.0)
    except ProfileError as error:
        assert error.code and error.message.strip()


def _expected_refusal(case) -> set[str] | None:
    """The codes an intact file may be refused with; None: an intact file must load."""
    if case["damaged"]:
        return LOADER_CODES
    if case["header"] == "long_name":
        return {"cell_too_large"}
    if case["header"] == "wide_refused":
        return {"too_many_columns"}
    if case["blank"]:
        return {"empty_file"}  # one column of blank cells is a file of blank space
    return None
