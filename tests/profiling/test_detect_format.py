"""docs/reliability.md rows 1, 4, 18 and 20: what the upload form accepts, by name and by content."""
import io
import zipfile

import pytest

from datasets.profiling import ProfileError, detect_format

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _zip_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("a.txt", "hello")
    return buffer.getvalue()


def _refused(head: bytes, name: str) -> ProfileError:
    with pytest.raises(ProfileError) as caught:
        detect_format(head, name)
    return caught.value


@pytest.mark.parametrize(
    ("name", "head", "expected"),
    [
        ("data.csv", b"a,b\n1,2\n", "csv"),
        ("data.TSV", b"a\tb\n1\t2\n", "csv"),
        ("notes.txt", b"a;b\n1;2\n", "csv"),
        ("book.xlsx", b"PK\x03\x04rest", "xlsx"),
        ("table.parquet", b"PAR1rest", "parquet"),
        ("utf16.csv", "a,b\n1,2\n".encode("utf-16"), "csv"),
    ],
)
def test_allowed_formats_are_recognised(name, head, expected):
    assert detect_format(head, name) == expected


@pytest.mark.reliability(1)
def test_empty_head_is_an_empty_file():
    error = _refused(b"", "data.csv")
    assert (error.code, error.message) == ("empty_file", "The file is empty.")


# What the student is told for each refused extension: why, and what to upload instead.
ADVICE = {
    "old.xls": ["Old Excel files (.xls) are not accepted", "save it as .xlsx or CSV"],
    "macro.xlsm": ["Excel files with macros (.xlsm) are not accepted: macros can run code", "as .xlsx or CSV"],
    "binary.xlsb": ["Binary Excel files (.xlsb) are not accepted", "as .xlsx or CSV"],
    "model.pkl": ["Python pickle files can run code when opened, so they are never accepted", "Export it as CSV"],
    "model.pickle": ["Python pickle files can run code when opened, so they are never accepted", "Export it as CSV"],
    "model.joblib": ["joblib files are pickles, which can run code when opened", "Export it as CSV"],
    "array.npy": ["NumPy files are not accepted (they can hold pickled objects)", "Export it as CSV"],
    "arrays.npz": ["NumPy files are not accepted (they can hold pickled objects)", "Export it as CSV"],
    "table.feather": ["Feather/Arrow files are not accepted", "Export it as CSV"],
    "table.arrow": ["Feather/Arrow files are not accepted", "Export it as CSV"],
    "archive.zip": ["Compressed archives are not accepted", "Unzip it and upload the table itself"],
}


@pytest.mark.parametrize("name", list(ADVICE))
@pytest.mark.reliability(18, 20)
def test_dangerous_or_unsupported_extensions_are_refused_with_advice(name):
    error = _refused(b"PK\x03\x04whatever", name)
    assert error.code == "bad_format"
    for advice in ADVICE[name]:
        assert advice in error.message, f"{name}: {error.message!r}"


def test_unknown_extension_lists_the_accepted_formats():
    error = _refused(b"a,b\n", "data.json")
    assert "CSV" in error.message and "Parquet" in error.message


@pytest.mark.parametrize(("head", "what"), [(PNG, "PNG image"), (_zip_bytes(), "ZIP archive")])
@pytest.mark.reliability(4)
def test_csv_name_with_binary_content_is_refused_by_content(head, what):
    error = _refused(head, "data.csv")
    assert error.code == "bad_format" and what in error.message


@pytest.mark.reliability(4)
def test_xlsx_that_is_not_a_zip_is_refused():
    assert "not a real Excel" in _refused(b"a,b\n1,2\n", "book.xlsx").message


def test_parquet_without_its_signature_is_refused():
    assert "PAR1" in _refused(b"a,b\n1,2\n", "table.parquet").message


def test_binary_junk_named_csv_is_refused():
    junk = bytes(range(256)) * 8
    assert _refused(junk, "data.csv").code == "bad_format"


def test_a_few_nul_bytes_in_text_are_not_binary_junk():
    head = b"a,b\n" + b"hello,1\n" * 50 + b"x\x00y,1\n" * 3
    assert detect_format(head, "data.csv") == "csv"
